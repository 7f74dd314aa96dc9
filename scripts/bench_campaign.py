#!/usr/bin/env python3
"""Campaign throughput with 1 and 2 local Dask workers, and Dask's overhead per task.

On full-size synthetic items (a generated full-size corpus, or ``--data``), a campaign of one
baseline image (RICE by default) over ``--tracks`` with ``--shards`` shards per
track runs on a local cluster of 1 and then 2 worker processes (one thread
each, each with its own core block, as ``challenge admin campaign`` starts it;
the cluster is started before the clock runs). Printed per worker count:

- throughput: items evaluated per second of campaign wall time, and the
  speed-up of 2 workers over 1 (goal >= 1.8x where the machine has 2 free cores);
- per task: the codec time (every timed encode + decode, repeats included), the
  sandbox time around it (containers, files, checks: ``run_task`` wall minus
  codec), and Dask's overhead: from Dask's task stream, the gaps on each worker
  between the end of one task and the start of its next (scheduling, result
  transfer, the client keeping shard records) plus compute time outside
  ``run_task`` (deserialization), divided by the tasks, and relative to the
  codec time (goal <= 1 %).

The campaign's own records go to a temporary store. Run it on an idle
machine: on a shared one the numbers say more about the neighbours.

    python scripts/bench_campaign.py [--codec rice] [--tracks keck,hubble] [--shards 2] [--items 3] [--data SPEC]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")

import pandas as pd  # noqa: E402
from distributed import Client, LocalCluster, get_task_stream  # noqa: E402

from evaluator.data.synthetic_corpus import generate  # noqa: E402
from submissions.campaign.campaign import (  # noqa: E402
    CoreSlots,
    baseline_targets,
    plan_campaign,
    run_campaign,
)


def _codec_seconds(url: str, campaign: str) -> float:
    """Every timed encode + decode of the campaign's shard rows (repeats included)."""
    total = 0.0
    for p in Path(url, "campaigns", campaign, "shards").rglob("*.parquet"):
        rows = pd.read_parquet(p)
        rows = rows[rows["status"] == "ok"]
        reps = rows["timing_repeats"].fillna(1).astype(float)
        total += float(((rows["encode_s"] + rows["decode_s"]) * reps).sum())
    return total


def _shard_walls(url: str, campaign: str) -> list[float]:
    return [float(json.loads(p.read_text())["wall_s"])
            for p in Path(url, "campaigns", campaign, "shards").rglob("*.json")]


def _computes(stream: list[dict]) -> list[tuple[str, float, float]]:
    """(worker, start, stop) of every task's compute, from Dask's task stream."""
    return [(t["worker"], ss["start"], ss["stop"]) for t in stream for ss in t.get("startstops", ())
            if ss.get("action") == "compute"]


def _gaps(computes: list[tuple[str, float, float]]) -> float:
    """Seconds a worker sat between the end of one task and the start of its next (scheduling, transfer)."""
    total = 0.0
    for worker in {w for w, _, _ in computes}:
        spans = sorted((b, e) for w, b, e in computes if w == worker)
        total += sum(max(0.0, b2 - e1) for (_, e1), (b2, _) in itertools.pairwise(spans))
    return total


def bench(n_workers: int, tasks: list, root: Path) -> dict[str, float]:
    cluster = LocalCluster(n_workers=n_workers, processes=True, threads_per_worker=1, dashboard_address=None)
    try:
        with Client(cluster) as client:
            client.register_plugin(CoreSlots(1))
            url = str(root / f"store-{n_workers}")
            with get_task_stream(client) as stream:
                t0 = time.perf_counter()
                report = run_campaign(tasks, url, client=client, measure_image_size=False)
                wall = time.perf_counter() - t0
    finally:
        cluster.close()
    if not report.ok:
        raise SystemExit(f"the campaign failed: {[o.reason for o in report.outcomes if o.status != 'ok']}")
    items = sum(o.n_items for o in report.outcomes)
    codec = _codec_seconds(url, report.campaign_id)
    walls = _shard_walls(url, report.campaign_id)
    n = len(walls)
    computes = _computes(stream.data)
    dask_overhead = (_gaps(computes) + max(0.0, sum(e - b for _, b, e in computes) - sum(walls))) / n
    return {"workers": n_workers, "tasks": n, "items": items, "wall_s": wall, "items_per_s": items / wall,
            "codec_s_per_task": codec / n, "sandbox_s_per_task": (sum(walls) - codec) / n,
            "dask_overhead_s_per_task": dask_overhead, "dask_overhead_vs_codec": dask_overhead / (codec / n)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codec", default="rice")
    ap.add_argument("--tracks", default="keck,hubble")
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--data", default=None, help="a --data spec (default: a full-size synthetic corpus, "
                    "--items test items per dataset, generated into a temporary folder)")
    ap.add_argument("--items", type=int, default=3, help="test items per dataset of the generated corpus")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as tmp:
        os.environ.setdefault("CHALLENGE_HOME", str(Path(tmp) / "home"))
        if args.data is None:
            t0 = time.perf_counter()
            args.data = str(generate(Path(tmp) / "full", size="full", n_test=args.items, n_train=0))
            print(f"full-size synthetic corpus ({args.items} test items per dataset) generated in "
                  f"{time.perf_counter() - t0:.0f} s")
        targets = baseline_targets([args.codec])
        tasks = plan_campaign(targets, args.tracks, args.data, "cpu-1", shards_per_track=args.shards)
        print(f"{len(tasks)} tasks: {args.codec} on {args.tracks} x {args.shards} shards, data {args.data}, "
              f"{len(os.sched_getaffinity(0))} cores visible, load average {os.getloadavg()[0]:.2f}")
        results = [bench(n, tasks, Path(tmp)) for n in (1, 2)]
    for r in results:
        print(f"{r['workers']} worker(s): {r['items']} items in {r['wall_s']:.1f} s = {r['items_per_s']:.3f} items/s; "
              f"per task: codec {r['codec_s_per_task']:.2f} s, sandbox {r['sandbox_s_per_task']:.2f} s, "
              f"Dask overhead {r['dask_overhead_s_per_task']:.3f} s = {100 * r['dask_overhead_vs_codec']:.2f} % "
              "of the codec time")
    print(f"speed-up with 2 workers: {results[1]['items_per_s'] / results[0]['items_per_s']:.2f}x "
          f"(goal >= 1.8x with 2 free cores); load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
