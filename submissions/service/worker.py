"""The queue worker: claim, load the frozen image, evaluate, record, mark.

One submission at a time:

1. :meth:`SubmissionQueue.claim` moves the oldest pending submission to
   ``loading`` under a lease that a heartbeat thread renews;
2. the image tar is loaded and checked (:func:`submissions.evaluation.intake.load_image`:
   tar SHA-256, then the loaded image id against the digest frozen at queue
   time); a corrupt or mismatched tar ends ``failed`` with the reason;
3. ``running``: one :class:`submissions.evaluation.evaluation_task.EvaluationTask` per
   track (the tasks campaigns run), in this thread or on a Dask cluster
   (``WorkerConfig.dispatch``, :mod:`submissions.evaluation.task_dispatch`); the tasks
   write nothing, this worker writes each track's record once, as it comes
   back (a result Dask computed twice still comes back once). Records are
   keyed by (submission, track, profile, split) and replace on rewrite, so a retry after a crash never duplicates them;
4. ``finished`` when every track passed, else ``failed`` with the per-track
   reasons (the records of the tracks that passed stay in the store).

A worker killed mid-run stops renewing its lease; the next claim by any
worker moves the submission back to ``pending`` (attempt counted), and it
runs again from the start. Data: ``--data SPEC`` for every track, or a
per-dataset map; by default each track's dataset uses the organizer's
registered hidden split when there is one (DESIGN.md "Data"), else the
synthetic corpus.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from evaluator.core.manifest import modes_near_lossless
from evaluator.core.tracks import Track, offered_tracks, select_tracks
from evaluator.data.data_source import resolve_source
from evaluator.data.hidden_splits import list_splits
from evaluator.results.records import ResultRecord, ResultStore
from submissions.evaluation.evaluation_task import EvaluationTask, TaskResult, needs_gpu, record_result
from submissions.evaluation.intake import ImageIntegrityError, describe_failures, load_image
from submissions.evaluation.task_dispatch import Dispatch, LocalDispatch, WorkerStopping
from submissions.inbox.inbox import Inbox
from submissions.inbox.ingest import answer, ingest
from submissions.queue import states
from submissions.queue.submission_queue import DEFAULT_LEASE_S, LeaseLost, Submission, SubmissionQueue

log = logging.getLogger(__name__)

Notify = Callable[[str], None]
SUBMISSION_REPOSITORY = "astrocompress/submission"  # loaded submission images are tagged <repo>:<submission id>


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class DataPlan:
    """Which data source each dataset is evaluated on."""

    default: str | None = None  # one spec for every dataset (``--data``)
    per_dataset: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path) -> DataPlan:
        """A JSON object ``{"GBI-16-2D": "hidden:keck-2026", "*": "synthetic"}``."""
        raw = json.loads(Path(path).read_text())
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise ValueError(f"{path}: expected a JSON object mapping dataset names to data specs")
        default = raw.pop("*", None)
        return cls(default=default, per_dataset=raw)

    def spec_for(self, dataset: str) -> str:
        if dataset in self.per_dataset:
            return self.per_dataset[dataset]
        if self.default:
            return self.default

        hidden = sorted(m.name for m in list_splits() if m.dataset == dataset)
        return f"hidden:{hidden[0]}" if hidden else "synthetic"


@dataclass
class WorkerConfig:
    store: str  # results store URL
    data: DataPlan = field(default_factory=DataPlan)
    tracks: str = "all"  # organizer's choice; a submission's own track list narrows it
    profile: str | None = None  # None: the manifest's profile (cpu-1 by default)
    worker_id: str = field(default_factory=default_worker_id)
    lease_s: float = DEFAULT_LEASE_S
    poll_s: float = 2.0
    measure_image_size: bool = True  # docker save | gzip of each new image (DESIGN.md "Measurement")
    profiles: list[str] | None = None  # profiles to claim; None: what ``dispatch`` can run
    dispatch: Dispatch = field(default_factory=LocalDispatch)  # this thread, or a Dask cluster (--scheduler)


class _Heartbeat(threading.Thread):
    """Renews the lease every lease/3 seconds until stopped or the lease is lost."""

    def __init__(self, queue: SubmissionQueue, sid: str, cfg: WorkerConfig) -> None:
        super().__init__(name=f"heartbeat-{sid}", daemon=True)
        self.queue, self.sid, self.cfg = queue, sid, cfg
        self.stop_event = threading.Event()
        self.lost = False

    def run(self) -> None:
        while not self.stop_event.wait(max(self.cfg.lease_s / 3, 0.2)):
            try:
                self.queue.heartbeat(self.sid, self.cfg.worker_id, lease_s=self.cfg.lease_s)
            except LeaseLost:
                log.error("lost the lease on %s; its result will be discarded", self.sid)
                self.lost = True
                return
            except Exception:
                log.exception("heartbeat for %s failed; retrying", self.sid)


def _tracks_for(sub: Submission, cfg: WorkerConfig) -> list[Track]:
    """The worker's tracks the submission asked for; a codec declaring near-lossless also gets the variants of
    the paper tracks among them, a lossless-only codec none (``evaluator.core.tracks.offered_tracks``)."""
    chosen = select_tracks(cfg.tracks)
    chosen = offered_tracks(chosen, near_lossless=modes_near_lossless(sub.manifest.get("modes")), add_variants=True)
    if sub.tracks:
        wanted = set(sub.tracks)
        chosen = [t for t in chosen if t.name in wanted or t.lossless_track in wanted]
    return chosen


def _stop_check(stop: threading.Event | None) -> Callable[[str], None] | None:
    """A progress callback that interrupts the evaluation at the next item once ``stop`` is set.

    The sandbox removes its containers and folders on the way out (``run_track``'s ``finally``)."""
    if stop is None:
        return None

    def check(_event: str) -> None:
        if stop.is_set():
            raise WorkerStopping("the worker was asked to stop")

    return check


def evaluation_tasks(sub: Submission, cfg: WorkerConfig, tracks: list[Track], profile: str) -> list[EvaluationTask]:
    """One unsharded task per track of ``sub`` (its frozen image, loaded), on each track's data spec."""
    labels: dict[str, tuple[str, bool]] = {}
    tasks = []
    for track in tracks:
        spec = cfg.data.spec_for(track.dataset)
        if spec not in labels:  # resolved here once: the synthetic corpus is made before any task runs
            src = resolve_source(spec)
            labels[spec] = (str(src.label), bool(src.synthetic))
        tasks.append(EvaluationTask(
            submission=sub.id, codec_name=sub.name, image=sub.image, track=track.name, shard_index=0, shard_count=1,
            needs_gpu=needs_gpu(profile, sub.manifest), profile=profile, data_spec=spec,
            split_label=labels[spec][0], synthetic=labels[spec][1], manifest=dict(sub.manifest),
            image_tar=sub.image_tar, tar_sha256=sub.tar_sha256, image_tag=submission_tag(sub.id),
            measure_image_size=cfg.measure_image_size,
        ))
    return tasks


def submission_tag(submission_id: str) -> str:
    """The tag a loaded submission image gets: ``<SUBMISSION_REPOSITORY>:<submission id>``."""
    return f"{SUBMISSION_REPOSITORY}:{submission_id.lower()[:128]}"


def process(queue: SubmissionQueue, sub: Submission, cfg: WorkerConfig, notify: Notify | None = None,
            stop: threading.Event | None = None) -> Submission:
    """Run one claimed submission (state ``loading``) to a final state.

    With ``stop`` set meanwhile, the evaluation is interrupted at the next
    item and the submission given back to the queue (pending, the attempt not
    counted); it runs again from the start, replacing any record written so far.
    """
    say = notify or (lambda m: log.info("%s", m))
    beat = _Heartbeat(queue, sub.id, cfg)
    beat.start()
    try:
        try:
            image = load_image(Path(sub.image_tar or ""), image_id=sub.image.run_ref, tar_sha256=sub.tar_sha256,
                               tag=submission_tag(sub.id))
        except ImageIntegrityError as exc:
            say(f"{sub.id}: failed: {exc}")
            return queue.transition(sub.id, states.FAILED, f"image rejected: {exc}", owner=cfg.worker_id)
        queue.transition(sub.id, states.RUNNING, f"image {image[:19]}... loaded and verified; evaluating",
                         owner=cfg.worker_id)
        tracks = _tracks_for(sub, cfg)
        if not tracks:
            return queue.transition(sub.id, states.FAILED, f"no track to evaluate (worker tracks {cfg.tracks!r}, "
                                    f"submission tracks {sub.tracks})", owner=cfg.worker_id)
        profile = cfg.profile or str(sub.manifest.get("profile") or "cpu-1")
        tasks = evaluation_tasks(sub, cfg, tracks, profile)
        for spec in dict.fromkeys(t.data_spec for t in tasks):
            names = ", ".join(t.track for t in tasks if t.data_spec == spec)
            say(f"{sub.id}: evaluating {names} on {spec} ({profile}, {cfg.dispatch.where})")

        def check_lease() -> None:
            if beat.lost:
                raise LeaseLost(f"lease on {sub.id} lost during evaluation")

        store = ResultStore(cfg.store)
        records: list[ResultRecord] = []

        def record(res: TaskResult) -> None:  # each track as it comes back, by the lease holder, once
            if (rec := record_result(store, res)) is not None:
                records.append(rec)

        cfg.dispatch.run(tasks, progress=_stop_check(stop), stop=stop, check_lease=check_lease, on_result=record)
        failures = describe_failures(records)
        if failures:
            reason = "; ".join(failures)
            say(f"{sub.id}: failed: {reason}")
            return queue.transition(sub.id, states.FAILED, reason[:2000], owner=cfg.worker_id)
        say(f"{sub.id}: finished ({len(records)} track records)")
        return queue.transition(sub.id, states.FINISHED, f"evaluated {len(records)} tracks on profile {profile}",
                                owner=cfg.worker_id)
    except LeaseLost:
        raise
    except WorkerStopping:
        say(f"{sub.id}: stopping; given back to the queue")
        return queue.release(sub.id, cfg.worker_id, "the worker stopped (service shutdown); will run again")
    except Exception as exc:
        log.exception("worker error on %s", sub.id)
        current = queue.get(sub.id)
        if current.lease_owner != cfg.worker_id or current.terminal:
            raise
        if current.attempts >= queue.max_attempts:
            return queue.transition(sub.id, states.FAILED, f"worker error after {current.attempts} attempts: "
                                    f"{exc.__class__.__name__}: {exc}", owner=cfg.worker_id)
        return queue.transition(sub.id, states.PENDING, f"worker error, will retry: {exc.__class__.__name__}: {exc}",
                                owner=cfg.worker_id)
    finally:
        beat.stop_event.set()
        beat.join(timeout=5)


def run_worker(queue: SubmissionQueue, cfg: WorkerConfig, *, once: bool = False,
               inbox: Inbox | None = None, notify: Notify | None = None,
               stop: threading.Event | None = None) -> list[Submission]:
    """Process submissions until stopped; with ``once``, until the queue is drained.

    Draining waits for submissions held by other (possibly dead) workers:
    their leases either get renewed until they finish, or expire and the
    submission comes back here as pending.
    """

    say = notify or (lambda m: log.info("%s", m))
    done: list[Submission] = []
    stop = stop or threading.Event()
    # With a profile override every submission runs on it; otherwise claim only what this machine can run.
    profiles = None if cfg.profile else (cfg.profiles if cfg.profiles is not None else cfg.dispatch.profiles())
    if profiles is not None:
        say(f"claiming submissions for profiles: {', '.join(profiles)}")
    while not stop.is_set():
        if inbox is not None:
            rep = answer(inbox, queue, cfg.store, ingest(inbox, queue))
            for sid in rep.accepted:
                say(f"ingested {sid}")
            for rid, reason in rep.rejected:
                say(f"rejected request {rid}: {reason}")
            for rid, state in rep.answered:
                say(f"answered request {rid}: {state}")
        sub = queue.claim(cfg.worker_id, lease_s=cfg.lease_s, profiles=profiles)
        if sub is not None:
            say(f"{sub.id}: claimed ({sub.participant}/{sub.name}, attempt {sub.attempts})")
            try:
                done.append(process(queue, sub, cfg, notify, stop))
            except LeaseLost as exc:
                say(f"{sub.id}: {exc}")
            continue
        if once:
            counts = queue.counts()
            if counts[states.LOADING] + counts[states.RUNNING] == 0:
                if counts[states.PENDING]:
                    say(f"{counts[states.PENDING]} pending submission(s) need a profile this machine cannot run")
                break
        stop.wait(cfg.poll_s)
    return done
