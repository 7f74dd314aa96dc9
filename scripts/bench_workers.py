#!/usr/bin/env python3
"""Encode times with 1 and with 2 concurrent workers on this host (issue 11: disjoint cpusets).

Each "worker" is a thread running the organizers' evaluator
(``evaluator.run.evaluate.evaluate_image``, profile ``cpu-1``) on the same
items; each evaluation leases its own core (``evaluator.sandbox.cpu_lease``), so
with two workers the records show two cpusets. Printed per setting: the
cpuset of each worker's record, the median and mean per-item encode time,
and the wall time. On an idle host with at least two free cores the two
settings' encode medians agree closely; before the leases both workers were
pinned to the same last core and each took about twice as long.

    python scripts/bench_workers.py [--codec rice] [--items 8] [--size 512]

The codec is a baseline image (``baselines.registry``), built if missing.
Run on an idle machine; numbers on a shared machine include others' load.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import numpy as np

from baselines.baseline_images import ensure_baseline_image
from baselines.registry import select_baselines
from evaluator.core.tracks import TRACKS
from evaluator.data.items import Item
from evaluator.results.records import ResultRecord, ResultStore
from evaluator.run.evaluate import ImageRun, ItemsSource, evaluate_image


def items(n: int, size: int, seed: int) -> list[Item]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        sky = rng.poisson(600.0, (size, size)) + 1000
        sky.flat[rng.integers(0, sky.size, size)] = 60000  # a few stars' cores
        out.append(Item(f"bench-{i}", sky.astype(np.uint16)))
    return out


def run(image: str, n_workers: int, data: list[Item]) -> tuple[list[tuple[ResultRecord, list[float]]], float]:
    """``n_workers`` evaluations at once; each record with its per-item encode seconds, and the wall time."""
    records: list[tuple[ResultRecord, list[float]]] = []
    lock = threading.Lock()

    def one(w: int) -> None:
        source = ItemsSource({"hubble": data}, label="bench-workers", synthetic=True)
        store = ResultStore(f"memory://bench-workers-{n_workers}-{w}")
        (rec,) = evaluate_image(ImageRun(image, [TRACKS["hubble"]], source, "cpu-1", store,
                                         measure_image_size=False, submission=f"bench-w{w}"))
        with lock:
            records.append((rec, [float(t) for t in store.items(rec.key)["encode_s"].dropna()]))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=one, args=(w,)) for w in range(n_workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return records, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codec", default="rice", help="baseline name (default rice)")
    ap.add_argument("--items", type=int, default=8)
    ap.add_argument("--size", type=int, default=512, help="square item side in pixels")
    args = ap.parse_args()
    (spec,) = select_baselines(args.codec)
    image = ensure_baseline_image(spec).image_id
    data = items(args.items, args.size, seed=0)
    print(f"codec {spec.name}, {args.items} items of {args.size}x{args.size} uint16, profile cpu-1")
    print(f"{'workers':>7} {'worker':>6} {'cpuset':>6} {'encode median s':>16} {'encode mean s':>14} {'wall s':>7}")
    for n in (1, 2):
        records, wall = run(image, n, data)
        for w, (rec, enc) in enumerate(sorted(records, key=lambda r: r[0].submission)):
            if rec.status != "ok" or not enc:
                print(f"{n:>7} {w:>6} failed: {rec.failure}")
                continue
            cpuset = rec.fingerprint.cpuset if rec.fingerprint is not None and rec.fingerprint.cpuset else "?"
            print(f"{n:>7} {w:>6} {cpuset:>6} {statistics.median(enc):>16.4f} "
                  f"{statistics.fmean(enc):>14.4f} {wall:>7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
