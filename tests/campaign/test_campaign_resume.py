"""``challenge admin campaign --resume ID`` after the campaign *process* was killed (SIGKILL).

The CLI runs in a subprocess (its own session, with its local Dask cluster);
once its first shard record is in the store the whole process group is
killed. The resume runs only the missing shards, keeps the finished ones
untouched, and ends with the same records as an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from campaign_support import docker_ok, remove_own_containers, remove_own_probes, sizes
from typer.testing import CliRunner

from challenge.cli import app
from evaluator.core.tracks import select_tracks
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import ImageRun, evaluate_image
from submissions.campaign.campaign_history import list_campaigns
from submissions.queue import states
from submissions.queue.limits import SubmissionLimits
from submissions.queue.submission_queue import SubmissionQueue

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TRACKS = "keck,sdss-2d"


def _finished(queue_dir: Path, image_id: str) -> str:
    q = SubmissionQueue(queue_dir, limits=SubmissionLimits(per_day=50))
    sub = q.enqueue(participant="alice", name="my rice", image=ImageIdentity.frozen(image_id), manifest={})
    q.claim("w")
    q.transition(sub.id, states.RUNNING, "evaluating")
    q.transition(sub.id, states.FINISHED, "evaluated")
    return sub.id


def _shards(store: Path) -> list[Path]:
    return sorted(store.glob("campaigns/*/shards/*/*.json"))


def test_resume_after_the_campaign_process_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not docker_ok():
        pytest.skip("Docker engine not reachable")
    from baselines.baseline_images import ensure_baseline_images  # noqa: PLC0415

    rice = ensure_baseline_images(["rice"])["rice"]
    run_dir = tmp_path / "runs"
    run_dir.mkdir()
    for name, value in (("CHALLENGE_HOME", str(tmp_path / "home")), ("CHALLENGE_RUN_DIR", str(run_dir)),
                        ("DASK_LOGGING__DISTRIBUTED", "error")):
        monkeypatch.setenv(name, value)
    sid = _finished(tmp_path / "q", rice.image_id)
    store = tmp_path / "store"
    cmd = [sys.executable, "-m", "challenge", "admin", "campaign", "--no-baselines", "--queue", str(tmp_path / "q"),
           "--track", TRACKS, "--shards", "2", "--workers", "1", "--profile", "cpu-1", "--data", "synthetic",
           "--store", str(store)]
    started = time.time()
    proc = subprocess.Popen(cmd, env=dict(os.environ), start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not _shards(store) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proc.poll() is None, "the campaign ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its Dask workers
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        remove_own_containers(run_dir)  # the killed campaign could not stop its containers
        remove_own_probes(rice.image_id, started, time.time())
    before = {p.name: json.loads(p.read_text())["saved_at"] for p in _shards(store)}
    assert 1 <= len(before) < 4  # killed mid-run: some shards done, not all
    (log,) = list_campaigns(str(store))
    assert log.status == "unfinished" and not ResultStore(str(store)).keys()  # no (submission, track) complete

    res = CliRunner().invoke(app, ["admin", "campaign", "--resume", log.id, "--workers", "1", "--store", str(store)],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert f"({len(before)} shards kept from before)" in res.output
    after = {p.name: json.loads(p.read_text())["saved_at"] for p in _shards(store)}
    assert len(after) == 4 and all(after[n] == t for n, t in before.items())  # kept shards never re-ran
    (done,) = list_campaigns(str(store))
    assert done.status == "finished" and done.resumed_at and done.counts["tasks_kept"] == len(before)

    ref = ResultStore(str(tmp_path / "ref"))  # the uninterrupted run of the same image
    evaluate_image(ImageRun(rice.image_id, select_tracks(TRACKS), "synthetic", "cpu-1", ref, submission=sid,
                            codec_name="my rice", measure_image_size=False))
    board = ResultStore(str(store))
    assert board.keys() == ref.keys() and sizes(board) == sizes(ref)
    for key in ref.keys():
        a, b = board.read(key), ref.read(key)
        assert (a.status, a.summary.n_items, a.summary.ratio_mean) == (b.status, b.summary.n_items,
                                                                       b.summary.ratio_mean)
        assert a.campaign == log.id
