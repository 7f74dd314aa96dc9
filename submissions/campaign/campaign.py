"""Organizer re-evaluation campaigns on Dask distributed.

DESIGN.md "Results, queue, publishing": "re-evaluate everything on profile X"
fans out (submission x track x shard) tasks on Dask distributed: a local
cluster by default, any Dask scheduler (dask-jobqueue on Slurm, Kubernetes)
by address, GPU tasks tagged with worker resources.

::
    targets = finished_targets(SubmissionQueue(dir)) + baseline_targets()
    tasks = plan_campaign(targets, "all", "synthetic", "cpu-1", shards_per_track=2)
    report = run_campaign(tasks, store_url, scheduler=None, n_workers=2)

Each task (:func:`submissions.evaluation.evaluation_task.run_task`) returns its rows
and writes nothing; the client merges the shards of each (submission, track)
(:func:`submissions.campaign.campaign_shards.merge_shards`) and writes one record per
(submission, track, profile, split) with the store's atomic replace, so a
re-run or a retried shard replaces and never duplicates. A task that fails
or raises fails its track, with the reason, and nothing else.

On a local cluster each worker process gets its own cores (``CoreSlots``):
``evaluator.sandbox.profiles.grant`` pins containers to the last cores of the
process's affinity, so without the slots every concurrent ``cpu-1`` container
would share one core.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from distributed import WorkerPlugin

from evaluator.results.records import Failure, ResultStore, utcnow
from evaluator.sandbox.profiles import get_profile, gpu_info
from submissions.campaign.campaign_history import CampaignArchive, CampaignLog, load_campaign
from submissions.campaign.campaign_plan import (
    CampaignTarget,
    baseline_targets,
    finished_targets,
    plan_campaign,
    with_image_sizes,
)
from submissions.campaign.campaign_shards import merge_shards
from submissions.evaluation import evaluation_task
from submissions.evaluation.evaluation_task import (
    TASK_ERROR_KIND,
    EvaluationTask,
    TaskResult,
    failed_task,
    run_task,
    submit_kwargs,
)

log = logging.getLogger(__name__)

ALLOWED_FAILURES = 3  # a task whose worker died this many times is given up (Dask's KilledWorker)

__all__ = [
    "CampaignReport", "CampaignTarget", "EvaluationTask", "GroupOutcome", "TaskDone", "baseline_targets",
    "finished_targets", "plan_campaign", "resume_campaign", "run_campaign", "submit_kwargs",
]


@dataclass
class TaskDone:
    """Progress event: one task finished (``done`` of ``total``)."""

    task: EvaluationTask
    ok: bool
    reason: str | None
    done: int
    total: int

    def __str__(self) -> str:
        t = self.task
        what = f"{t.submission} {t.track} shard {t.shard_index + 1}/{t.shard_count}"
        return f"[{self.done}/{self.total}] {what}: " + ("ok" if self.ok else f"failed: {self.reason}")


@dataclass
class GroupOutcome:
    """The merged result of one (submission, track)."""

    submission: str
    codec: str
    track: str
    profile: str
    status: str  # "ok" or "failed"
    n_items: int
    ratio_mean: float | None
    failure_kind: str | None
    reason: str | None
    shards: int
    key: str


@dataclass
class CampaignReport:
    tasks_total: int
    tasks_done: int  # finished without a failure
    tasks_failed: int
    wall_s: float
    outcomes: list[GroupOutcome]
    scheduler: str  # "local (N workers)" or the address
    campaign_id: str = ""
    tasks_kept: int = 0  # resumed: shards already finished before, not run again

    @property
    def ok(self) -> bool:
        return self.tasks_failed == 0 and all(o.status == "ok" for o in self.outcomes)


class CoreSlots(WorkerPlugin):
    """Dask worker plugin: worker ``k`` of a local cluster hands its containers its own block of cores.

    ``evaluator.sandbox.profiles.grant`` pins a profile to the last cores of the
    calling thread's affinity; each task sets its thread's affinity to the
    worker's block (:data:`submissions.evaluation.evaluation_task.SLOT_CPUS`), so
    worker 0 gets the last ``cores`` cores, worker 1 the ones before, etc.
    """

    name = "astrocompress-core-slots"

    def __init__(self, cores_per_worker: int) -> None:
        self.cores_per_worker = cores_per_worker

    def setup(self, worker: Any) -> None:
        cpus = sorted(os.sched_getaffinity(0))
        try:
            slot = int(worker.name)
        except (TypeError, ValueError):
            return
        n = self.cores_per_worker
        if (slot + 1) * n > len(cpus):
            log.warning("worker %s: no free cores left for its own slot; its containers share cores", slot)
            return
        end = len(cpus) - slot * n
        evaluation_task.SLOT_CPUS = cpus[end - n:end]


def _default_workers(tasks: list[EvaluationTask]) -> int:
    cores = max((get_profile(t.profile).cores for t in tasks), default=1)
    ncpu = len(os.sched_getaffinity(0))
    return max(1, min(ncpu // cores, len(tasks) or 1))


def _start_local(tasks: list[EvaluationTask], n_workers: int | None, allowed_failures: int = ALLOWED_FAILURES
                 ) -> tuple[Any, Any, str]:
    import dask  # noqa: PLC0415
    from distributed import Client, LocalCluster  # noqa: PLC0415


    n = n_workers or _default_workers(tasks)
    gpus = len(gpu_info())
    resources = {"GPU": 1} if gpus >= n else None  # one GPU per worker, or none get the tag
    if gpus and resources is None:
        log.warning("%d GPU(s) for %d workers: GPU tasks need a worker each; use --workers %d or fewer", gpus, n, gpus)
    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}):
        cluster = LocalCluster(n_workers=n, processes=True, threads_per_worker=1, resources=resources,
                               dashboard_address=None)
    client = Client(cluster)
    cores = max((get_profile(t.profile).cores for t in tasks), default=1)
    client.register_plugin(CoreSlots(cores))
    return cluster, client, f"local ({n} workers)"


def _gpu_workers(client: Any) -> int:
    workers = client.scheduler_info().get("workers", {})
    return sum(1 for w in workers.values() if (w.get("resources") or {}).get("GPU", 0) >= 1)


def run_campaign(
    tasks: list[EvaluationTask],
    store_url: str,
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    progress: Callable[[TaskDone], None] | None = None,
    client: Any | None = None,
    retries: int = 1,
    wait_for_gpu: bool = False,
    measure_image_size: bool = True,
    campaign: CampaignLog | None = None,
    allowed_failures: int = ALLOWED_FAILURES,
) -> CampaignReport:
    """Run ``tasks`` on Dask and write one merged record per (submission, track, profile, split).

    ``scheduler``: a Dask scheduler address (``tcp://host:8786``); None starts
    a local cluster of ``n_workers`` processes (one thread each; default: the
    cores divided by the profile's cores). ``client``: an existing
    ``distributed.Client`` to use instead (left open). GPU tasks carry
    ``resources={"GPU": 1}``; when no worker has that resource they fail at
    once with the reason instead of waiting forever, unless ``wait_for_gpu``
    (an adaptive cluster that starts GPU workers on demand). ``retries``:
    Dask re-runs a task that raised (``run_task`` itself never does; a
    worker's death is counted by ``allowed_failures``); tasks write nothing,
    so a retry cannot duplicate a record. ``measure_image_size``: measure each image's
    compressed size (``docker save | gzip``, DESIGN.md "Measurement") once,
    here, where it is unknown, instead of in every shard.

    Every run is a campaign (``submissions.campaign.campaign_history``): a new id, its
    log and every shard's result kept in the store as it comes back, the
    merged records kept per campaign and the accepted ones put on the board.
    ``campaign``: an earlier campaign's log to resume (see :func:`resume_campaign`);
    only tasks without a finished shard record run. A worker that dies
    mid-task (``allowed_failures`` times at most, on the local cluster; a remote
    scheduler has its own ``distributed.scheduler.allowed-failures``) has its
    task re-run on another worker.
    """
    from distributed import Client, as_completed  # noqa: PLC0415

    t0 = time.perf_counter()
    store = ResultStore(store_url)
    if measure_image_size:
        tasks = with_image_sizes(tasks)
    if campaign is None:
        archive = CampaignArchive(store_url, CampaignLog.start(tasks))
    else:
        archive = CampaignArchive(store_url, campaign)
        archive.log.resumed_at.append(utcnow())
    archive.save_log()
    kept = archive.finished_shards(tasks) if campaign is not None else {}
    own_cluster = None
    own_client = None
    if client is not None:
        where = str(getattr(getattr(client, "scheduler", None), "address", "the given client"))
    elif scheduler:
        own_client = client = Client(scheduler)
        where = scheduler
    elif len(kept) < len(tasks):
        own_cluster, own_client, where = _start_local(tasks, n_workers, allowed_failures)
        client = own_client
    else:
        where = "none (no task left to run)"
    total = len(tasks)
    results: dict[tuple[str, str], list[TaskResult]] = {}
    expected: dict[tuple[str, str], int] = {}
    outcomes: list[GroupOutcome] = []
    done = failed = 0
    every: list[TaskResult] = []

    def finish(res: TaskResult, *, save: bool = True) -> None:
        nonlocal done, failed
        if save:
            archive.save_shard(res)
        every.append(res)
        group = res.task.group
        results.setdefault(group, []).append(res)
        f = res.failure
        if f is None:
            done += 1
        else:
            failed += 1
        if progress:
            progress(TaskDone(res.task, f is None, f"{f.kind}: {f.message.splitlines()[0]}" if f else None,
                              done + failed, total))
        if len(results[group]) == expected[group]:
            outcomes.append(_write_group(store, archive, results.pop(group)))

    try:
        for t in tasks:
            expected[t.group] = expected.get(t.group, 0) + 1
        for t in tasks:
            if t.key in kept:
                finish(kept[t.key], save=False)
        runnable = [t for t in tasks if t.key not in kept]
        no_gpu = client is not None and not wait_for_gpu and _gpu_workers(client) == 0
        if no_gpu and any(t.needs_gpu for t in tasks):
            msg = (f"no Dask worker of {where} has a GPU (resources GPU=1), so this GPU task cannot run: run the "
                   "campaign on a GPU host, or pass --scheduler with workers started with `--resources GPU=1`")
            gpu_tasks, runnable = runnable, [t for t in runnable if not t.needs_gpu]
            for t in gpu_tasks:
                if t.needs_gpu:
                    finish(failed_task(t, Failure("startup_failed", msg)))
        if runnable:
            assert client is not None  # there are tasks, so a client was made above
            futures = {}
            for t in runnable:
                kwargs = submit_kwargs(t, retries)
                kwargs["key"] = f"{kwargs['key']}-{archive.log.id}"  # campaigns may share one scheduler
                fut = client.submit(run_task, t, **kwargs)
                futures[fut.key] = (fut, t)
            for fut in as_completed([f for f, _ in futures.values()]):
                task = futures[fut.key][1]
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001  (KilledWorker, cancelled: that task fails, not the rest)
                    res = failed_task(task, Failure(TASK_ERROR_KIND, f"Dask could not run this task: "
                                                     f"{exc.__class__.__name__}: {exc} (not a verdict on the codec; "
                                                     f"`challenge admin campaign --resume {archive.log.id}` "
                                                     "runs it again)"))
                finish(res)
                fut.release()
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
    order = {g: i for i, g in enumerate(dict.fromkeys(t.group for t in tasks))}
    outcomes.sort(key=lambda o: order.get((o.submission, o.track), 0))
    archive.finish(scheduler=where, shard_results=every, counts={
        "tasks_total": total, "tasks_done": done, "tasks_failed": failed, "tasks_kept": len(kept),
        "records": len(outcomes), "records_ok": sum(o.status == "ok" for o in outcomes)})
    return CampaignReport(total, done, failed, time.perf_counter() - t0, outcomes, where, archive.log.id,
                          len(kept))


def resume_campaign(store_url: str, campaign_id: str, **kwargs: Any) -> CampaignReport:
    """Run what campaign ``campaign_id`` has no finished shard record of; its own tasks, not a new plan."""
    archive = load_campaign(store_url, campaign_id)
    return run_campaign(archive.log.campaign_tasks(), store_url, campaign=archive.log, **kwargs)


def _write_group(store: ResultStore, archive: CampaignArchive, shard_results: list[TaskResult]) -> GroupOutcome:
    record, rows = merge_shards(shard_results)
    key = archive.publish(record, rows, store)
    log.info("campaign: %s %s -> %s (%s)", record.submission, record.track, record.status, key)
    return GroupOutcome(
        submission=record.submission, codec=record.codec, track=record.track, profile=record.profile,
        status=record.status, n_items=int(record.summary.n_items or 0), ratio_mean=record.summary.ratio_mean,
        failure_kind=record.failure.kind if record.failure else None,
        reason=record.failure.message if record.failure else None, shards=len(shard_results), key=key,
    )
