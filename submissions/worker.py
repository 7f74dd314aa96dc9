"""The queue worker: claim, load the frozen image, evaluate, record, mark.

One submission at a time:

1. :meth:`SubmissionQueue.claim` moves the oldest pending submission to
   ``loading`` under a lease that a heartbeat thread renews;
2. the image tar is loaded and checked (:func:`submissions.intake.load_image`:
   tar SHA-256, then the loaded image id against the digest frozen at queue
   time); a corrupt or mismatched tar ends ``failed`` with the reason;
3. ``running``: :func:`evaluator.evaluate.evaluate_image` on every track,
   writing records to the results store. Records are keyed by (submission,
   track, profile, split) and replace on rewrite, so a retry after a crash
   never duplicates them;
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
from typing import Any

from evaluator.data_source import resolve_source
from evaluator.evaluate import evaluate_image
from evaluator.hidden_splits import list_splits
from evaluator.profiles import PROFILES, ProfileUnavailable, grant
from evaluator.manifest import modes_near_lossless
from evaluator.tracks import offered_tracks, select_tracks
from submissions import states
from submissions.ingest import answer, ingest
from submissions.intake import ImageIntegrityError, describe_failures, load_image
from submissions.queue import DEFAULT_LEASE_S, LeaseLost, Submission, SubmissionQueue

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
    profiles: list[str] | None = None  # profiles this machine can grant; None: detect (see runnable_profiles)


def runnable_profiles() -> list[str]:
    """Hardware profiles this machine can run (``gpu-1`` only with a GPU)."""

    out = []
    for name, prof in PROFILES.items():
        try:
            grant(prof)
        except ProfileUnavailable:
            continue
        out.append(name)
    return out


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


def _tracks_for(sub: Submission, cfg: WorkerConfig) -> list[Any]:
    """The worker's tracks the submission asked for; a codec declaring near-lossless also gets the variants of
    the paper tracks among them, a lossless-only codec none (``evaluator.tracks.offered_tracks``)."""
    chosen = select_tracks(cfg.tracks)
    chosen = offered_tracks(chosen, near_lossless=modes_near_lossless(sub.manifest.get("modes")), add_variants=True)
    if sub.tracks:
        wanted = set(sub.tracks)
        chosen = [t for t in chosen if t.name in wanted or t.lossless_track in wanted]
    return chosen


class WorkerStopping(Exception):
    """Raised between items when the worker is asked to stop (SIGTERM to ``challenge admin serve``)."""


def _stop_check(stop: threading.Event | None) -> Callable[[Any], None] | None:
    """A progress callback that interrupts the evaluation at the next item once ``stop`` is set.

    The sandbox removes its containers and folders on the way out (``run_track``'s ``finally``)."""
    if stop is None:
        return None

    def check(_event: Any) -> None:
        if stop.is_set():
            raise WorkerStopping("the worker was asked to stop")

    return check


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
            image = load_image(Path(sub.image_tar or ""), image_id=sub.image_digest, tar_sha256=sub.tar_sha256,
                               tag=f"{SUBMISSION_REPOSITORY}:{sub.id.lower()[:128]}")
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
        groups: dict[str, list[Any]] = {}
        for track in tracks:
            groups.setdefault(cfg.data.spec_for(track.dataset), []).append(track)
        records: list[Any] = []
        for spec, group in groups.items():
            say(f"{sub.id}: evaluating {', '.join(t.name for t in group)} on {spec} ({profile})")
            records += evaluate_image(
                image, group, resolve_source(spec), profile, cfg.store, submission=sub.id,
                codec_name=sub.name, manifest=sub.manifest, show_logs=False,
                measure_image_size=cfg.measure_image_size, progress=_stop_check(stop),
            )
            if beat.lost:
                raise LeaseLost(f"lease on {sub.id} lost during evaluation")
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
               inbox: Any | None = None, notify: Notify | None = None,
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
    profiles = None if cfg.profile else (cfg.profiles if cfg.profiles is not None else runnable_profiles())
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
