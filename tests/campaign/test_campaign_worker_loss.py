"""A Dask worker process killed mid-campaign: its task runs again elsewhere, nothing is lost or doubled.

LocalCluster with 2 worker processes; once a campaign task is running on a
worker, that worker's process is killed (SIGKILL). Every (image, track)
record must exist exactly once, with the same compressed sizes per item as a
sequential run of the same images in this process.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from campaign_support import docker_ok, local_cluster, remove_own_containers, remove_own_probes, sizes

from evaluator.core.tracks import select_tracks
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import ImageRun, evaluate_image
from submissions.campaign.campaign import CampaignReport, plan_campaign, run_campaign

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TRACKS = "keck,sdss-2d"


def test_killed_worker_task_is_retried_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not docker_ok():
        pytest.skip("Docker engine not reachable")
    import docker  # noqa: PLC0415
    from distributed import Client  # noqa: PLC0415

    from submissions.campaign.campaign import baseline_targets  # noqa: PLC0415

    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DASK_LOGGING__DISTRIBUTED", "error")
    run_dir = tmp_path / "runs"  # the sandbox folders of this test's containers (to find its leftovers)
    run_dir.mkdir()
    monkeypatch.setenv("CHALLENGE_RUN_DIR", str(run_dir))
    targets = baseline_targets(["rice", "jpegls"])
    tasks = plan_campaign(targets, TRACKS, "synthetic", "cpu-1", shards_per_track=2)
    assert len(tasks) == 8
    url = str(tmp_path / "store")
    started = time.time()
    cluster = local_cluster(allowed_failures=3)
    reports: list[CampaignReport] = []
    try:
        with Client(cluster) as client:
            pids = client.run(os.getpid)  # worker address -> its process id
            runner = threading.Thread(target=lambda: reports.append(run_campaign(tasks, url, client=client)))
            runner.start()
            victim = None
            deadline = time.monotonic() + 120
            while victim is None and time.monotonic() < deadline:
                busy = {w: keys for w, keys in client.processing().items() if keys}
                if busy:
                    victim = min(busy)
                    break
                time.sleep(0.05)
            assert victim is not None, "no campaign task started within 2 minutes"
            time.sleep(1.0)  # the task is inside its sandbox run now (containers start in ~1 s)
            os.kill(pids[victim], signal.SIGKILL)
            runner.join(timeout=600)
            assert not runner.is_alive()
            # the nanny restarted the killed worker: a new process id
            assert pids[victim] not in set(client.run(os.getpid).values())
    finally:
        cluster.close()
        remove_own_containers(run_dir)  # the killed worker could not stop its containers
        for t in targets:
            remove_own_probes(str(docker.from_env().images.get(t.image.run_ref).id), started, time.time())
    (report,) = reports
    assert report.ok and (report.tasks_done, report.tasks_failed) == (8, 0), [o.reason for o in report.outcomes]

    store = ResultStore(url)
    assert len(store.keys()) == 4  # (image, track), each once
    ref = ResultStore(str(tmp_path / "ref"))
    for t in targets:  # the sequential run
        evaluate_image(ImageRun(t.image, select_tracks(TRACKS), "synthetic", "cpu-1", ref, submission=t.submission,
                                codec_name=t.codec_name))
    got = sizes(store)
    assert got == sizes(ref) and all(len(v) == 3 for v in got.values())
    # the campaign kept exactly one shard record per task, none doubled by the retry
    shard_files = list((Path(url) / "campaigns" / report.campaign_id / "shards").rglob("*.json"))
    assert len(shard_files) == 8
