"""One evaluation task: one codec image on one track (or one shard of it), picklable, writing nothing.

The queue worker (:mod:`submissions.service.worker`, ``challenge admin serve``) and
the organizer campaigns (:mod:`submissions.campaign.campaign`) both cut their work into
:class:`EvaluationTask` s and run each with :func:`evaluate_task`, in the
worker's own thread or on a Dask worker (:func:`run_task`, which never
raises). A task returns its record and per-item rows (:class:`TaskResult`)
and writes nothing to the results store: the one process that dispatched it
writes each result once, so a task Dask runs again after its worker died
cannot leave a record behind twice.

A shard of a track is the items whose position ``i`` in the track's
(deterministic) item order has ``i % shard_count == shard_index``
(:class:`ShardSource`); the queue runs whole tracks (shard 0 of 1).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import pandas as pd

from evaluator.core.failures import CodecFailure
from evaluator.core.json_types import JsonObject
from evaluator.core.schema import ItemRow
from evaluator.core.tracks import Track, get_track
from evaluator.data.data_source import DataSource, DataSpecError, resolve_source
from evaluator.data.items import Item
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ITEM_COLUMNS, Failure, ResultRecord, ResultStore, item_frame
from evaluator.run.evaluate import ImageRun, Progress, evaluate_image
from evaluator.sandbox.docker_engine import docker_client
from evaluator.sandbox.profiles import get_profile
from submissions.evaluation.intake import ImageIntegrityError, load_image

log = logging.getLogger(__name__)

ORDER_COLUMN = "_item_index"  # position of the item in the whole track (merge key; never stored)
# Failure kind for a task that raised (the evaluator, the engine or Dask failed, not the codec):
# evaluator.core.failures.FAILURE_KINDS["evaluator_error"], a platform fault.
TASK_ERROR_KIND = "evaluator_error"

# Cores this worker process may hand to its containers (set by the local cluster's CoreSlots plugin).
SLOT_CPUS: list[int] | None = None


class SubmitOptions(TypedDict, total=False):
    """``distributed.Client.submit`` keyword arguments of one task."""

    key: str
    retries: int
    pure: bool
    resources: dict[str, int]


@dataclass(frozen=True)
class EvaluationTask:
    """One (codec image, track, shard) unit of evaluation; picklable, sent to a Dask worker."""

    submission: str  # submission id or ``baseline-<codec>``
    codec_name: str
    image: ImageIdentity  # frozen by the planner (the queue's, a baseline's build); Docker runs its id
    track: str
    shard_index: int
    shard_count: int
    needs_gpu: bool
    profile: str
    data_spec: str  # resolved again on the worker (``evaluator.data.data_source.resolve_source``)
    split_label: str  # the data source's label (the record's ``split``)
    synthetic: bool
    manifest: JsonObject = field(default_factory=dict, hash=False, compare=False)
    # submissions only: how to load the frozen image on a worker whose engine lacks it
    image_tar: str | None = None
    tar_sha256: str | None = None
    image_tag: str | None = None
    measure_image_size: bool = False  # measure ``docker save | gzip`` in the task (the queue's unsharded runs)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], digests: Mapping[str, str] | None = None) -> EvaluationTask:
        """A task as ``dataclasses.asdict`` wrote it (a campaign log). Logs from before the identity was
        carried name the image by reference (``image``, ``image_compressed_size``; ``digests``: ref -> id)."""
        d = dict(data)
        image, size = d.pop("image"), d.pop("image_compressed_size", None)
        if isinstance(image, Mapping):
            identity = ImageIdentity.from_json(image)
        else:
            resolved = (digests or {}).get(str(image), str(image))
            identity = ImageIdentity(digest=resolved, id=resolved if resolved.startswith("sha256:") else None,
                                     ref=str(image), compressed_size_bytes=size if isinstance(size, int) else None)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(image=identity, **{k: v for k, v in d.items() if k in known})

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


def needs_gpu(profile: str, manifest: JsonObject) -> bool:
    """A task on ``profile`` for a codec with ``manifest`` needs a GPU worker."""
    return get_profile(profile).gpus > 0 or bool(manifest.get("gpu"))


def submit_kwargs(task: EvaluationTask, retries: int = 1) -> SubmitOptions:
    """``Client.submit`` keyword arguments for ``task``: key, retries, ``resources={"GPU": 1}`` for GPU work."""
    kwargs = SubmitOptions(key=task.key, retries=retries, pure=False)
    if task.resources:
        kwargs["resources"] = task.resources
    return kwargs


class ShardSource:
    """The items of ``source`` at positions ``i`` with ``i % count == index``, in the source's order.

    Label, revision and flags are the source's, so a shard's record describes
    the same split as an unsharded run. ``positions[track]`` lists, in yield
    order, the whole-track position of every item handed out.
    """

    def __init__(self, source: DataSource, index: int, count: int) -> None:
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
class TaskResult:
    """What a task sends back: its rows (with :data:`ORDER_COLUMN`) and its record, written by the caller."""

    task: EvaluationTask
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

    def stored_rows(self) -> pd.DataFrame:
        """The rows as the results store keeps them (no merge column)."""
        return self.rows.drop(columns=[ORDER_COLUMN], errors="ignore").loc[:, list(ITEM_COLUMNS)]


class _Capture:
    """A stand-in results store that keeps what the evaluator would write (the task writes nothing)."""

    def __init__(self) -> None:
        self.written: list[tuple[ResultRecord, pd.DataFrame | None]] = []

    def write(self, record: ResultRecord, items: Sequence[ItemRow]) -> str:
        self.written.append((record, item_frame(items)))
        return record.key


def ensure_image(task: EvaluationTask) -> None:
    """Load a submission's frozen tar when this worker's engine lacks the image (remote workers)."""
    if not task.image_tar:
        return
    import docker  # noqa: PLC0415

    try:
        docker_client().images.get(task.image.run_ref)
        return
    except docker.errors.ImageNotFound:
        pass

    load_image(Path(task.image_tar), image_id=task.image.run_ref, tar_sha256=task.tar_sha256, tag=task.image_tag)


def error_failure(exc: BaseException) -> Failure:
    """The failure a task that raised ``exc`` reports (a codec's failure keeps its kind)."""
    if isinstance(exc, CodecFailure):
        return Failure(exc.kind, str(exc))
    if isinstance(exc, ImageIntegrityError):
        return Failure("image_error", f"image rejected: {exc}")
    if isinstance(exc, DataSpecError):
        return Failure("data_error", f"cannot open the data: {exc}")
    return Failure(TASK_ERROR_KIND, f"the evaluation task raised {exc.__class__.__name__}: {exc} "
                   "(an evaluator or infrastructure error, not a verdict on the codec; fix it and re-run)")


def _worker_name() -> str:
    try:
        from distributed import get_worker  # noqa: PLC0415

        return str(get_worker().name)
    except Exception:  # noqa: BLE001  (run outside Dask: the queue worker's own thread, a test)
        return "local"


def evaluate_task(task: EvaluationTask, progress: Progress | None = None) -> TaskResult:
    """Evaluate ``task`` here and return its result; writes nothing. Raises what the evaluator raises.

    ``progress`` sees the evaluator's events (the queue worker's stop check raises from it).
    """
    if SLOT_CPUS:
        os.sched_setaffinity(0, SLOT_CPUS)  # this thread; evaluator.sandbox.profiles.grant reads it
    t0 = time.perf_counter()
    ensure_image(task)
    shard = ShardSource(resolve_source(task.data_spec), task.shard_index, task.shard_count)
    track = get_track(task.track)
    capture = _Capture()
    records = evaluate_image(ImageRun(
        task.image, [track], shard, task.profile, capture, submission=task.submission,
        codec_name=task.codec_name, manifest=task.manifest, show_logs=False, progress=progress,
        measure_image_size=task.measure_image_size,
    ))
    worker = _worker_name()
    if not capture.written and not records:  # the codec does not take this track (a lossless-only codec)
        return TaskResult(task, pd.DataFrame(columns=[*ITEM_COLUMNS, ORDER_COLUMN]), None,
                          wall_s=time.perf_counter() - t0, worker=worker, empty=True)
    record, rows = capture.written[-1] if capture.written else (records[-1], None)
    rows = rows.copy() if rows is not None else pd.DataFrame(columns=list(ITEM_COLUMNS))
    positions = shard.positions.get(track.name, [])
    rows[ORDER_COLUMN] = positions[: len(rows)]  # rows come out in yield order, one per item reached
    empty = shard.is_empty(track.name) and record.failure is not None and record.failure.kind == "data_error"
    return TaskResult(task, rows, None if empty else record, wall_s=time.perf_counter() - t0, worker=worker,
                      empty=empty)


def run_task(task: EvaluationTask) -> TaskResult:
    """:func:`evaluate_task` on a Dask worker: never raises (an error is the result's ``error``)."""
    t0 = time.perf_counter()
    try:
        return evaluate_task(task)
    except Exception as exc:  # noqa: BLE001  (one task's error must not stop the others)
        log.exception("evaluation task %s raised", task.key)
        return TaskResult(task, pd.DataFrame(columns=[*ITEM_COLUMNS, ORDER_COLUMN]), None,
                          error=error_failure(exc), wall_s=time.perf_counter() - t0, worker=_worker_name())


def record_result(store: ResultStore, res: TaskResult) -> ResultRecord | None:
    """Write one result's record and rows (None: an empty shard, the codec does not take this track)."""
    if res.record is None:
        return None
    store.write(res.record, res.stored_rows())
    return res.record


def failed_task(task: EvaluationTask, failure: Failure) -> TaskResult:
    """A task that never ran (no GPU worker, Dask gave up on it)."""
    return TaskResult(task, pd.DataFrame(columns=[*ITEM_COLUMNS, ORDER_COLUMN]), None, error=failure)
