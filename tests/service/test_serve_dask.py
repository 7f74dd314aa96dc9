"""``challenge admin serve --scheduler``: a Dask worker process killed mid-task loses and doubles nothing.

A LocalCluster of two worker processes; four queued submissions, two tracks
each, evaluated through the service's Dask dispatch
(``submissions.evaluation.task_dispatch.DaskDispatch``). No Docker: a worker plugin
(re-installed by the scheduler on the worker the nanny restarts) makes the
tasks evaluate an in-process zlib codec (``evaluator.run.inprocess``) instead of
the image, and the service's image load is the frozen digest. The first
submission's first task blocks until the test has killed (SIGKILL) the worker
process running it; Dask runs it again on a live worker. Every submission
must end ``finished`` exactly once, and the store must hold, and have been
written, exactly one record per (submission, track).
"""

from __future__ import annotations

import functools
import os
import signal
import threading
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from distributed import WorkerPlugin

from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ResultRecord, ResultStore
from evaluator.run.evaluate import ImageRun
from submissions.evaluation.task_dispatch import SchedulerUnreachable, connect
from submissions.queue import states
from submissions.queue.submission_queue import Submission, SubmissionQueue
from submissions.service.service import Service, ServiceConfig
from submissions.service.worker import DataPlan, WorkerConfig

pytestmark = pytest.mark.timeout(180)

TRACKS = ("keck", "sdss-2d")
N_SUBMISSIONS = 4


class ZlibCodec:
    """A lossless in-process codec: dtype and shape in a header, then zlib."""

    name = "zlib-test"
    title = "zlib (test)"

    def encode(self, x: np.ndarray) -> bytes:
        header = f"{x.dtype.str}|{','.join(map(str, x.shape))}|".encode()
        return header + zlib.compress(np.ascontiguousarray(x).tobytes(), 1)

    def decode(self, data: bytes) -> np.ndarray:
        dtype, shape, body = data.split(b"|", 2)
        dims = tuple(int(d) for d in shape.decode().split(",") if d)
        return np.frombuffer(zlib.decompress(body), dtype=np.dtype(dtype.decode())).reshape(dims)


