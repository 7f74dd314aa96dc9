"""Soak test of ``challenge admin serve`` on a folder inbox, real Docker (issue 11 acceptance).

Six submissions (three honest codecs, three failing ones: crash, lossy,
stdout flood) go into a folder inbox. The service (two workers) is killed
with SIGKILL at three seeded random moments and restarted each time; the
last run is stopped with SIGTERM once the inbox is answered. Then: every
submission is finished or failed exactly once with its reason, every record
exists exactly once, every request got one "queued" and one final answer and
is closed, the published records are the store's, and no container or image
of this test is left on the (shared) engine.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from evaluator.data.hidden_splits import register_split
from evaluator.results.records import ResultStore
from evaluator.sandbox.policy import LABEL
from submissions.evaluation.intake import export_image
from submissions.inbox.submission_store import SubmissionStore
from submissions.queue import states
from submissions.queue.submission_queue import SubmissionQueue
from submissions.service.queue_snapshot import read_snapshot
from submissions.service.worker import SUBMISSION_REPOSITORY

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]

SEED = 11
# each kill comes a seeded random 0-4 s after the restarted service reaches one of these (or is done):
# a worker loading an image, a codec container at work, a request being answered and closed
KILL_PHASES = ("] sub-", "evaluating hubble", "answered and closed")
KILLS = len(KILL_PHASES)
KILL_MARK = "---- SIGKILL ----"
# codec -> (final state, failure kind in the reason)
EXPECTED = {
    "good-a": (states.FINISHED, None),
    "good-b": (states.FINISHED, None),
    "slow-a": (states.FINISHED, None),
    "crashmid-a": (states.FAILED, "crash"),
    "offbyone-a": (states.FAILED, "not_lossless"),
    "floodafterready-a": (states.FAILED, "protocol"),
}


def _serve(env: dict[str, str], inbox: str, hub: Path, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "challenge", "admin", "serve", "--inbox", inbox, "--workers", "2",
           "--repo", "org/results", "--to", f"file://{hub}", "--publish-every", "3", "--cycle", "0.5",
           "--poll", "0.3", "--lease", "30", "--max-attempts", "20", "--track", "hubble", "--no-image-size",
           "--stop-timeout", "30"]
    return subprocess.Popen(cmd, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)


def _wait_for(log: Path, texts: tuple[str, ...], proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    """Until one of ``texts`` appears in the log after the last kill marker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        current = log.read_text().rsplit(KILL_MARK, 1)[-1]
        if any(t in current for t in texts):
            return
        time.sleep(0.2)
    raise AssertionError(f"the service never logged {texts!r}:\n{log.read_text()[-3000:]}")


def _last_event(log: Path) -> str:
    lines = [ln for ln in log.read_text().splitlines() if "health:" not in ln and "WARNING" not in ln]
    return lines[-1][:160] if lines else ""


def _all_answered(box: SubmissionStore, n: int) -> bool:
    return len(box.request_ids()) == n and box.open_requests() == []


