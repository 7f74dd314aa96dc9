"""Campaigns on a real Dask LocalCluster (2 worker processes) with real codec containers.

One module-scoped cluster (startup costs seconds); every test talks to it
through its own ``Client``. The worker processes inherit ``CHALLENGE_HOME``
(a temporary folder) from the environment the cluster starts in.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from evaluator.core.tracks import select_tracks
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import ImageRun, evaluate_image
from submissions.campaign.campaign import CampaignTarget, TaskDone, plan_campaign, run_campaign

pytestmark = pytest.mark.docker

TRACKS = "keck,sdss-2d"  # two small tracks of the synthetic default (3 items each)
# summary fields that do not depend on timing
EXACT = ("n_items", "ratio_mean", "ratio_aggregate", "bpp_mean", "noise_bpp_mean", "efficiency")
ROW_EXACT = ("item_id", "shape", "npix", "compressed_bytes", "bpp", "ratio", "noise_sigma", "noise_bpp", "status")


def _docker_ok() -> bool:
    try:
        import docker  # noqa: PLC0415

        docker.from_env().ping()
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("campaign-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHALLENGE_HOME", str(home))
        mp.setenv("DASK_LOGGING__DISTRIBUTED", "warning")
        yield home


@pytest.fixture(scope="module")
def cluster(home: Path) -> Iterator[object]:
    from distributed import LocalCluster  # noqa: PLC0415

    cl = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None)
    yield cl
    cl.close()


@pytest.fixture
def client(cluster: object) -> Iterator[object]:
    from distributed import Client  # noqa: PLC0415

    with Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def rice(home: Path) -> CampaignTarget:
    if not _docker_ok():
        pytest.skip("Docker engine not reachable")
    from submissions.campaign.campaign import baseline_targets  # noqa: PLC0415

    return baseline_targets(["rice"])[0]


def test_sharded_campaign_equals_one_unsharded_run(rice: CampaignTarget, client: object, tmp_path: Path) -> None:
    store = ResultStore(str(tmp_path / "store"))
    tasks = plan_campaign([rice], TRACKS, "synthetic", "cpu-1", shards_per_track=2)
    assert len(tasks) == 4
    events: list[TaskDone] = []
    report = run_campaign(tasks, store.url, client=client, progress=events.append)
    assert (report.tasks_total, report.tasks_done, report.tasks_failed) == (4, 4, 0) and report.ok
    assert sorted(e.done for e in events) == [1, 2, 3, 4]
    assert {e.task.shard_index for e in events} == {0, 1}

    # the same image, unsharded, in this process
    ref_store = ResultStore(str(tmp_path / "ref"))
    ref = evaluate_image(ImageRun(rice.image, select_tracks(TRACKS), "synthetic", "cpu-1", ref_store,
                                  submission=rice.submission, codec_name=rice.codec_name, measure_image_size=False))
    assert store.keys() == ref_store.keys() and len(store.keys()) == 2  # one record per (submission, track)
    for rec in ref:
        key = rec.key
        merged = store.read(key)
        assert merged.status == rec.status == "ok"
        assert merged.portable is not None and merged.portable.ok and rec.portable is not None  # each shard checked
        assert (merged.codec, merged.split, merged.synthetic, merged.image_digest) == (
            rec.codec, rec.split, rec.synthetic, rec.image_digest)
        for f in EXACT:
            assert getattr(merged.summary, f) == pytest.approx(getattr(rec.summary, f)), f
        for f in ("encode_s_median", "decode_s_median", "encode_mb_s"):  # measured, so only present and sane
            value = getattr(merged.summary, f)
            assert value is not None and math.isfinite(value) and value > 0
        got, want = store.items(key), ref_store.items(key)
        assert list(got["item_id"]) == list(want["item_id"])  # item order kept across shards
        assert got.loc[:, list(ROW_EXACT)].equals(want.loc[:, list(ROW_EXACT)])


def test_a_failing_task_fails_its_track_and_the_others_finish(rice: CampaignTarget, client: object,
                                                              tmp_path: Path) -> None:
    missing = CampaignTarget("sub-missing", "missing", ImageIdentity.named("astrocompress-test/no-such-image:none"))
    tasks = plan_campaign([rice, missing], "keck", "synthetic", "cpu-1", shards_per_track=2)
    # a task that raises inside the worker (a track the evaluator does not know)
    raising = dataclasses.replace(tasks[0], submission="sub-raises", track="no-such-track")
    report = run_campaign([*tasks, raising], str(tmp_path / "store"), client=client)
    by_sub = {o.submission: o for o in report.outcomes}
    assert set(by_sub) == {rice.submission, "sub-missing", "sub-raises"}
    assert by_sub[rice.submission].status == "ok" and by_sub[rice.submission].n_items == 3
    assert by_sub["sub-missing"].status == "failed" and by_sub["sub-missing"].failure_kind == "image_error"
    assert "no-such-image" in (by_sub["sub-missing"].reason or "")
    assert by_sub["sub-raises"].status == "failed" and "no-such-track" in (by_sub["sub-raises"].reason or "")
    assert "not a verdict on the codec" in (by_sub["sub-raises"].reason or "")
    assert (report.tasks_done, report.tasks_failed) == (2, 3) and not report.ok
    store = ResultStore(str(tmp_path / "store"))
    failed = store.read(by_sub["sub-missing"].key)
    assert failed.status == "failed" and failed.failure is not None and failed.failure.kind == "image_error"


def test_gpu_tasks_fail_fast_without_a_gpu_worker(rice: CampaignTarget, client: object, tmp_path: Path) -> None:
    gpu_target = dataclasses.replace(rice, submission="sub-gpu", manifest={"gpu": True, "profile": "gpu-1"})
    tasks = plan_campaign([rice, gpu_target], "keck", "synthetic", None, shards_per_track=1)
    assert [t.resources for t in tasks] == [None, {"GPU": 1}]
    report = run_campaign(tasks, str(tmp_path / "store"), client=client)
    by_sub = {o.submission: o for o in report.outcomes}
    assert by_sub[rice.submission].status == "ok"
    assert by_sub["sub-gpu"].status == "failed" and "GPU=1" in (by_sub["sub-gpu"].reason or "")


@pytest.mark.slow
def test_rerun_replaces_records_and_scheduler_address_works(rice: CampaignTarget, cluster: object,
                                                            tmp_path: Path) -> None:
    """By scheduler address (as for a remote Slurm/Kubernetes cluster), twice into one store."""
    store = ResultStore(str(tmp_path / "store"))
    tasks = plan_campaign([rice], TRACKS, "synthetic", "cpu-1", shards_per_track=2)
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    first = run_campaign(tasks, store.url, scheduler=address)
    keys1 = store.keys()
    stamps = {k: store.read(k).created_at for k in keys1}
    rows1 = {k: store.items(k) for k in keys1}
    second = run_campaign(tasks, store.url, scheduler=address)
    assert first.ok and second.ok and store.keys() == keys1 and len(keys1) == 2
    files = sorted(p.name for p in (tmp_path / "store" / "records").rglob("*") if p.is_file())
    assert len(files) == 4 and not any(n.startswith(".tmp-") for n in files)  # json + parquet each, no leftovers
    for k in keys1:
        assert len(store.items(k)) == len(rows1[k]) == 3
        assert store.read(k).created_at >= stamps[k]


def test_local_workers_get_their_own_cores(client: object) -> None:
    """CoreSlots: worker k hands its containers the k-th block of cores from the end (no sharing)."""
    import os  # noqa: PLC0415

    from evaluator.sandbox.profiles import PROFILES, grant  # noqa: PLC0415
    from submissions.campaign.campaign import CoreSlots  # noqa: PLC0415
    from submissions.evaluation import evaluation_task  # noqa: PLC0415

    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("needs two cores")
    client.register_plugin(CoreSlots(1))  # type: ignore[attr-defined]

    def granted() -> tuple[list[int] | None, str]:
        if evaluation_task.SLOT_CPUS:
            os.sched_setaffinity(0, evaluation_task.SLOT_CPUS)  # as evaluate_task does
        return evaluation_task.SLOT_CPUS, grant(PROFILES["cpu-1"]).cpuset

    got = client.run(granted)  # type: ignore[attr-defined]
    slots = {tuple(s or ()) for s, _ in got.values()}
    assert slots == {(cpus[-1],), (cpus[-2],)}  # disjoint, one core each
    assert {c for _, c in got.values()} == {str(cpus[-1]), str(cpus[-2])}  # what the containers are pinned to