def _evaluate_inprocess(marks: Path, blocked: str, run: ImageRun) -> list[ResultRecord]:
    """Stands in for ``evaluate_image`` on the Dask workers: says who runs it, blocks the chosen task, runs zlib."""
    from evaluator.run.inprocess import evaluate_inprocess  # noqa: PLC0415

    track = run.tracks[0].name
    (marks / f"started-{run.submission}-{track}-{os.getpid()}-{time.monotonic_ns()}").touch()
    if (run.submission, track) == (blocked, TRACKS[0]):
        deadline = time.monotonic() + 60
        while not (marks / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    return evaluate_inprocess(ZlibCodec(), list(run.tracks), run.source, cast(Any, run.store),
                              submission=run.submission, codec_name=run.codec_name)


class InProcessEngine(WorkerPlugin):
    """Dask worker plugin: evaluation tasks run the zlib codec here, and need no image."""

    name = "test-inprocess-engine"

    def __init__(self, marks: Path, blocked: str) -> None:
        self.marks, self.blocked = marks, blocked

    def setup(self, worker: Any) -> None:
        from submissions.evaluation import evaluation_task  # noqa: PLC0415

        evaluation_task.evaluate_image = functools.partial(_evaluate_inprocess, self.marks, self.blocked)
        evaluation_task.ensure_image = lambda task: None


def _started(marks: Path, submission: str, track: str) -> list[int]:
    """The process ids that started (submission, track), in start order."""
    found = sorted(marks.glob(f"started-{submission}-{track}-*"), key=lambda p: int(p.name.rsplit("-", 1)[1]))
    return [int(p.name.rsplit("-", 2)[1]) for p in found]


def _queue_with(tmp_path: Path, n: int) -> tuple[SubmissionQueue, list[Submission]]:
    queue = SubmissionQueue(tmp_path / "queue")
    subs = [queue.enqueue(participant=f"team{i}", name=f"zlib{i}",
                          image=ImageIdentity.frozen("sha256:" + f"{i:02d}" * 32),
                          tracks=list(TRACKS)) for i in range(n)]
    return queue, subs


def _assert_finished_once(queue: SubmissionQueue, subs: list[Submission], url: str,
                          writes: Counter[tuple[str, str]]) -> None:
    """Every submission finished once, and one record per (submission, track) was written, once."""
    for sub in subs:
        final = queue.get(sub.id)
        assert final.state == states.FINISHED, (final.state, final.reason)
        assert [t.to_state for t in final.history].count(states.FINISHED) == 1
        assert final.attempts == 1  # the queue never saw a worker's death: Dask retried the task
    expected = {(s.id, t) for s in subs for t in TRACKS}
    assert writes == Counter(dict.fromkeys(expected, 1))
    store = ResultStore(url)
    stored = [(store.read(k).submission, store.read(k).track) for k in store.keys()]
    assert sorted(stored) == sorted(expected)
    assert all(store.read(k).status == "ok" for k in store.keys())


@pytest.fixture
def writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str]]:
    """Counts the records written per (submission, track); the service host's image load is the frozen digest."""
    from submissions.service import worker as worker_module  # noqa: PLC0415

    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CHALLENGE_RUN_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("DASK_LOGGING__DISTRIBUTED", "error")
    (tmp_path / "runs").mkdir()
    (tmp_path / "marks").mkdir()
    # the service host has no Docker here: its (checked) image load hands back the frozen digest
    monkeypatch.setattr(worker_module, "load_image", lambda _tar, *, image_id, tar_sha256, tag: image_id)
    counts: Counter[tuple[str, str]] = Counter()
    real_write = ResultStore.write

    def counting_write(self: ResultStore, record: ResultRecord, *args: Any, **kwargs: Any) -> str:
        counts[(record.submission, record.track)] += 1
        return real_write(self, record, *args, **kwargs)

    monkeypatch.setattr(ResultStore, "write", counting_write)
    return counts


def _serve_until_done(svc: Service, queue: SubmissionQueue, subs: list[Submission], timeout_s: float) -> None:
    runner = threading.Thread(target=svc.run, daemon=True)
    runner.start()
    deadline = time.monotonic() + timeout_s
    while not all(queue.get(s.id).terminal for s in subs) and time.monotonic() < deadline:
        time.sleep(0.2)
    svc.stop.set()
    runner.join(timeout=30)
    assert not runner.is_alive()


