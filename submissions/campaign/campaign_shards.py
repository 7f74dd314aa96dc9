"""An organizer campaign's shards: the merge of the (submission, track) shards into one record.

DESIGN.md "Results, queue, publishing": a campaign fans out (submission x
track x shard) tasks. Each is an :class:`submissions.evaluation.evaluation_task.EvaluationTask`
(the queue worker runs the same tasks, unsharded), run on a Dask worker by
:func:`submissions.evaluation.evaluation_task.run_task`: it evaluates one shard in the
sandbox and returns the per-item rows and the partial record, writing nothing
to the results store, so a shard that Dask retries cannot leave anything
behind. :func:`merge_shards` is the reduce step: rows back in item order, the
summary recomputed with :func:`evaluator.core.metrics.track_summary` over all the
items, exactly as one unsharded run computes it (``evaluator.run.evaluate._record``).
"""

from __future__ import annotations

import logging
import statistics

import pandas as pd

from evaluator.core.metrics import track_summary
from evaluator.results.portability import merge_checks
from evaluator.results.records import ITEM_COLUMNS, Failure, ResultRecord
from submissions.evaluation.evaluation_task import ORDER_COLUMN, TaskResult

log = logging.getLogger(__name__)

__all__ = ["merge_shards"]


def _first_failure(results: list[TaskResult]) -> Failure | None:
    """The failure earliest in item order; failures of a whole run (no item) come first."""
    best: tuple[int, int, int] | None = None
    chosen: Failure | None = None
    for res in results:
        f = res.failure
        if f is None:
            continue
        pos = -1
        if f.item_id is not None and len(res.rows):
            hit = res.rows[res.rows["item_id"] == f.item_id]
            pos = int(hit[ORDER_COLUMN].iloc[0]) if len(hit) else -1
        rank = (0 if f.item_id is None else 1, pos, res.task.shard_index)
        if best is None or rank < best:
            best, chosen = rank, f
    return chosen


def merge_shards(results: list[TaskResult]) -> tuple[ResultRecord, pd.DataFrame]:
    """The reduce step: one record and its item table from every shard of one (submission, track).

    Rows are concatenated in whole-track item order; the summary is
    recomputed over every item; the record fails when any shard failed,
    carrying the failure earliest in item order. Startup time is the median
    over the shards (each shard starts its own containers); each shard ran
    its own portable-decode check (``evaluator.results.portability.merge_checks``).
    """

    if not results:
        raise ValueError("merge_shards needs at least one shard result")
    results = sorted(results, key=lambda r: r.task.shard_index)
    task = results[0].task
    frames = [r.rows for r in results if len(r.rows)]
    rows = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*ITEM_COLUMNS, ORDER_COLUMN]))
    rows = rows.sort_values(ORDER_COLUMN, kind="stable").reset_index(drop=True)
    failure = _first_failure(results)
    summary = track_summary([{str(k): v for k, v in row.items()} for row in rows.to_dict("records")],
                            failed=failure is not None)
    if failure is None and not (rows["status"] == "ok").any():  # every shard ran and none had an item
        failure = Failure("data_error", f"the data source has no items for track {task.track}")
    base = next((r.record for r in results if r.record is not None), None)
    startups = [r.record.startup_s for r in results if r.record is not None and r.record.startup_s is not None]
    record = ResultRecord(
        submission=task.submission, codec=base.codec if base else task.codec_name, track=task.track,
        profile=base.profile if base else task.profile, split=base.split if base else task.split_label,
        provenance="verified", synthetic=base.synthetic if base else task.synthetic,
        status="ok" if failure is None else "failed", summary=summary, failure=failure,
        fingerprint=base.fingerprint if base else None,  # frozen: the shards' machine, shared
        neural=base.neural if base else task.manifest.get("base") == "torch",
        startup_s=statistics.median(startups) if startups else None, manifest=dict(task.manifest),
        codec_info=dict(base.codec_info) if base else {},
        portable=None if failure is not None else merge_checks([r.record.portable if r.record else None
                                                                for r in results]),
    )
    return record, rows.drop(columns=[ORDER_COLUMN]).loc[:, list(ITEM_COLUMNS)]


