"""The GPU path of a paper-size neural baseline, measured (issue 24 item 5); run by ``scripts/gpu_check.sh``.

On a machine with an NVIDIA GPU and torch (no Docker needed):

1. trains each of ``--models`` (default IDF) in the paper's configuration (IDF: upstream dense
   block, 54 M parameters; L3C 4 M; PixelCNN++ 53.6 M, three resolutions) on the synthetic
   default for ``--minutes`` on the GPU, from the same trainer as the shipped checkpoints
   (``baselines.neural.train.Run``);
2. turns it into the exact codec the images serve (``baselines.neural.exact``) and times
   encode and decode of a ``--crop`` x ``--crop`` frame per megapixel on the GPU and on the CPU;
3. decodes the GPU-encoded stream on the CPU (and the CPU one on the GPU) and says whether
   both are bit-exact: the GPU -> CPU policy of CONTRACT.md §3 (cpu-decode) measured here.

Without a GPU it prints one "no GPU" line and exits 0. Prints a JSON summary last (and writes
it to ``$OUT/gpu_check-<models>.json`` when ``OUT`` is set, as on the lent machines).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from baselines.neural import common  # noqa: E402
from baselines.neural.checkpoints import named_config  # noqa: E402
from baselines.neural.codec import NeuralCodec  # noqa: E402
from baselines.neural.data import load_images  # noqa: E402
from baselines.neural.exact import make_exact  # noqa: E402
from baselines.neural.models import MODELS  # noqa: E402
from baselines.neural.train import Run, training_plan  # noqa: E402


def sky_crop(size: int, seed: int = 0) -> np.ndarray:
    """A sky-like uint16 frame: Poisson background, a few stars, cosmic rays (no data download needed)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    sky = np.full((size, size), 320.0)
    for _ in range(max(4, size // 16)):
        y, x, f = rng.uniform(0, size), rng.uniform(0, size), rng.uniform(2e3, 4e4)
        sky += f / (2 * np.pi * 2.0**2) * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * 2.0**2))
    frame = rng.poisson(sky) + (rng.random((size, size)) < 5e-4) * rng.integers(5_000, 60_000, (size, size))
    return np.clip(frame, 0, 65535).astype(np.uint16)


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    out = fn(*args)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=3.0, help="training time on the GPU")
    ap.add_argument("--crop", type=int, default=256, help="side of the frame coded (GPU and CPU)")
    ap.add_argument("--track", default="hubble")
    ap.add_argument("--models", default="idf",
                    help=f"comma-separated, of {', '.join(MODELS)} (the paper's PixelCNN++ decodes by the cached "
                         "step at its three resolutions: 1,024 raster steps per chunk, so a small --crop pays more "
                         "per pixel in step overhead than a full megapixel does)")
    ap.add_argument("--smoke", action="store_true",
                    help="a dry run of the same steps on the CPU, each model's tiny configuration (the tests')")
    a = ap.parse_args(argv)
    models = [m.strip() for m in a.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODELS]
    if unknown or not models:
        ap.error(f"--models: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(MODELS)}")
    if a.smoke:
        return _report(_measure_all(torch.device("cpu"), models, "tiny", a.minutes, a.crop, a.track))
    if not torch.cuda.is_available():
        print(f"no GPU: torch {torch.__version__} (CUDA build {torch.version.cuda or 'none'}) finds no CUDA device; "
              "nothing measured. Run scripts/gpu_check.sh on a machine with an NVIDIA GPU and torch.")
        return 0
    return _report(_measure_all(torch.device("cuda"), models, "paper", a.minutes, a.crop, a.track))


def _measure_all(gpu: torch.device, models: list[str], config_name: str, minutes: float, crop: int,
                 track: str) -> dict[str, Any]:
    """Every model's `_measure`, one after the other, under ``models``."""
    summary: dict[str, Any] = {
        "torch": torch.__version__, "config": config_name, "cpu_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if gpu.type == "cuda" else "none (smoke run)"}
    summary["models"] = {m: _measure(gpu, m, config_name, minutes, crop, track) for m in models}
    return summary


def _measure(gpu: torch.device, kind: str, config_name: str, minutes: float, crop: int,
             track: str) -> dict[str, Any]:
    """Train ``kind`` on ``gpu`` (the CPU in a smoke run), then code a frame there and on the CPU, and across."""
    summary: dict[str, Any] = {"model": kind}
    plan = training_plan(kind, track)
    data = load_images("synthetic", list(plan.tracks), frames=plan.frames, residual_input=plan.residual_input)
    config = named_config(kind, config_name)
    hp = dict(MODELS[kind].hparams)
    run = Run(kind, config, "direct", plan.frames, data, hp, gpu, seed=0)
    summary["params"] = common.count_params(run.model)
    start_bpp = run.val_bpp()
    run.train_for(minutes * 60.0)
    summary["training"] = {"minutes": round(run.seconds / 60.0, 2), "steps": run.steps, "batch": hp["batch"],
                           "val_bpp_start": round(start_bpp, 4), "val_bpp_end": round(run.val_bpp(), 4)}
    frame = sky_crop(crop)
    mp = frame.size / 1e6
    model = run.model.to("cpu")
    # "cuda": the GPU's codec (in a smoke run the CPU stands in for it), "cpu": the CPU's, same weights
    codecs = {side: NeuralCodec(make_exact(model), kind, "direct", frames=plan.frames,
                                residual_input=plan.residual_input, label=f"{config_name}-gpu-check", device=dev)
              for side, dev in (("cuda", gpu.type), ("cpu", "cpu"))}
    streams: dict[str, bytes] = {}
    for dev, codec in codecs.items():
        streams[dev], t_enc = _timed(codec.encode, frame)
        decoded, t_dec = _timed(codec.decode, streams[dev])
        summary[dev] = {"encode_s_per_mp": round(t_enc / mp, 2), "decode_s_per_mp": round(t_dec / mp, 2),
                        "bpp": round(len(streams[dev]) * 8 / frame.size, 4),
                        "round_trip_exact": bool(np.array_equal(decoded, frame))}
    summary["same_stream_on_both_devices"] = streams["cuda"] == streams["cpu"]
    cross, t_cross = _timed(codecs["cpu"].decode, streams["cuda"])
    summary["gpu_stream_decoded_on_cpu"] = {"exact": bool(np.array_equal(cross, frame)),
                                            "decode_s_per_mp": round(t_cross / mp, 2)}
    back, _ = _timed(codecs["cuda"].decode, streams["cpu"])
    summary["cpu_stream_decoded_on_gpu"] = {"exact": bool(np.array_equal(back, frame))}
    return summary


def _report(summary: dict[str, Any]) -> int:
    text = json.dumps(summary, indent=2)
    print(text)
    if os.environ.get("OUT"):  # one file per set of models: several calls in one device command keep each
        Path(os.environ["OUT"], f"gpu_check-{'-'.join(summary['models'])}.json").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