def test_without_a_scheduler_the_same_tasks_run_in_the_service(tmp_path: Path, writes: Counter[tuple[str, str]],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from submissions.evaluation import evaluation_task  # noqa: PLC0415

    engine = InProcessEngine(tmp_path / "marks", blocked="none")
    monkeypatch.setattr(evaluation_task, "evaluate_image", functools.partial(_evaluate_inprocess, engine.marks,
                                                                             engine.blocked))
    monkeypatch.setattr(evaluation_task, "ensure_image", lambda task: None)
    queue, subs = _queue_with(tmp_path, 2)
    url = str(tmp_path / "store")
    svc = Service(queue, WorkerConfig(store=url, data=DataPlan(default="synthetic"), tracks=",".join(TRACKS),
                                      poll_s=0.2, measure_image_size=False),
                  ServiceConfig(workers=1, cycle_s=0.5, prune_images=False, stop_timeout_s=10))
    _serve_until_done(svc, queue, subs, 60)
    _assert_finished_once(queue, subs, url, writes)
    assert {p for s in subs for t in TRACKS for p in _started(engine.marks, s.id, t)} == {os.getpid()}


def test_an_unreachable_scheduler_is_named_with_what_to_do() -> None:
    with pytest.raises(SchedulerUnreachable) as err:
        connect("tcp://127.0.0.1:9", timeout_s=1)
    assert "tcp://127.0.0.1:9" in str(err.value) and "dask scheduler" in err.value.fix


@pytest.mark.slow
def test_a_killed_dask_worker_loses_and_doubles_nothing(tmp_path: Path, writes: Counter[tuple[str, str]]) -> None:
    import dask  # noqa: PLC0415
    from distributed import Client, LocalCluster  # noqa: PLC0415

    marks = tmp_path / "marks"
    queue, subs = _queue_with(tmp_path, N_SUBMISSIONS)
    blocked = subs[0].id
    url = str(tmp_path / "store")
    with dask.config.set({"distributed.scheduler.allowed-failures": 3}):
        cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None)
    try:
        with Client(cluster) as client:
            client.register_plugin(InProcessEngine(marks, blocked))
            pids = set(client.run(os.getpid).values())
            svc = Service(queue, WorkerConfig(store=url, data=DataPlan(default="synthetic"), tracks=",".join(TRACKS),
                                              poll_s=0.2, measure_image_size=False),
                          ServiceConfig(workers=3, cycle_s=0.5, prune_images=False, stop_timeout_s=10,
                                        scheduler=cluster.scheduler_address))
            killer = threading.Thread(target=_kill_the_blocked_worker, args=(marks, blocked, pids), daemon=True)
            killer.start()
            _serve_until_done(svc, queue, subs, 90)
            killer.join(timeout=5)
            ran = _started(marks, blocked, TRACKS[0])
            assert len(ran) == 2 and ran[0] in pids and ran[1] != ran[0], ran  # killed mid-task, run again
            assert ran[0] not in set(client.run(os.getpid).values())  # the nanny started a new process
    finally:
        cluster.close()
    _assert_finished_once(queue, subs, url, writes)


def _kill_the_blocked_worker(marks: Path, blocked: str, pids: set[int]) -> None:
    """SIGKILL the worker process that runs the blocked task, then let its second run go on."""
    deadline = time.monotonic() + 60
    while not _started(marks, blocked, TRACKS[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    victims = _started(marks, blocked, TRACKS[0])
    if victims and victims[0] in pids:
        os.kill(victims[0], signal.SIGKILL)
    (marks / "release").touch()


@pytest.mark.slow
def test_stopping_the_service_gives_a_dask_run_back_uncounted(tmp_path: Path,
                                                             writes: Counter[tuple[str, str]]) -> None:
    import dask  # noqa: PLC0415
    from distributed import Client, LocalCluster  # noqa: PLC0415

    marks = tmp_path / "marks"
    queue, (sub,) = _queue_with(tmp_path, 1)
    lines: list[str] = []
    with dask.config.set({"distributed.scheduler.allowed-failures": 3}):
        cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None)
    try:
        with Client(cluster) as client:
            client.register_plugin(InProcessEngine(marks, sub.id))  # its first track blocks: no release here
            svc = Service(queue, WorkerConfig(store=str(tmp_path / "store"), data=DataPlan(default="synthetic"),
                                              tracks=",".join(TRACKS), poll_s=0.2, measure_image_size=False),
                          ServiceConfig(workers=1, cycle_s=0.5, prune_images=False, stop_timeout_s=10,
                                        scheduler=cluster.scheduler_address), say=lines.append)
            runner = threading.Thread(target=svc.run, daemon=True)
            runner.start()
            deadline = time.monotonic() + 60
            while not _started(marks, sub.id, TRACKS[0]) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _started(marks, sub.id, TRACKS[0])
            svc.stop.set()
            runner.join(timeout=30)
            assert not runner.is_alive()
    finally:
        cluster.close()
    after = queue.get(sub.id)
    assert after.state == states.PENDING and after.attempts == 0, (after.state, after.attempts, after.reason)
    assert [t.to_state for t in after.history] == [states.PENDING, states.LOADING, states.RUNNING, states.PENDING]
    # the blocked track is never written; one that finished meanwhile was written once, as it came back
    # (records replace on rewrite: the rerun writes every track again, never a duplicate)
    assert (sub.id, TRACKS[0]) not in writes and all(n == 1 for n in writes.values()), writes
    assert any("Dask cluster at tcp://" in ln for ln in lines) and lines[-1] == "stopped"
