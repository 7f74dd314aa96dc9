"""Benchmark the committed IDF, L3C and PixelCNN++ checkpoints, as the images serve them, on the synthetic default.

    PYTHONPATH=. python scripts/bench_neural.py [--tracks paper] [--models idf,l3c,pixelcnn] [--data synthetic]
        [--full-frame] [--no-portable] [--no-real]

The codecs are the exact ones the images serve (``load_codec(..., exact=True)``, as
``baselines.neural.multi``). Per model and track: the model's NLL under its raw mixtures
(``nll``), its NLL under the distribution the coder applies (``code``: window, escape,
tail code; ``evaluator.sdk.coding.coding_cost``), the range-coded payload (header and side
information counted apart, in ``side``), the payload over the coding NLL (``ovh %``),
the mean per-item compression ratio beside JPEG-XL max on the same items, encode and
decode seconds per 800x800 frame on one thread, and the parameter count. Every stream
is decoded and compared (a mismatch is reported, not hidden). Then, per model, the first
item's stream of the first track decoded again in a fresh process under each environment
of the portable-decode check (``evaluator.results.portability``; ``--no-portable`` skips).
At the end, per track, each model's ratio beside JPEG-XL max, RICE and the best archive codec
(``baselines.archive``) on the same items.
``--full-frame`` also codes one full-size 800x800 ``sdss-2d`` frame per model
(``synthetic:full``): seconds measured on a real frame, not scaled from small ones
(PixelCNN++'s time is per raster step, not per pixel).
Last, per shipped 2D checkpoint, its ratio on the *real (packaged)* frames beside RICE and JPEG-XL max
(``scripts/real_val.py``: fetched first when needed; ``--no-real`` skips it).
Prints numbers; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from real_val import real_frames_table  # scripts/real_val.py (a script's folder is on sys.path)

from baselines.archive import ARCHIVE_CODECS
from baselines.catalog import NEURAL_BASELINES
from baselines.classical import CODECS
from baselines.neural import common
from baselines.neural.checkpoints import checkpoint_path
from baselines.neural.codec import NeuralCodec, load_codec
from evaluator.core.tracks import PAPER_TRACKS, TRACKS
from evaluator.data.data_source import resolve_source
from evaluator.data.items import Item
from evaluator.results.portability import portable_envs
from evaluator.sdk.coding import to_patches, unpack_header

PAPER = PAPER_TRACKS
ROOT = Path(__file__).resolve().parents[1]
FRAME = 800 * 800


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracks", default="paper")
    ap.add_argument("--models", default=",".join(NEURAL_BASELINES))
    ap.add_argument("--full-frame", action="store_true", help="also time one 800x800 sdss-2d frame per model")
    ap.add_argument("--data", default="synthetic")
    ap.add_argument("--max-items", type=int, default=0, help="0 = all test items")
    ap.add_argument("--no-real", action="store_true", help="skip the real (packaged) frames section")
    ap.add_argument("--no-portable", action="store_true", help="skip the portable-decode environments")
    a = ap.parse_args()
    torch.set_num_threads(1)
    tracks = PAPER if a.tracks == "paper" else tuple(a.tracks.split(","))
    source = resolve_source(a.data, split="full_test")
    jxl = CODECS["jpegxl-max"]
    print(f"data: {getattr(source, 'label', a.data)}  threads: 1  torch {torch.__version__}")
    head = (f"{'model':5} {'track':15} {'items':>5} {'ckpt':12} {'variant':8} {'params':>8} {'nll bpp':>8} "
            f"{'code bpp':>8} {'side bpp':>8} {'bpp':>8} {'ovh %':>6} {'ratio':>6} {'jxl-max':>7} {'>=jxl':>5} "
            f"{'enc s/fr':>8} {'dec s/fr':>8} {'exact':>5}")
    print(head)
    # (nll: raw mixtures; code: the coder's distribution; ovh % = range-coded payload over code, header and side
    # information apart: "side bpp" holds both)
    wins: dict[str, int] = {}
    table: dict[str, dict[str, float]] = {}
    first: dict[str, tuple[str, np.ndarray, bytes]] = {}
    for model in a.models.split(","):
        wins[model] = 0
        for track in tracks:
            if not checkpoint_path(model, track).is_file():
                print(f"{model:5} {track:15} no checkpoint")
                continue
            codec = load_codec(model, track, exact=True)
            codec.measure = True
            items = list(source.iter_items(TRACKS[track]))[: a.max_items or None]
            nll = coding = side_bits = bits = enc_s = dec_s = 0.0
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
                nll += codec.last_ideal_bits
                coding += codec.last_coding_bits
                side_bits += 8 * (len(data) - payload_bytes(codec, data))
                bits += 8 * len(data)
                if item is items[0] and track == tracks[0]:
                    first[model] = (track, x, data)
                npix += x.size
                ratios.append(16 * x.size / (8 * len(data)))
                jratios.append(16 * x.size / (8 * len(jxl.encode(x))))
            r, jr = float(np.mean(ratios)), float(np.mean(jratios))
            wins[model] += r >= jr
            table.setdefault(track, {"jpegxl-max": jr})[model] = r
            params = int(json.loads(checkpoint_path(model, track).with_suffix(".json").read_text())["params"])
            beats = "yes" if r >= jr else "no"
            payload = bits - side_bits
            print(f"{model:5} {track:15} {len(items):5} {codec.label:12} {codec.variant:8} {params:8d} "
                  f"{nll / npix:8.4f} {coding / npix:8.4f} {side_bits / npix:8.4f} {bits / npix:8.4f} "
                  f"{100 * (payload - coding) / coding:6.2f} {r:6.3f} {jr:7.3f} {beats:>5} "
                  f"{enc_s / npix * FRAME:8.2f} {dec_s / npix * FRAME:8.2f} {('yes' if exact else 'NO'):>5}")
    models = a.models.split(",")
    refs = ("jpegxl-max", "rice", "best archive")
    print(f"\n{'track':15} " + " ".join(f"{m:>9}" for m in models) + " " + " ".join(f"{m:>12}" for m in refs))
    for track, row in table.items():
        archive = archive_ratios(list(source.iter_items(TRACKS[track]))[: a.max_items or None])
        rice = archive.pop("rice", float("nan"))
        best = max(archive, key=archive.__getitem__) if archive else ""
        cells = [row.get("jpegxl-max", float("nan")), rice, archive.get(best, float("nan"))]
        print(f"{track:15} " + " ".join(f"{row.get(m, float('nan')):9.3f}" for m in models) + " "
              + " ".join(f"{c:12.3f}" for c in cells) + f"  ({best})")
    for model, n in wins.items():
        print(f"{model}: at least as good as JPEG-XL max on {n} of {len(tracks)} tracks")
    if not a.no_portable:
        portable_table(first)
    if a.full_frame:
        full_frame(models)
    if not a.no_real:
        real_frames_table(tuple(m for m in models if m != "vdm"))


def archive_ratios(items: list[Item]) -> dict[str, float]:
    """Mean per-item ratio of RICE and of each archive codec whose tool is here (``baselines.archive``; one
    that fails on this machine, e.g. a tool not installed, is left out), each round trip checked."""
    out: dict[str, float] = {}
    codecs: dict[str, Any] = {"rice": CODECS["rice"], **ARCHIVE_CODECS}
    for name, codec in codecs.items():
        try:
            ratios = []
            for item in items:
                blob = codec.encode(item.data)
                if not np.array_equal(codec.decode(blob), item.data):
                    raise RuntimeError(f"{name} did not round-trip {item.id}")
                ratios.append(16 * item.data.size / (8 * len(blob)))
            out[name] = float(np.mean(ratios))
        except Exception as exc:  # noqa: BLE001  (a missing tool: the column says n/a)
            print(f"  ({name} left out: {exc})")
    return out


def payload_bytes(codec: NeuralCodec, data: bytes) -> int:
    """The range-coded payload of a stream: what follows its header and its patches' side information."""
    header, pos = unpack_header(data)
    template = np.zeros(header.shape, np.uint16)
    for image in common.item_images(template, codec.frames, codec.residual_input):
        patches, _ = to_patches(common.split_variant(image, codec.variant), 32)
        pos += common.SideInfo.nbytes(patches.shape[0], patches.shape[1])
    return len(data) - pos


