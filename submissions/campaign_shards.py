"""One shard of an organizer campaign: the task, its data view, its run, and the merge.

DESIGN.md "Results, queue, publishing": a campaign fans out (submission x
track x shard) tasks. A shard of a track is the items whose position ``i``
in the track's (deterministic) item order has ``i % shard_count ==
shard_index`` (:class:`ShardSource`). :func:`run_shard` runs on a Dask worker:
it evaluates one shard in the sandbox and returns the per-item rows and the
partial record, writing nothing to the results store, so a shard that Dask
retries cannot leave anything behind. :func:`merge_shards` is the reduce step:
rows back in item order, the summary recomputed with
:func:`evaluator.metrics.track_summary` over all the items, exactly as one
unsharded run computes it (``evaluator.evaluate._record``).
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd

from evaluator.data_source import DataSpecError, resolve_source
from evaluator.docker_engine import docker_client
from evaluator.evaluate import evaluate_image
from evaluator.failures import CodecFailure
from evaluator.items import Item
from evaluator.metrics import track_summary
from evaluator.portability import merge_checks
from evaluator.records import ITEM_COLUMNS, Failure, ResultRecord
from evaluator.tracks import Track, get_track
from submissions.intake import ImageIntegrityError, load_image

log = logging.getLogger(__name__)

ORDER_COLUMN = "_item_index"  # position of the item in the whole track (merge key; never stored)
# Failure kind for a task that raised (the evaluator, the engine or Dask failed, not the codec):
# evaluator.failures.FAILURE_KINDS["evaluator_error"], a platform fault.
TASK_ERROR_KIND = "evaluator_error"

# Cores this worker process may hand to its containers (set by the local cluster's CoreSlots plugin).
_SLOT_CPUS: list[int] | None = None


@dataclass(frozen=True)
class CampaignTask:
    """One (submission, track, shard) unit of a campaign; picklable, sent to a Dask worker."""

    submission: str  # submission id or ``baseline-<codec>``
    codec_name: str
    image: str  # what Docker runs: an image id (sha256:...) or a tag
    track: str
    shard_index: int
    shard_count: int
    needs_gpu: bool
    profile: str
    data_spec: str  # resolved again on the worker (``evaluator.data_source.resolve_source``)
    split_label: str  # the data source's label (the record's ``split``)
    synthetic: bool
    manifest: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    image_compressed_size: int | None = None
    # submissions only: how to load the frozen image on a worker whose engine lacks it
    image_tar: str | None = None
    tar_sha256: str | None = None
    image_tag: str | None = None

    @property
    def key(self) -> str:
        """A Dask key, unique per (submission, track, profile, shard)."""
        return f"campaign-{self.submission}-{self.track}-{self.profile}-{self.shard_index}of{self.shard_count}"

    @property
    def group(self) -> tuple[str, str]:
        """The (submission, track) whose shards merge into one record."""
        return (self.submission, self.track)

    @property
    def resources(self) -> dict[str, int] | None:
        """Dask worker resources: GPU tasks only run on workers started with ``--resources GPU=1``."""
        return {"GPU": 1} if self.needs_gpu else None


class ShardSource:
    """The items of ``source`` at positions ``i`` with ``i % count == index``, in the source's order.

    Label, revision and flags are the source's, so a shard's record describes
    the same split as an unsharded run. ``positions[track]`` lists, in yield
    order, the whole-track position of every item handed out.
    """

    def __init__(self, source: Any, index: int, count: int) -> None:
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"shard {index} of {count}: need count >= 1 and 0 <= index < count")
        self.source, self.index, self.count = source, index, count
        self.label = str(getattr(source, "label", "unknown"))
        self.synthetic = bool(getattr(source, "synthetic", False))
        self.hidden = bool(getattr(source, "hidden", False))
        self.revision = str(getattr(source, "revision", ""))
        self.positions: dict[str, list[int]] = {}
        self.exhausted: set[str] = set()  # tracks whose whole item stream was read

    def iter_items(self, track: Track) -> Iterator[Item]:
        seen = self.positions.setdefault(track.name, [])
        seen.clear()
        self.exhausted.discard(track.name)
        for i, item in enumerate(self.source.iter_items(track)):
            if i % self.count == self.index:
                seen.append(i)
                yield item
        self.exhausted.add(track.name)

    def is_empty(self, track: str) -> bool:
        """True when the track was read to its end and this shard got no item (more shards than items)."""
        return track in self.exhausted and not self.positions.get(track)


@dataclass
class ShardResult:
    """What a worker sends back: the shard's rows (with :data:`ORDER_COLUMN`) and its partial record."""

    task: CampaignTask
    rows: pd.DataFrame
    record: ResultRecord | None  # None when the task raised before the evaluator made one
    error: Failure | None = None  # the task itself raised
    wall_s: float = 0.0
    worker: str = ""
    empty: bool = False  # the shard had no items (more shards than items): neither ok nor failed

    @property
    def failure(self) -> Failure | None:
        if self.empty:
            return None
        if self.error is not None:
            return self.error
        return self.record.failure if self.record is not None else None


class _Capture:
    """A stand-in results store that keeps what the evaluator would write (the task writes nothing)."""

    def __init__(self) -> None:
        self.written: list[tuple[ResultRecord, pd.DataFrame | None]] = []

    def write(self, record: ResultRecord, items: pd.DataFrame | None = None) -> str:
        self.written.append((record, items))
        return record.key


