"""Issue 4 acceptance: the participant journey and the queue, with real Docker.

Lean on purpose: one or two tracks of the small synthetic corpus per run.
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
from journey_helpers import c_example, docker_ready, python_variant

from evaluator.results.image_identity import ImageIdentity

pytestmark = [
    pytest.mark.docker,
    pytest.mark.slow,
    pytest.mark.skipif(not docker_ready(), reason="needs a running Docker engine"),
]

TEMPLATE_ROWS = "    rows = np.ascontiguousarray(quantised).reshape(-1, image.shape[-1])"
TEMPLATE_DECODE = "    if stream[:4] != MAGIC:"


def _records(home: Path, sid: str) -> list[Path]:
    return sorted((home / "results" / "records" / sid).rglob("*.json"))


def test_journey_init_build_test_submit_worker_status(home: Path, cli, tmp_path: Path) -> None:
    folder = tmp_path / "my_codec"
    cli("init", str(folder))
    built = cli("build", str(folder)).output
    assert "image id (digest): sha256:" in built and "MB" in built

    out = cli("test", str(folder), "--track", "keck").output
    assert "keck" in out and "round-tripped losslessly" in out and "evaluate-baselines" in out

    out = cli("submit", str(folder), "--participant", "ada", "--track", "keck").output
    assert "queued sub-" in out
    again = cli("submit", str(folder), "--participant", "ada", "--track", "keck", ok=False)
    assert again.exit_code != 0 and "already submitted as sub-" in again.output

    status = json.loads(cli("status", "--json").output)
    assert [s["state"] for s in status] == ["pending"]

    cli("admin", "worker", "--once", "--track", "keck", "--poll", "0.5")
    (sub,) = json.loads(cli("status", "--json", "--participant", "ada").output)
    assert sub["state"] == "finished", sub
    from submissions.queue.submission_queue import SubmissionQueue

    history = SubmissionQueue(home / "submissions").get(sub["id"]).history
    assert [h.to_state for h in history] == ["pending", "loading", "running", "finished"]
    # the template declares the near-lossless mode (it quantises): the worker adds keck's variants
    scores = {s["track"]: s for s in sub["scores"]}
    assert set(scores) == {"keck", "keck-nl1", "keck-nl2", "keck-nl4", "keck-nlsigma"}, scores
    assert all(s["status"] == "ok" for s in scores.values())
    assert scores["keck"]["ratio_mean"] > 1.2 and scores["keck-nl4"]["ratio_mean"] > scores["keck"]["ratio_mean"]
    assert "finished" in cli("status").output


def test_non_python_codecs_pass_challenge_test(home: Path, cli, tmp_path: Path) -> None:
    out = cli("test", str(c_example(tmp_path)), "--track", "keck,sdss-3d-lambda").output
    assert "round-tripped losslessly" in out and "c-rice" in out
    shell = tmp_path / "sh_codec"
    cli("init", str(shell), "--lang", "shell")
    assert "round-tripped losslessly" in cli("test", str(shell), "--track", "keck").output


@pytest.mark.slow
@pytest.mark.every_portable_env  # the scaffold claims portable: checked under every environment
def test_torch_template_journey(home: Path, cli, tmp_path: Path) -> None:
    """`init --lang torch` -> build (torch base) -> test -> submit, unchanged commands; the codec is portable."""
    folder = tmp_path / "nn_codec"
    cli("init", str(folder), "--lang", "torch")
    assert "image id (digest): sha256:" in cli("build", str(folder)).output
    out = cli("test", str(folder), "--track", "sdss-2d").output
    assert "round-tripped losslessly" in out and "sdss-2d" in out
    assert "not portable" not in out
    assert "queued sub-" in cli("submit", str(folder), "--participant", "nn", "--track", "sdss-2d").output


def test_a_lossy_codec_fails_test_and_submit_with_the_reason(home: Path, cli, tmp_path: Path) -> None:
    lossy = python_variant(tmp_path / "lossy", "lossy", replace=(
        TEMPLATE_ROWS, "    rows = (np.ascontiguousarray(quantised) & 0xFFFE).reshape(-1, image.shape[-1])"))
    out = cli("test", str(lossy), "--track", "keck", ok=False)
    assert out.exit_code == 1 and "not_lossless" in out.output
    sub = cli("submit", str(lossy), "--participant", "eve", "--track", "keck", ok=False)
    assert sub.exit_code == 2 and "self-check failed" in sub.output and "nothing was submitted" in sub.output
    assert json.loads(cli("status", "--json").output) == []


def test_bad_submissions_fail_with_reasons_and_the_good_one_still_finishes(home: Path, cli, tmp_path: Path) -> None:
    from evaluator.core.settings import default_queue_dir
    from submissions.evaluation.intake import build, export_image
    from submissions.inbox.ingest import images_dir
    from submissions.queue.submission_queue import SubmissionQueue

    lossy = python_variant(tmp_path / "lossy", "lossy", replace=(
        TEMPLATE_ROWS, "    rows = (np.ascontiguousarray(quantised) & 0xFFFE).reshape(-1, image.shape[-1])"))
    crash = python_variant(tmp_path / "crash", "crash", replace=(
        TEMPLATE_DECODE, "    import os\n    os._exit(3)\n" + TEMPLATE_DECODE))
    other = python_variant(tmp_path / "other", "other", replace=("zlib.compress(", "zlib.compress( "))
    queue = SubmissionQueue(default_queue_dir())
    imgs = images_dir(queue)

    def queue_image(folder: Path, who: str) -> tuple[str, Path, str]:
        # straight into the queue: codecs that pass a one-item self-check can still fail later
        _, img = build(folder)
        exp = export_image(img.image_id, imgs / f"{who}.tar")
        sub = queue.enqueue(participant=who, name=folder.name, image=ImageIdentity.frozen(img.image_id),
                            image_tar=str(exp.path), tar_sha256=exp.sha256)
        return sub.id, exp.path, exp.sha256

    lossy_id, lossy_tar, lossy_sha = queue_image(lossy, "lossy")
    crash_id, crash_tar, crash_sha = queue_image(crash, "crash")
    # a tar damaged after queueing (the recorded SHA-256 no longer matches)
    corrupt_tar = imgs / "corrupt.tar"
    data = bytearray(crash_tar.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = os.urandom(4096)
    corrupt_tar.write_bytes(bytes(data))
    del data
    corrupt = queue.enqueue(participant="mallory", name="corrupt", image=ImageIdentity.frozen("sha256:" + "c" * 64),
                            image_tar=str(corrupt_tar), tar_sha256=crash_sha)
    # an intact tar that holds another image than the recorded digest
    _, other_img = build(other)
    mismatch = queue.enqueue(participant="mallory", name="mismatch", image=ImageIdentity.frozen(other_img.image_id),
                             image_tar=str(lossy_tar), tar_sha256=lossy_sha)
    # the good codec is queued last, behind every bad one
    out = cli("submit", str(c_example(tmp_path)), "--participant", "ada", "--track", "keck").output
    good_id = out.split("queued ", 1)[1].split()[0]

    cli("admin", "worker", "--once", "--track", "keck", "--poll", "0.5", "--no-image-size")
    got = {s.id: s for s in queue.submissions()}
    assert got[good_id].state == "finished", got[good_id].reason
    assert got[lossy_id].state == "failed" and "not_lossless" in got[lossy_id].reason
    assert got[crash_id].state == "failed" and "keck:" in got[crash_id].reason
    assert "crash" in got[crash_id].reason or "exit" in got[crash_id].reason
    assert got[corrupt.id].state == "failed" and "corrupt" in got[corrupt.id].reason
    assert got[mismatch.id].state == "failed" and "digest mismatch" in got[mismatch.id].reason
    assert queue.counts()["finished"] == 1 and queue.counts()["failed"] == 4
    assert len(_records(home, good_id)) == 1
    assert _records(home, corrupt.id) == [] and _records(home, mismatch.id) == []  # nothing ran
    listing = cli("admin", "queue").output
    assert "digest" in listing and "corrupt" in listing


def test_killed_worker_is_retried_and_finishes_exactly_once(home: Path, cli, tmp_path: Path) -> None:
    slow = python_variant(tmp_path / "slow", "journey-slow", replace=(
        TEMPLATE_ROWS, "    import time\n    time.sleep(0.7)\n" + TEMPLATE_ROWS))
    out = cli("submit", str(slow), "--participant", "ada", "--track", "keck").output
    sid = out.split("queued ", 1)[1].split()[0]
    env = {**os.environ, "CHALLENGE_HOME": str(home)}
    args = [sys.executable, "-m", "challenge", "admin", "worker", "--once", "--lease", "3", "--poll", "0.3",
            "--track", "keck,sdss-2d"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    from submissions.queue.submission_queue import SubmissionQueue

    queue = SubmissionQueue(home / "submissions")
    deadline = time.time() + 120
    while time.time() < deadline and not _records(home, sid):  # first track recorded: mid-submission
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        time.sleep(0.2)
    assert _records(home, sid), "the worker never got going"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    killed = queue.get(sid)
    assert killed.state == "running" and killed.attempts == 1

    t0 = time.time()
    cli("admin", "worker", "--once", "--lease", "3", "--poll", "0.3", "--track", "keck,sdss-2d")
    done = queue.get(sid)
    assert done.state == "finished", done.reason
    assert done.attempts == 2
    moves = [(h.from_state, h.to_state) for h in done.history]
    assert moves == [(None, "pending"), ("pending", "loading"), ("loading", "running"), ("running", "pending"),
                     ("pending", "loading"), ("loading", "running"), ("running", "finished")]
    assert "stopped responding" in done.history[3].reason
    records = _records(home, sid)
    assert [p.parent.parent.name for p in records] == ["keck", "sdss-2d"]  # one record per track, no duplicates
    for p in records:
        rec = json.loads(p.read_text())
        assert rec["status"] == "ok" and rec["submission"] == sid
        assert rec["created_at"] >= time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0 - 1))  # rewritten by the retry
    assert not list((home / "results").rglob(".tmp-*"))
    # the killed worker could not remove its containers; sweep this codec's stopped or never-started ones
    import docker

    client = docker.from_env()
    for status in ("exited", "created", "dead"):
        for c in client.api.containers(all=True, filters={"label": "org.astrocompress.codec=journey-slow",
                                                          "status": status}):
            client.api.remove_container(c["Id"], force=True)


def test_hosted_inbox_and_hidden_split(home: Path, cli, tmp_path: Path) -> None:
    """submit --to an fsspec inbox, the worker ingests it and evaluates on the registered hidden split."""
    import numpy as np

    from evaluator.data.hidden_splits import register_split

    hidden = tmp_path / "hidden-keck"
    hidden.mkdir()
    rng = np.random.default_rng(5)
    for i in range(2):
        np.save(hidden / f"frame{i}.npy", rng.poisson(800, (96, 120)).astype(np.uint16))
    register_split("keck-secret", "GBI-16-2D", hidden)

    codec = tmp_path / "sh_codec"
    cli("init", str(codec), "--lang", "shell", "--name", "journey-gzip")
    inbox = f"file://{tmp_path / 'inbox'}"
    assert "recipient: age1" in cli("admin", "inbox-key", "--inbox", inbox).output  # images must now be encrypted
    out = cli("submit", str(codec), "--to", inbox, "--participant", "bob", "--track", "keck").output
    assert "uploaded request" in out and "encrypted" in out
    (sent,) = (tmp_path / "inbox" / "requests").iterdir()
    assert sorted(p.name for p in sent.iterdir()) == ["author", "image.tar.gz.age", "request.json"]
    assert json.loads(cli("status", "--json").output) == []  # nothing local until the organizer ingests

    cli("admin", "worker", "--once", "--inbox", inbox, "--track", "keck", "--poll", "0.3", "--no-image-size")
    (sub,) = json.loads(cli("status", "--json", "--participant", "bob").output)
    assert sub["state"] == "finished", sub["reason"]
    (score,) = sub["scores"]
    assert score["split"] == "hidden:keck-secret" and score["status"] == "ok" and score["ratio_mean"] > 1
    assert not (sent / "image.tar.gz.age").exists(), "the inbox's copy is deleted once ingested"
    # ingesting again queues nothing new
    assert "0 queued" in cli("admin", "ingest", "--from", inbox).output
