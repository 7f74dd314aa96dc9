"""(Re)compute the real-val block of every shipped IDF, L3C and PixelCNN++ checkpoint's sidecar, in place.

    PYTHONPATH=. python scripts/real_val.py [--models idf,l3c,pixelcnn] [--dry-run]

For each ``baselines/neural/checkpoints/<model>-*.json``: loads the ``.pt`` (its weights hash checked against
the one recorded, and the sidecar's ``sha256`` must be the same), measures the model on the *real (packaged)*
frames as training measures its synthetic validation (``baselines.neural.real_val``: every frame as a 2D image;
a checkpoint of a 3D or residual layout records why not), and rewrites the sidecar with its ``validation``
block (``synthetic``: the recorded ``val_bpp``; ``real_packaged``: the new figures beside RICE and JPEG-XL max).
The ``.pt`` files are never written. Fetches the frames first when needed (``challenge data fetch-packaged``).
One torch thread. VDM checkpoints are not measured here (its bound is not a codec's bits).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from baselines.neural.checkpoints import CHECKPOINT_DIR, load_checkpoint
from baselines.neural.real_val import load_real_frames, real_val_block
from baselines.neural.real_val_sidecar import with_validation, write_sidecar
from evaluator.data.packaged_fetch import fetch_packaged

MODELS = ("idf", "l3c", "pixelcnn")


def sidecars(models: tuple[str, ...], folder: Path = CHECKPOINT_DIR) -> list[Path]:
    return sorted(p for m in models for p in folder.glob(f"{m}-*.json") if p.with_suffix(".pt").is_file())


def real_frames_table(models: tuple[str, ...] = MODELS) -> None:
    """Print, per shipped 2D checkpoint, its ratio (16 / bpp) on the real (packaged) frames beside RICE and JPEG-XL
    max (pooled, and the evaluator's mean of per-frame ratios), measured now (``scripts/bench_neural.py`` calls it)."""
    fetch_packaged(say=lambda _: None)
    frames = load_real_frames()
    print(f"\nreal (packaged) frames: {frames.label}, {len(frames.frames)} frames ({frames.revision}); model: "
          "train.evaluate's code length (side information included), float32; RICE / JPEG-XL max: bitstreams")
    print(f"{'checkpoint':22} {'ratio':>6} {'rice':>6} {'jxl-max':>7} | {'mean':>6} {'rice':>6} {'jxl-max':>7} | "
          f"{'frames worse':>12} {'worse than RICE':>15}")
    for path in sidecars(models):
        ckpt = load_checkpoint(path.with_suffix(".pt"))
        block = real_val_block(ckpt.model, ckpt.meta, frames)
        if block["bpp"] is None:
            continue  # a 3D or residual layout: not a 2D checkpoint
        mean = block["mean_ratio"]
        print(f"{path.stem:22} {16 / block['bpp']:6.3f} {16 / block['rice_bpp']:6.3f} "
              f"{16 / block['jpegxl_max_bpp']:7.3f} | {mean['model']:6.3f} {mean['rice']:6.3f} "
              f"{mean['jpegxl_max']:7.3f} | "
              f"{block['frames_worse_than_rice']:>5} of {len(frames.frames):<4} "
              f"{('yes' if block['worse_than_rice'] else 'no'):>15}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--dry-run", action="store_true", help="print the figures, leave the sidecars as they are")
    a = ap.parse_args()
    models = tuple(a.models.split(","))
    if unknown := set(models) - set(MODELS):
        raise SystemExit(f"--models takes {', '.join(MODELS)}, not {', '.join(sorted(unknown))}")
    torch.set_num_threads(1)
    fetch_packaged(say=lambda _: None)  # idempotent: checks the stored frames, downloads only what is missing
    t0 = time.perf_counter()
    frames = load_real_frames()
    print(f"{frames.label} ({frames.revision}): {len(frames.frames)} frames; RICE and JPEG-XL max coded in "
          f"{time.perf_counter() - t0:.1f} s")
    print(f"{'checkpoint':28} {'synthetic':>9} {'real':>7} {'rice':>7} {'jxl-max':>7} {'worse':>5} {'s':>6}")
    total = time.perf_counter()
    for path in sidecars(models):
        meta = json.loads(path.read_text(encoding="utf-8"))
        t1 = time.perf_counter()
        ckpt = load_checkpoint(path.with_suffix(".pt"))  # the weights hash is checked here
        if ckpt.sha256 != meta.get("sha256"):
            raise SystemExit(f"{path.name}: sidecar sha256 {str(meta.get('sha256'))[:12]} differs from the "
                             f"checkpoint's {ckpt.sha256[:12]}: retrain or restore the sidecar, then rerun")
        block = real_val_block(ckpt.model, ckpt.meta, frames)
        seconds = time.perf_counter() - t1
        if not a.dry_run:
            write_sidecar(path, with_validation(meta, block))
        if block["bpp"] is None:
            print(f"{path.stem:28} {meta.get('val_bpp', float('nan')):9.4f} {'n/a':>7} {'':7} {'':7} {'':5} "
                  f"{seconds:6.1f}  {block['reason']}")
            continue
        print(f"{path.stem:28} {meta.get('val_bpp', float('nan')):9.4f} {block['bpp']:7.4f} {block['rice_bpp']:7.4f} "
              f"{block['jpegxl_max_bpp']:7.4f} {('yes' if block['worse_than_rice'] else 'no'):>5} {seconds:6.1f}")
    print(f"total {time.perf_counter() - total:.1f} s on one torch thread{' (dry run)' if a.dry_run else ''}")


if __name__ == "__main__":
    main()
