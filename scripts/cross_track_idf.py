"""Compute the paper's Table 2 (train on one dataset, test on another) for our IDF checkpoints.

Codes the first ``--items`` items of each single-frame track (LCO, Keck,
Hubble, JWST-2D, SDSS-2D) with each committed IDF checkpoint, in this
process (real bitstreams of the exact model, every one decoded and checked),
writes one record per pair into the results store (data label: the
source's, synthetic by default) and prints the matrix with the seconds it
took. The leaderboard shows it in its cross-track table beside the paper's.

Usage: ``python scripts/cross_track_idf.py [--data synthetic] [--items 2] [--store DIR]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from baselines.neural.cross_track import TABLE2_TRACKS, cross_track_idf, ratio_matrix
from evaluator.core.settings import default_store_url
from evaluator.results.records import ResultStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="synthetic", help="data source spec (default: the synthetic corpus)")
    parser.add_argument("--items", type=int, default=2, help="items per tested track (default 2)")
    parser.add_argument("--store", default=None, help="results store URL (default: the configured store)")
    parser.add_argument("--train", default=",".join(TABLE2_TRACKS), help="training tracks, comma-separated")
    parser.add_argument("--test", default=",".join(TABLE2_TRACKS), help="tested tracks, comma-separated")
    args = parser.parse_args()
    console = Console()
    store = ResultStore(args.store or default_store_url())
    train, test = args.train.split(","), args.test.split(",")
    run = cross_track_idf(args.data, store, train=train, test=test, n_items=args.items,
                          progress=lambda line: console.print(f"[dim]{line}[/]"))
    matrix = ratio_matrix(run.records)
    table = Table(title=f"IDF trained on (rows) / tested on (columns): mean ratio, {args.items} items per track, "
                        f"data {run.records[0].split if run.records else args.data}")
    table.add_column("trained on")
    for t in test:
        table.add_column(t, justify="right")
    for t in train:
        table.add_row(t, *("failed" if matrix.get(t, {}).get(c) is None else f"{matrix[t][c]:.3f}" for c in test))
    console.print(table)
    console.print(f"{len(run.records)} records written to {store.url} in {run.seconds:.1f} s")


if __name__ == "__main__":
    main()