def _ensure_image(task: CampaignTask) -> None:
    """Load a submission's frozen tar when this worker's engine lacks the image (remote workers)."""
    if not task.image_tar:
        return
    import docker  # noqa: PLC0415


    try:
        docker_client().images.get(task.image)
        return
    except docker.errors.ImageNotFound:
        pass

    load_image(Path(task.image_tar), image_id=task.image, tar_sha256=task.tar_sha256, tag=task.image_tag)


def _error_failure(exc: BaseException) -> Failure:
    if isinstance(exc, CodecFailure):
        return Failure(exc.kind, str(exc))
    if isinstance(exc, ImageIntegrityError):
        return Failure("image_error", f"image rejected: {exc}")
    if isinstance(exc, DataSpecError):
        return Failure("data_error", f"cannot open the data: {exc}")
    return Failure(TASK_ERROR_KIND, f"the evaluation task raised {exc.__class__.__name__}: {exc} "
                   "(an evaluator or infrastructure error, not a verdict on the codec; fix it and re-run the campaign)")


def _worker_name() -> str:
    try:
        from distributed import get_worker  # noqa: PLC0415

        return str(get_worker().name)
    except Exception:  # noqa: BLE001  (run outside Dask, e.g. in a test)
        return "local"


def run_shard(task: CampaignTask) -> ShardResult:
    """Evaluate one shard on this worker; never raises, never writes to the results store."""

    if _SLOT_CPUS:
        os.sched_setaffinity(0, _SLOT_CPUS)  # this thread; evaluator.profiles.grant reads it
    t0 = time.perf_counter()
    worker = _worker_name()
    try:
        _ensure_image(task)
        shard = ShardSource(resolve_source(task.data_spec), task.shard_index, task.shard_count)
        track = get_track(task.track)
        capture = _Capture()
        records = evaluate_image(
            task.image, [track], shard, task.profile, cast(Any, capture), submission=task.submission,
            codec_name=task.codec_name, manifest=task.manifest, show_logs=False,
            image_compressed_size=task.image_compressed_size, measure_image_size=False,
        )
        record, rows = capture.written[-1] if capture.written else (records[-1], None)
        rows = rows.copy() if rows is not None else pd.DataFrame(columns=list(ITEM_COLUMNS))
        positions = shard.positions.get(track.name, [])
        rows[ORDER_COLUMN] = positions[: len(rows)]  # rows come out in yield order, one per item reached
        empty = shard.is_empty(track.name) and record.failure is not None and record.failure.kind == "data_error"
        return ShardResult(task, rows, None if empty else record, wall_s=time.perf_counter() - t0, worker=worker,
                           empty=empty)
    except Exception as exc:  # noqa: BLE001  (one task's error must not stop the campaign)
        log.exception("campaign task %s raised", task.key)
        return ShardResult(task, pd.DataFrame(columns=[*ITEM_COLUMNS, ORDER_COLUMN]), None,
                           error=_error_failure(exc), wall_s=time.perf_counter() - t0, worker=worker)


def failed_shard(task: CampaignTask, failure: Failure) -> ShardResult:
    """A shard that never ran (no GPU worker, Dask gave up on it)."""
    return ShardResult(task, pd.DataFrame(columns=[*ITEM_COLUMNS, ORDER_COLUMN]), None, error=failure)


def _first_failure(results: list[ShardResult]) -> Failure | None:
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


def merge_shards(results: list[ShardResult]) -> tuple[ResultRecord, pd.DataFrame]:
    """The reduce step: one record and its item table from every shard of one (submission, track).

    Rows are concatenated in whole-track item order; the summary is
    recomputed over every item; the record fails when any shard failed,
    carrying the failure earliest in item order. Startup time is the median
    over the shards (each shard starts its own containers); each shard ran
    its own portable-decode check (``evaluator.portability.merge_checks``).
    """

    if not results:
        raise ValueError("merge_shards needs at least one shard result")
    results = sorted(results, key=lambda r: r.task.shard_index)
    task = results[0].task
    frames = [r.rows for r in results if len(r.rows)]
    rows = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*ITEM_COLUMNS, ORDER_COLUMN]))
    rows = rows.sort_values(ORDER_COLUMN, kind="stable").reset_index(drop=True)
    failure = _first_failure(results)
    summary = track_summary(rows.to_dict("records"), failed=failure is not None)
    if failure is None and not (rows["status"] == "ok").any():  # every shard ran and none had an item
        failure = Failure("data_error", f"the data source has no items for track {task.track}")
    base = next((r.record for r in results if r.record is not None), None)
    startups = [r.record.startup_s for r in results if r.record is not None and r.record.startup_s is not None]
    record = ResultRecord(
        submission=task.submission, codec=base.codec if base else task.codec_name, track=task.track,
        profile=base.profile if base else task.profile, split=base.split if base else task.split_label,
        provenance="verified", synthetic=base.synthetic if base else task.synthetic,
        status="ok" if failure is None else "failed", summary=summary, failure=failure,
        fingerprint=dict(base.fingerprint) if base else {}, image_digest=base.image_digest if base else None,
        neural=base.neural if base else task.manifest.get("base") == "torch",
        startup_s=statistics.median(startups) if startups else None, manifest=dict(task.manifest),
        codec_info=dict(base.codec_info) if base else {},
        portable=None if failure is not None else merge_checks([r.record.portable if r.record else None
                                                                for r in results]),
    )
    return record, rows.drop(columns=[ORDER_COLUMN]).loc[:, list(ITEM_COLUMNS)]


