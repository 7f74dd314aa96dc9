"""The organizer's unattended service behind ``challenge admin serve``.

One process, one queue; each cycle (``cycle_s``):

1. the hosted inbox is ingested and answered (:mod:`submissions.inbox.ingest`);
2. images of submissions in a final state are removed from the engine (the
   saved image tar next to the queue stays, so a campaign can load it again);
3. the service's heartbeat is recorded beside the queue
   (:mod:`submissions.service.service_heartbeat`: coarse, so an idle queue's snapshot
   does not change on every publish), then every ``publish_every_s`` the
   results are published (the ``publish`` callable: the CLI hands in
   ``leaderboard.publish.publish.publish``, whose queue snapshot carries the heartbeat);
4. one health line is logged: the queue's counts, workers alive, the last publish.

Meanwhile ``workers`` threads each run the ordinary worker loop
(:func:`submissions.service.worker.run_worker`, worker id ``<host>-<pid>-w<i>``);
their evaluations take disjoint cores (``evaluator.sandbox.cpu_lease``). With
``scheduler`` (``--scheduler ADDRESS``) each thread sends its submission's
evaluation tasks to that Dask cluster instead (:mod:`submissions.evaluation.task_dispatch`,
as campaigns do): ``workers`` is then how many submissions are in flight.

Stopping and crashing (DESIGN.md "a job that dies mid-run is retried without
duplicating or losing results"):

- ``stop`` set (SIGTERM): workers interrupt their evaluation at the next item
  and give the submission back (pending, attempt not counted); after at most
  ``stop_timeout_s`` whatever is still held is given back the same way; the
  inbox is answered and the results published one last time;
- killed outright (SIGKILL, power loss): at the next start the leases of this
  host's dead workers expire at once (``SubmissionQueue.expire_leases``, the
  attempt counted, as for any lost worker), and the codec containers they
  left (containers of this queue's images, evaluator label) are removed; run
  folders are reaped by the sandbox itself. Records are keyed by (submission,
  track, profile, split), so a rerun replaces, never duplicates.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from evaluator.core import settings
from evaluator.sandbox.docker_engine import docker_client
from evaluator.sandbox.policy import LABEL
from evaluator.sandbox.workspace import reap_stale_workspaces
from submissions.evaluation.task_dispatch import DaskDispatch, connect
from submissions.inbox.inbox import Inbox
from submissions.inbox.ingest import answer, ingest
from submissions.queue import states
from submissions.queue.submission_queue import LeaseLost, SubmissionQueue, iso_time
from submissions.service.service_heartbeat import ServiceSeen, queue_busy, record_seen
from submissions.service.worker import SUBMISSION_REPOSITORY, WorkerConfig, run_worker

log = logging.getLogger(__name__)

Say = Callable[[str], None]
Publish = Callable[[], str]  # publishes; returns a one-line report


@dataclass
class ServiceConfig:
    workers: int = 1
    cycle_s: float = 10.0  # ingest, prune and health line this often
    publish_every_s: float = 600.0
    prune_images: bool = True
    stop_timeout_s: float = 60.0  # after SIGTERM, how long in-flight work may take to hand itself back
    scheduler: str | None = None  # a Dask scheduler address: evaluations run on its cluster


def worker_ids(n: int, pid: int | None = None) -> list[str]:
    base = f"{socket.gethostname()}-{pid or os.getpid()}"
    return [f"{base}-w{i}" for i in range(n)]


def _dead_local_owner(owner: str) -> bool:
    """``owner`` is a worker id of this host whose process is gone (``<host>-<pid>[-w<i>]``)."""
    host = socket.gethostname()
    if not owner.startswith(host + "-"):
        return False
    pid_text = owner[len(host) + 1:].split("-")[0]
    if not pid_text.isdigit():
        return False
    pid = int(pid_text)
    return pid != os.getpid() and not psutil.pid_exists(pid)


class Service:
    """``challenge admin serve``: run :meth:`run` until ``stop`` is set."""

    def __init__(self, queue: SubmissionQueue, worker: WorkerConfig, cfg: ServiceConfig, *,
                 inbox: Inbox | None = None, publish: Publish | None = None, say: Say | None = None) -> None:
        self.queue, self.worker, self.cfg = queue, worker, cfg
        self.inbox, self.publish = inbox, publish
        self.say = say or (lambda m: log.info("%s", m))
        self.stop = threading.Event()
        self.ids = worker_ids(cfg.workers)
        self.threads: dict[str, threading.Thread] = {}
        self.last_publish: float | None = None
        self.last_publish_note = "never"
        self.dask: DaskDispatch | None = None

    # -- start ------------------------------------------------------------------
    def recover(self) -> None:
        """Undo what a killed predecessor left: its leases, its codec containers."""
        owners = sorted({s.lease_owner for s in self.queue.submissions() if s.state in states.ACTIVE
                         and s.lease_owner and _dead_local_owner(s.lease_owner)})
        for sid in self.queue.expire_leases(owners):
            self.say(f"recovered {sid} from a worker that died ({self.queue.get(sid).state})")
        self._remove_orphan_containers()
        reap_stale_workspaces(Path(settings.run_dir() or tempfile.gettempdir()))  # their run folders and mounts

    def _remove_orphan_containers(self) -> None:
        digests = {s.image_digest for s in self.queue.submissions()}
        try:
            client = docker_client()
            for c in client.api.containers(all=True, filters={"label": LABEL}):
                if c.get("ImageID") in digests:
                    client.api.remove_container(c["Id"], force=True)
                    self.say(f"removed container {c['Id'][:12]} left by a worker that died")
        except Exception as exc:  # noqa: BLE001  (cleanup must not stop the service)
            log.warning("could not look for orphaned codec containers: %s", exc)

    def _worker_main(self, wid: str) -> None:
        cfg = dataclasses.replace(self.worker, worker_id=wid)
        while not self.stop.is_set():
            try:
                run_worker(self.queue, cfg, stop=self.stop, notify=lambda m: self.say(f"[{wid}] {m}"))
            except Exception:
                log.exception("worker %s crashed; restarting it in 5 s", wid)
                self.stop.wait(5.0)

    def _start_workers(self) -> None:
        for wid in self.ids:
            t = self.threads.get(wid)
            if t is None or not t.is_alive():
                t = threading.Thread(target=self._worker_main, args=(wid,), name=f"worker-{wid}", daemon=True)
                t.start()
                self.threads[wid] = t

    # -- each cycle -------------------------------------------------------------
    def _inbox(self) -> None:
        if self.inbox is None:
            return
        try:
            rep = answer(self.inbox, self.queue, self.worker.store, ingest(self.inbox, self.queue))
        except Exception as exc:  # noqa: BLE001  (the Hub may be down: next cycle)
            self.say(f"inbox {self.inbox.url}: {type(exc).__name__}: {exc}; retrying next cycle")
            return
        for sid in rep.accepted:
            self.say(f"ingested {sid}")
        for rid, reason in rep.rejected:
            self.say(f"rejected request {rid}: {reason}")
        for rid, state in rep.answered:
            self.say(f"answered and closed request {rid}: {state}")

    def prune_images(self) -> list[str]:
        """Untag (and so remove) the loaded images of this queue's submissions in a final state."""
        terminal = {s.id.lower()[:128] for s in self.queue.submissions() if s.terminal}
        removed: list[str] = []
        try:
            client = docker_client()
            for img in client.api.images(name=SUBMISSION_REPOSITORY):
                for tag in img.get("RepoTags") or []:
                    if tag.rpartition(":")[2] in terminal:
                        client.api.remove_image(tag)
                        removed.append(tag)
        except Exception as exc:  # noqa: BLE001
            log.warning("could not prune submission images: %s", exc)
        return removed

    def _heartbeat(self) -> None:
        """Say this service ran: the snapshot published next says when (to the period ``ServiceSeen.of`` picks)."""
        try:
            record_seen(self.queue, ServiceSeen.of(time.time(), busy=queue_busy(self.queue),
                                                   publish_every_s=self.cfg.publish_every_s))
        except OSError as exc:  # a full disk must not stop the service: the next cycle tries again
            log.warning("could not record the service heartbeat: %s", exc)

    def _publish(self, *, force: bool = False) -> None:
        if self.publish is None:
            return
        due = self.last_publish is None or time.time() - self.last_publish >= self.cfg.publish_every_s
        if not (due or force):
            return
        self.last_publish = time.time()
        try:
            note = self.publish()
            self.last_publish_note = iso_time(self.last_publish)
            self.say(f"published: {note}")
        except ValueError as exc:  # nothing to publish yet
            self.say(f"publish skipped: {exc}")
        except Exception as exc:  # noqa: BLE001  (Hub errors: next interval)
            self.say(f"publish failed ({type(exc).__name__}): {exc}; retrying at the next interval")

    def health(self) -> str:
        counts = self.queue.counts()
        alive = sum(1 for t in self.threads.values() if t.is_alive())
        return ("health: " + " ".join(f"{k}={v}" for k, v in counts.items())
                + f" workers={alive}/{len(self.ids)} last_publish={self.last_publish_note}")

    def cycle(self) -> None:
        self._inbox()
        if self.cfg.prune_images:
            for tag in self.prune_images():
                self.say(f"pruned image {tag}")
        self._heartbeat()
        self._publish()
        self._start_workers()  # a worker thread that died is replaced
        self.say(self.health())

    # -- run and stop -----------------------------------------------------------
    def run(self) -> None:
        if self.cfg.scheduler:  # SchedulerUnreachable before anything is claimed
            self.dask = connect(self.cfg.scheduler)
            self.worker = dataclasses.replace(self.worker, dispatch=self.dask)
        self.say(f"serving queue {self.queue.db_path} with {len(self.ids)} worker(s), store {self.worker.store}"
                 + (f", inbox {self.inbox.url}" if self.inbox else "")
                 + (f", evaluating on the Dask cluster at {self.cfg.scheduler}" if self.cfg.scheduler else ""))
        self.recover()
        self._start_workers()
        while not self.stop.is_set():
            self.cycle()
            self.stop.wait(self.cfg.cycle_s)
        self._shutdown()

    def _shutdown(self) -> None:
        self.say("stopping: in-flight submissions are given back to the queue")
        deadline = time.monotonic() + self.cfg.stop_timeout_s
        for t in self.threads.values():
            t.join(max(deadline - time.monotonic(), 0.0))
        for sub in self.queue.submissions():
            if sub.state in states.ACTIVE and sub.lease_owner in self.ids:
                try:
                    self.queue.release(sub.id, sub.lease_owner or "", "the service stopped; will run again")
                    self.say(f"{sub.id}: given back to the queue")
                except LeaseLost:
                    pass
        self._inbox()
        if self.cfg.prune_images:
            self.prune_images()
        self._publish(force=True)
        if self.dask is not None:
            self.dask.close()
        self.say(self.health())
        self.say("stopped")

