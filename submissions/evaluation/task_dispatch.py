"""Where the queue worker runs a submission's evaluation tasks: in its own thread, or on a Dask cluster.

:class:`LocalDispatch` runs each :class:`submissions.evaluation.evaluation_task.EvaluationTask`
in the calling thread (``challenge admin serve`` without ``--scheduler``).
:class:`DaskDispatch` sends them to a Dask scheduler (``--scheduler ADDRESS``)
the way a campaign does (:func:`submissions.evaluation.evaluation_task.submit_kwargs`:
``resources={"GPU": 1}`` for GPU work, ``retries``): a worker that dies
mid-task has its task run again on another worker (up to the scheduler's
``distributed.scheduler.allowed-failures``). Tasks write nothing; the caller
records each result once, as it comes back (``on_result``, which the queue
worker points at :func:`submissions.evaluation.evaluation_task.record_result`),
so a task run twice never writes twice.

Both raise :class:`WorkerStopping` when ``stop`` is set and
:class:`TaskFailed` when a task raised (or Dask gave up on it): the queue
worker then gives the submission back or retries it, as before.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from evaluator.run.evaluate import Progress
from evaluator.sandbox.profiles import PROFILES, ProfileUnavailable, grant
from evaluator.sdk.errors import PlatformFault
from submissions.evaluation.evaluation_task import EvaluationTask, TaskResult, evaluate_task, run_task, submit_kwargs

if TYPE_CHECKING:
    from distributed import Client, Future

POLL_S = 0.5  # how often a Dask dispatch looks at the stop event and the lease while it waits


class WorkerStopping(PlatformFault):
    """Raised between items when the worker is asked to stop (SIGTERM to ``challenge admin serve``)."""


class TaskFailed(PlatformFault):
    """An evaluation task raised, or Dask could not run it (not a verdict on the codec)."""


# raises (``submissions.queue.submission_queue.LeaseLost``) once the submission's lease is lost
LeaseCheck = Callable[[], None]
# the lease holder's handler of one task's result, called as each comes back (it writes the track's record)
OnResult = Callable[[TaskResult], None]


class Dispatch(Protocol):
    """Runs one submission's tasks and returns their results in task order."""

    where: str

    def profiles(self) -> list[str]: ...

    def run(self, tasks: list[EvaluationTask], *, progress: Progress | None, stop: threading.Event | None,
            check_lease: LeaseCheck, on_result: OnResult | None = None) -> list[TaskResult]: ...


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


class LocalDispatch:
    """Every task in the calling thread, one after the other; the evaluator's errors propagate."""

    where = "this process"

    def profiles(self) -> list[str]:
        return runnable_profiles()

    def run(self, tasks: list[EvaluationTask], *, progress: Progress | None, stop: threading.Event | None,
            check_lease: LeaseCheck, on_result: OnResult | None = None) -> list[TaskResult]:
        results = []
        for task in tasks:
            results.append(evaluate_task(task, progress))
            check_lease()
            if on_result is not None:
                on_result(results[-1])
        return results


def _result(task: EvaluationTask, fut: Future) -> TaskResult:
    try:
        res: TaskResult = fut.result()
    except Exception as exc:  # KilledWorker: its worker died allowed-failures times
        raise TaskFailed(f"Dask could not run {task.track}: {exc.__class__.__name__}: {exc}") from exc
    if res.error is not None:
        raise TaskFailed(f"{task.track}: {res.error.kind}: {res.error.message}")
    return res


def _gpu_workers(client: Client) -> int:
    workers = client.scheduler_info().get("workers", {})
    return sum(1 for w in workers.values() if (w.get("resources") or {}).get("GPU", 0) >= 1)


class SchedulerUnreachable(PlatformFault):
    """``--scheduler ADDRESS`` names no Dask scheduler this process can reach."""

    fix = ("start the scheduler (`dask scheduler`) and its workers (`dask worker ADDRESS`), or check the address "
           "(tcp://HOST:8786)")


def connect(address: str, *, timeout_s: float = 30.0) -> DaskDispatch:
    """A :class:`DaskDispatch` on the scheduler at ``address``; :class:`SchedulerUnreachable` if it does not answer."""
    from distributed import Client  # noqa: PLC0415

    try:
        client = Client(address, timeout=timeout_s)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerUnreachable(f"could not reach the Dask scheduler at {address!r}: "
                                   f"{exc.__class__.__name__}: {exc}") from exc
    return DaskDispatch(client)


class DaskDispatch:
    """The tasks of a submission on the Dask cluster of ``client``, all at once; ``retries`` as campaigns."""

    def __init__(self, client: Client, *, retries: int = 1) -> None:
        self.client, self.retries = client, retries
        self.where = str(getattr(getattr(client, "scheduler", None), "address", "a Dask cluster"))

    def close(self) -> None:
        self.client.close()

    def profiles(self) -> list[str]:
        """CPU profiles always; GPU profiles while a worker of the cluster has the ``GPU`` resource."""
        gpu = _gpu_workers(self.client) > 0
        return [name for name, prof in PROFILES.items() if gpu or prof.gpus == 0]

    def run(self, tasks: list[EvaluationTask], *, progress: Progress | None, stop: threading.Event | None,
            check_lease: LeaseCheck, on_result: OnResult | None = None) -> list[TaskResult]:
        from distributed import wait  # noqa: PLC0415

        attempt = uuid.uuid4().hex[:12]  # a submission run again (a new claim) gets new keys
        futures: list[Future] = []
        for task in tasks:
            kwargs = submit_kwargs(task, self.retries)
            kwargs["key"] = f"serve-{kwargs['key']}-{attempt}"
            futures.append(self.client.submit(run_task, task, **kwargs))
        try:
            pending = set(futures)
            by_future = {fut: i for i, fut in enumerate(futures)}
            results: dict[int, TaskResult] = {}
            while pending:
                if stop is not None and stop.is_set():
                    raise WorkerStopping("the worker was asked to stop")
                check_lease()
                try:
                    done, pending = wait(list(pending), timeout=POLL_S, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    continue
                for fut in sorted(done, key=by_future.__getitem__):  # each future comes back once: handled once
                    i = by_future[fut]
                    results[i] = _result(tasks[i], fut)
                    check_lease()
                    if on_result is not None:
                        on_result(results[i])
            return [results[i] for i in range(len(tasks))]
        finally:
            self.client.cancel(futures)  # nothing left running when we stop, lose the lease or fail