def test_serve_survives_sigkill_and_loses_nothing(tmp_path: Path, codec_images, docker_client, monkeypatch) -> None:
    t_start = time.monotonic()
    home, runs, hub = tmp_path / "home", tmp_path / "runs", tmp_path / "hub"
    runs.mkdir()
    env = {**os.environ, "CHALLENGE_HOME": str(home), "CHALLENGE_RUN_DIR": str(runs), "CHALLENGE_DAILY_LIMIT": "20"}
    for k in ("CHALLENGE_HOME", "CHALLENGE_RUN_DIR", "CHALLENGE_DAILY_LIMIT"):
        monkeypatch.setenv(k, env[k])
    monkeypatch.delenv("CHALLENGE_STORE", raising=False)
    env.pop("CHALLENGE_STORE", None)
    frames = tmp_path / "hidden-hubble"
    frames.mkdir()
    rng = np.random.default_rng(SEED)
    for i in range(3):
        np.save(frames / f"f{i}.npy", rng.poisson(400, (48, 64)).astype(np.uint16))
    register_split("soak-hubble", "SBI-16-2D", frames)

    inbox_dir = tmp_path / "inbox"
    box = SubmissionStore(str(inbox_dir))
    image_ids: dict[str, str] = {}
    for codec in EXPECTED:
        name, variant = codec.rsplit("-", 1)
        tag = codec_images(name, variant)
        image_id = docker_client.images.get(tag).id
        image_ids[codec] = image_id
        exported = export_image(image_id, tmp_path / "tars" / f"{codec}.tar.gz")
        box.put_request({"participant": f"team-{codec}", "name": codec, "image_digest": image_id,
                         "tar_sha256": exported.sha256, "manifest": {"name": codec}, "request_id": f"req-{codec}"},
                        exported.path)
    setup_s = time.monotonic() - t_start

    log = tmp_path / "serve.log"
    chance = random.Random(SEED)
    t_soak = time.monotonic()
    kills_at: list[str] = []
    for phase in KILL_PHASES:
        proc = _serve(env, str(inbox_dir), hub, log)
        _wait_for(log, (phase, "health: pending=0 loading=0 running=0"), proc)
        time.sleep(chance.uniform(0.0, 4.0))
        kills_at.append(_last_event(log))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        with open(log, "ab") as fh:
            fh.write(KILL_MARK.encode() + b"\n")
    proc = _serve(env, str(inbox_dir), hub, log)
    deadline = time.monotonic() + 600
    while not _all_answered(box, len(EXPECTED)) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(1.0)
    time.sleep(4.0)  # one more publish interval
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(90) == 0, log.read_text()[-4000:]
    soak_s = time.monotonic() - t_soak
    text = log.read_text()
    assert _all_answered(box, len(EXPECTED)), text[-4000:]
    assert "health: pending=" in text and "last_publish=" in text and "stopped" in text

    queue = SubmissionQueue(home / "submissions")
    subs = {s.name: s for s in queue.submissions()}
    assert sorted(subs) == sorted(EXPECTED)
    store = ResultStore(str(home / "results"))
    keys = store.keys()
    for codec, (state, kind) in EXPECTED.items():
        sub = subs[codec]
        assert sub.state == state, (codec, sub.reason, text[-3000:])
        if kind:
            assert f"hubble: {kind}:" in sub.reason, (codec, sub.reason)
        finals = [t for t in sub.history if t.to_state in states.TERMINAL]
        assert len(finals) == 1, (codec, [t.to_dict() for t in sub.history])
        assert sub.participant == f"team-{codec}" and sub.request_id == f"req-{codec}"
        assert [k for k in keys if k.startswith(sub.id + "/")] == [f"{sub.id}/hubble/cpu-1/hidden_soak-hubble"]
        texts = [c["text"] for c in box.comments(sub.request_id)]
        assert sum("**Queued**" in t for t in texts) == 1 and len(texts) == 2, texts
        assert state.title() in texts[1] and sub.id in texts[1]
        if state == states.FINISHED:
            assert "mean ratio" in texts[1]
        else:
            assert "codec said" not in texts[1] and "stderr" not in texts[1]  # hidden data: no logs
    assert len(keys) == len(EXPECTED), keys

    published = hub / "datasets" / "org" / "results" / "records"
    got = sorted(str(p.relative_to(published))[: -len(".json")] for p in published.rglob("*.json"))
    assert got == keys, "the published records are not the store's"
    for k in keys:
        pub = json.loads((published / f"{k}.json").read_text())
        assert pub["submission"] in {s.id for s in subs.values()} and pub["status"] == store.read(k).status
    snapshot = read_snapshot(f"file://{hub}/datasets/org/results")
    assert {e.id: (e.state, e.participant) for e in snapshot.submissions} == {
        s.id: (s.state, s.participant) for s in subs.values()}, "the published queue snapshot is not the queue"

    ours = set(image_ids.values())
    left = [c["Id"][:12] for c in docker_client.api.containers(all=True, filters={"label": LABEL})
            if c["ImageID"] in ours]
    assert not left, f"containers left behind: {left}"
    tags = [t for img in docker_client.api.images(name=SUBMISSION_REPOSITORY) for t in img.get("RepoTags") or []
            if t.rpartition(":")[2] in {s.id.lower() for s in subs.values()}]
    assert not tags, f"submission images not pruned: {tags}"
    assert (home / "submissions" / "images").is_dir() and len(list((home / "submissions" / "images").glob(
        "*.tar.gz"))) == len(EXPECTED), "the saved image archives must stay"
    assert list(runs.iterdir()) == [], "run folders left behind"
    print("\nkilled after: " + "\n  ".join(kills_at))
    print(f"soak: setup {setup_s:.0f} s, service {soak_s:.0f} s with {KILLS} SIGKILLs, "
          f"{text.count('recovered ')} leases recovered, {text.count('removed container')} orphan containers removed")
