"""Benchmark the committed IDF, L3C and PixelCNN++ checkpoints on the synthetic default test items.

    PYTHONPATH=. python scripts/bench_neural.py [--tracks paper] [--models idf,l3c,pixelcnn] [--data synthetic]
        [--full-frame]

Per model and track: the model's ideal code length (NLL under the coder's mixture,
side information included), the real bitstream, the overhead, the mean per-item
compression ratio beside JPEG-XL max on the same items, encode and decode seconds
per 800x800 frame on one thread, and the parameter count. Every stream is decoded
and compared (a mismatch is reported, not hidden). At the end, per track, each model's
ratio beside JPEG-XL max on the same items. ``--full-frame`` also codes one full-size
800x800 ``sdss-2d`` frame per model (``synthetic:full``): seconds measured on a real
frame, not scaled from small ones (PixelCNN++'s time is per raster step, not per pixel).
Prints numbers; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from baselines.catalog import NEURAL_BASELINES
from baselines.classical import CODECS
from baselines.neural import common
from baselines.neural.checkpoints import checkpoint_path
from baselines.neural.codec import load_codec
from evaluator.core.tracks import PAPER_TRACKS, TRACKS
from evaluator.data.data_source import resolve_source

PAPER = PAPER_TRACKS
FRAME = 800 * 800


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracks", default="paper")
    ap.add_argument("--models", default=",".join(NEURAL_BASELINES))
    ap.add_argument("--full-frame", action="store_true", help="also time one 800x800 sdss-2d frame per model")
    ap.add_argument("--data", default="synthetic")
    ap.add_argument("--max-items", type=int, default=0, help="0 = all test items")
    a = ap.parse_args()
    torch.set_num_threads(1)
    tracks = PAPER if a.tracks == "paper" else tuple(a.tracks.split(","))
    source = resolve_source(a.data, split="full_test")
    jxl = CODECS["jpegxl-max"]
    print(f"data: {getattr(source, 'label', a.data)}  threads: 1  torch {torch.__version__}")
    head = (f"{'model':5} {'track':15} {'items':>5} {'ckpt':12} {'variant':8} {'params':>8} {'nll bpp':>8} {'bpp':>8} "
            f"{'ovh %':>6} {'ratio':>6} {'jxl-max':>7} {'>=jxl':>5} {'enc s/fr':>8} {'dec s/fr':>8} {'exact':>5}")
    print(head)
    # (ovh % = bitstream over NLL; a negative value: the coder's escape floor caps what the model calls impossible)
    wins: dict[str, int] = {}
    table: dict[str, dict[str, float]] = {}
    for model in a.models.split(","):
        wins[model] = 0
        for track in tracks:
            if not checkpoint_path(model, track).is_file():
                print(f"{model:5} {track:15} no checkpoint")
                continue
            codec = load_codec(model, track)
            codec.measure = True
            items = list(source.iter_items(TRACKS[track]))[: a.max_items or None]
            nll = bits = enc_s = dec_s = 0.0
            npix, ratios, jratios, exact = 0, [], [], True
            for item in items:
                x = item.data
                t0 = time.perf_counter()
                data = codec.encode(x)
                t1 = time.perf_counter()
                y = codec.decode(data)
                t2 = time.perf_counter()
                exact &= bool(np.array_equal(x, y))
                enc_s, dec_s = enc_s + t1 - t0, dec_s + t2 - t1
                n_patches = sum(-(-im.shape[1] // 32) * -(-im.shape[2] // 32) for im in common.item_images(
                    x, codec.frames, codec.residual_input))
                chans = codec.frames * common.variant_channels(codec.variant)
                side = 8 * common.SideInfo.nbytes(n_patches, chans // codec.frames) * (max(1, codec.frames))
                nll += codec.last_ideal_bits + side
                bits += 8 * len(data)
                npix += x.size
                ratios.append(16 * x.size / (8 * len(data)))
                jratios.append(16 * x.size / (8 * len(jxl.encode(x))))
            r, jr = float(np.mean(ratios)), float(np.mean(jratios))
            wins[model] += r >= jr
            table.setdefault(track, {"jpegxl-max": jr})[model] = r
            params = int(json.loads(checkpoint_path(model, track).with_suffix(".json").read_text())["params"])
            beats = "yes" if r >= jr else "no"
            print(f"{model:5} {track:15} {len(items):5} {codec.label:12} {codec.variant:8} {params:8d} "
                  f"{nll / npix:8.4f} {bits / npix:8.4f} {100 * (bits - nll) / nll:6.2f} {r:6.3f} {jr:7.3f} {beats:>5} "
                  f"{enc_s / npix * FRAME:8.2f} {dec_s / npix * FRAME:8.2f} {('yes' if exact else 'NO'):>5}")
    models = a.models.split(",")
    print(f"\n{'track':15} " + " ".join(f"{m:>9}" for m in (*models, "jpegxl-max")))
    for track, row in table.items():
        print(f"{track:15} " + " ".join(f"{row.get(m, float('nan')):9.3f}" for m in (*models, "jpegxl-max")))
    for model, n in wins.items():
        print(f"{model}: at least as good as JPEG-XL max on {n} of {len(tracks)} tracks")
    if a.full_frame:
        full_frame(models)


def full_frame(models: list[str]) -> None:
    """Code one full-size 800x800 sdss-2d frame with each model's sdss-2d checkpoint."""
    x = next(iter(resolve_source("synthetic:full", split="full_test").iter_items(TRACKS["sdss-2d"]))).data
    jr = 16 * x.size / (8 * len(CODECS["jpegxl-max"].encode(x)))
    print(f"\nfull-size sdss-2d frame {x.shape}: JPEG-XL max ratio {jr:.3f}")
    for model in models:
        codec = load_codec(model, "sdss-2d")
        codec.measure = True
        t0 = time.perf_counter()
        data = codec.encode(x)
        t1 = time.perf_counter()
        ok = np.array_equal(codec.decode(data), x)
        t2 = time.perf_counter()
        print(f"{model:9} ratio {16 * x.size / (8 * len(data)):6.3f}  nll {codec.last_ideal_bits / x.size:7.4f} bpp  "
              f"bits {8 * len(data) / x.size:7.4f} bpp  encode {t1 - t0:6.1f} s  decode {t2 - t1:6.1f} s  "
              f"exact {'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
