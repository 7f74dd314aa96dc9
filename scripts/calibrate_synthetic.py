#!/usr/bin/env python3
"""Classical codecs on the synthetic default corpus, beside the paper's Table 1.

Prints, per paper track, the mean per-item compression ratio of the five
classical codecs (``baselines.classical.CODECS``, the paper's settings) on the
default synthetic test items (``make_file(dataset, seed, i)``, i = 0..2;
Legacy 0..5 so that three files are LCO), each with the paper's number.

    python scripts/calibrate_synthetic.py [--seed 0] [--size small] [--n-test 3] [--dump DIR]

The synthetic numbers are labelled *synthetic*: they show the generator is
realistic (right range, right ordering), not the real corpus' results.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from statistics import fmean

import imagecodecs
import numpy as np
from rich.console import Console
from rich.table import Table

from baselines.classical import CODECS
from baselines.paper_seeds import paper_results
from evaluator.core.metrics import compression_ratio
from evaluator.core.tracks import PAPER_TRACKS, TRACKS
from evaluator.data.synthetic_calibration import ratio_table, track_items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", choices=("small", "full"), default="small")
    ap.add_argument("--n-test", type=int, default=3, help="test files per dataset (Legacy: twice as many)")
    ap.add_argument("--tracks", default=",".join(PAPER_TRACKS), help="comma-separated track names")
    ap.add_argument("--dump", type=Path, default=None,
                    help="also save every item as DIR/<track>__<k>.npy (to re-run other codec versions on them)")
    args = ap.parse_args()

    console = Console()
    tracks = [t.strip() for t in args.tracks.split(",") if t.strip()]
    if args.dump is not None:
        args.dump.mkdir(parents=True, exist_ok=True)
        for name in tracks:
            for k, it in enumerate(track_items(name, seed=args.seed, size=args.size, n_test=args.n_test)):
                np.save(args.dump / f"{name}__{k}.npy", it.data)
        console.print(f"items saved under {args.dump}")
    t0 = time.perf_counter()
    table = ratio_table(CODECS, tracks, seed=args.seed, size=args.size, n_test=args.n_test)
    paper = paper_results()["table1_ratio"]

    out = Table(title=f"Mean compression ratio: synthetic (size={args.size}, seed={args.seed}) vs paper Table 1")
    out.add_column("track")
    for c in CODECS.values():
        out.add_column(f"{c.title}\nsynthetic / paper", justify="right")
    for name in tracks:
        row = table[name]
        best = max(row, key=row.__getitem__)
        worst = min(row, key=row.__getitem__)
        cells = []
        for cid, c in CODECS.items():
            p = paper.get(name, {}).get(c.title)
            mark = "▲" if cid == best else ("▼" if cid == worst else " ")
            cells.append(f"{row[cid]:.2f}{mark} / {p:.2f}" if p is not None else f"{row[cid]:.2f}{mark} / -")
        out.add_row(TRACKS[name].title, *cells)
    console.print(out)
    console.print(f"▲ best, ▼ worst on the synthetic data; imagecodecs {imagecodecs.__version__} "
                  f"({imagecodecs.jpegxl_version()}); {time.perf_counter() - t0:.1f} s")
    three = [n for n in tracks if TRACKS[n].ndim == 3 and n in paper]
    if three:
        # baselines.classical interleaves frames (channels last) before RICE's reshape((H, -1));
        # frames side by side (a plain reshape of the (C, H, W) item) is what reproduces the paper.
        files: dict = {}
        for name in three:
            items = track_items(name, seed=args.seed, size=args.size, n_test=args.n_test, files=files)
            planar = fmean(compression_ratio(len(imagecodecs.rcomp_encode(it.data.reshape(it.data.shape[1], -1))),
                                             it.data.size) for it in items)
            console.print(f"RICE on {TRACKS[name].title} with frames side by side (planar reshape): "
                          f"{planar:.2f} / paper {paper[name]['RICE']:.2f}")


if __name__ == "__main__":
    main()
