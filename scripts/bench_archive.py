#!/usr/bin/env python3
"""The archive codecs beside JPEG-XL (max) and RICE, per track, on the synthetic default.

Prints, per track, the mean per-item compression ratio (16 * npix / (8 *
bytes), the paper's headline) of every archive codec (``baselines.archive``:
the real tools on the item's FITS file) next to JPEG-XL (max) and RICE
(``baselines.classical``, the paper's settings), on exactly the items the
sandbox evaluates (``resolve_source("synthetic")``), each round trip checked;
then the encode / decode throughput (raw MB/s, this process, one thread).

    python scripts/bench_archive.py [--tracks all|paper|a,b] [--codecs a,b] [--no-jxl]

Synthetic numbers: they describe the generator, not the real corpus.
"""

from __future__ import annotations

import argparse
import time
from statistics import fmean

import numpy as np
from rich.console import Console
from rich.table import Table

from baselines.archive import ARCHIVE_CODECS
from baselines.classical import CODECS
from evaluator.core.metrics import compression_ratio
from evaluator.core.tracks import select_tracks
from evaluator.data.data_source import resolve_source


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", default="all", help="'all', 'paper' or a comma list")
    ap.add_argument("--codecs", default=",".join(ARCHIVE_CODECS), help="archive codecs, comma list")
    ap.add_argument("--no-jxl", action="store_true", help="leave out JPEG-XL (max), the slow reference")
    args = ap.parse_args()
    codecs = {n: ARCHIVE_CODECS[n] for n in args.codecs.split(",")}
    refs = {n: CODECS[n] for n in (("rice",) if args.no_jxl else ("jpegxl-max", "rice"))}
    columns = {**{c.title: c for c in codecs.values()}, **{c.title: c for c in refs.values()}}
    source = resolve_source("synthetic")
    ratios = Table(title=f"Mean per-item compression ratio: {source.label} (synthetic)")
    ratios.add_column("track")
    for title in columns:
        ratios.add_column(title, justify="right")
    speed: dict[str, list[tuple[int, float, float]]] = {t: [] for t in columns}
    for track in select_tracks(args.tracks):
        items = list(source.iter_items(track))
        row = [f"{track.name} ({len(items)})"]
        for title, codec in columns.items():
            per_item = []
            for item in items:
                t0 = time.perf_counter()
                data = codec.encode(item.data)
                t1 = time.perf_counter()
                back = codec.decode(data)
                t2 = time.perf_counter()
                if not np.array_equal(back, item.data):
                    raise SystemExit(f"{title} is not lossless on {track.name}/{item.id}")
                per_item.append(compression_ratio(len(data), item.npix))
                speed[title].append((2 * item.npix, t1 - t0, t2 - t1))
            row.append(f"{fmean(per_item):.3f}")
        ratios.add_row(*row)
    console = Console(width=200)
    console.print(ratios)
    rates = Table(title="Throughput over all items (raw MB/s, one thread, in process)")
    for col in ("codec", "encode MB/s", "decode MB/s"):
        rates.add_column(col, justify="right" if col != "codec" else "left")
    for title, runs in speed.items():
        raw = sum(r[0] for r in runs) / 1e6
        rates.add_row(title, f"{raw / sum(r[1] for r in runs):.1f}", f"{raw / sum(r[2] for r in runs):.1f}")
    console.print(rates)


if __name__ == "__main__":
    main()