_DECODE_ONE = """
import sys, numpy as np
from baselines.neural.codec import load_codec
model, track, stream, original = sys.argv[1:5]
codec = load_codec(model, track, exact=True)
x = np.load(original)
print("ok" if np.array_equal(codec.decode(open(stream, "rb").read()), x) else "differs")
"""


def portable_table(first: dict[str, tuple[str, np.ndarray, bytes]]) -> None:
    """Each model's first stream decoded in a fresh process under each CPU environment of the portable check."""
    envs = portable_envs(0)
    print("\nportable decode (one stream per model, a fresh process per environment, 1 thread otherwise):")
    print(f"{'model':9} {'track':15} " + " ".join(f"{e.name:>15}" for e in envs))
    with tempfile.TemporaryDirectory() as tmp:
        for model, (track, x, data) in first.items():
            stream, original = Path(tmp, f"{model}.bin"), Path(tmp, f"{model}.npy")
            stream.write_bytes(data)
            np.save(original, x)
            cells = []
            for env in envs:
                proc = subprocess.run([sys.executable, "-c", _DECODE_ONE, model, track, str(stream), str(original)],
                                      env={**os.environ, **env.variables(1), "PYTHONPATH": str(ROOT)},
                                      capture_output=True, text=True, timeout=900)
                out = proc.stdout.strip().splitlines()
                cells.append(out[-1] if proc.returncode == 0 and out else f"error {proc.returncode}")
            print(f"{model:9} {track:15} " + " ".join(f"{c:>15}" for c in cells))


def full_frame(models: list[str]) -> None:
    """Code one full-size 800x800 sdss-2d frame with each model's sdss-2d checkpoint."""
    x = next(iter(resolve_source("synthetic:full", split="full_test").iter_items(TRACKS["sdss-2d"]))).data
    jr = 16 * x.size / (8 * len(CODECS["jpegxl-max"].encode(x)))
    print(f"\nfull-size sdss-2d frame {x.shape}: JPEG-XL max ratio {jr:.3f}")
    for model in models:
        codec = load_codec(model, "sdss-2d", exact=True)
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
