"""``challenge admin campaign``: the plan (--dry-run) and a real run on its own local Dask cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from challenge.cli import app
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ResultStore
from submissions.queue import states
from submissions.queue.limits import SubmissionLimits
from submissions.queue.submission_queue import SubmissionQueue


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DASK_LOGGING__DISTRIBUTED", "warning")


def _finished(queue_dir: Path, image_id: str, name: str = "mycodec", **manifest: object) -> str:
    q = SubmissionQueue(queue_dir, limits=SubmissionLimits(per_day=50))
    sub = q.enqueue(participant="alice", name=name, image=ImageIdentity.frozen(image_id), manifest=dict(manifest))
    q.claim("w")
    q.transition(sub.id, states.RUNNING, "evaluating")
    q.transition(sub.id, states.FINISHED, "evaluated")
    return sub.id


def test_dry_run_prints_the_plan_and_runs_nothing(tmp_path: Path) -> None:
    sid = _finished(tmp_path / "q", "sha256:" + "a" * 64, gpu=True, profile="gpu-1")
    res = CliRunner().invoke(app, ["admin", "campaign", "--no-baselines", "--queue", str(tmp_path / "q"),
                                   "--track", "keck,sdss-2d", "--shards", "3", "--data", "synthetic",
                                   "--store", str(tmp_path / "store"), "--dry-run"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert sid in res.output and "6 tasks (6 need a GPU worker)" in res.output
    assert not (tmp_path / "store").exists()


def test_cli_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    runner = CliRunner()
    empty = runner.invoke(app, ["admin", "campaign", "--no-baselines", "--queue", str(tmp_path / "q")])
    assert empty.exit_code == 1 and "no finished submission" in empty.output
    _finished(tmp_path / "q", "sha256:" + "b" * 64)
    bad = runner.invoke(app, ["admin", "campaign", "--no-baselines", "--queue", str(tmp_path / "q"),
                              "--profile", "cpu-9", "--dry-run"])
    assert bad.exit_code == 2 and "choose one of" in bad.output  # an unknown profile is bad input


@pytest.mark.docker
@pytest.mark.slow
def test_campaign_command_re_evaluates_a_finished_submission(tmp_path: Path) -> None:
    try:
        from baselines.baseline_images import ensure_baseline_images  # noqa: PLC0415

        rice = ensure_baseline_images()["rice"]
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Docker or the baseline images are not available: {exc}")
    sid = _finished(tmp_path / "q", rice.image_id, name="my rice")
    store = tmp_path / "store"
    res = CliRunner().invoke(app, ["admin", "campaign", "--no-baselines", "--queue", str(tmp_path / "q"),
                                   "--track", "keck", "--shards", "2", "--workers", "2", "--profile", "cpu-1",
                                   "--data", "synthetic", "--store", str(store)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "2 tasks ok, 0 failed" in res.output and "local (2 workers)" in res.output
    records = list(ResultStore(str(store)).records())
    assert [(r.submission, r.codec, r.track, r.status, r.summary.n_items) for r in records] == [
        (sid, "my rice", "keck", "ok", 3)]
    fp = records[0].fingerprint
    assert fp is not None and fp.image is not None and fp.image.compressed_size_bytes  # measured once on the client
