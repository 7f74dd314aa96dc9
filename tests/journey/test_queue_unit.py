"""The queue without Docker: state machine, limits, dedupe, leases, concurrency."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import pytest

from evaluator.results.image_identity import ImageIdentity
from submissions.queue import queue_db, states
from submissions.queue.limits import LimitExceeded, SubmissionLimits
from submissions.queue.states import TransitionError, check_transition
from submissions.queue.submission_queue import (
    DuplicateSubmission,
    LeaseLost,
    SubmissionNotFound,
    SubmissionQueue,
)

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def digest(i: int) -> str:
    return f"sha256:{i:064x}"


@pytest.fixture
def queue(tmp_path: Path) -> SubmissionQueue:
    return SubmissionQueue(tmp_path / "q", limits=SubmissionLimits(per_day=5))


def test_every_allowed_transition_and_no_other() -> None:
    allowed = {
        ("pending", "loading"), ("pending", "failed"), ("pending", "cancelled"),
        ("loading", "running"), ("loading", "failed"), ("loading", "cancelled"), ("loading", "pending"),
        ("running", "finished"), ("running", "failed"), ("running", "cancelled"), ("running", "pending"),
        ("failed", "pending"),
    }
    for a in states.STATES:
        for b in states.STATES:
            if (a, b) in allowed:
                check_transition(a, b)
            else:
                with pytest.raises(TransitionError):
                    check_transition(a, b)
    with pytest.raises(TransitionError, match="unknown state"):
        check_transition("pending", "building")


def test_lifecycle_records_history_with_reasons(queue: SubmissionQueue) -> None:
    sub = queue.enqueue(participant="ada", name="c", image=ImageIdentity.frozen(D1), manifest={"name": "c"})
    assert sub.state == "pending" and sub.attempts == 0
    claimed = queue.claim("w1")
    assert claimed is not None and claimed.id == sub.id and claimed.state == "loading" and claimed.attempts == 1
    queue.transition(sub.id, "running", "image ok", owner="w1")
    done = queue.transition(sub.id, "finished", "all tracks ok", owner="w1")
    assert [(t.from_state, t.to_state) for t in done.history] == [
        (None, "pending"), ("pending", "loading"), ("loading", "running"), ("running", "finished")]
    assert done.history[-1].reason == "all tracks ok" and done.reason == "all tracks ok"
    assert done.lease_owner is None
    with pytest.raises(TransitionError, match="final state"):
        queue.transition(sub.id, "running", "again")
    assert queue.counts() == {"pending": 0, "loading": 0, "running": 0, "finished": 1, "failed": 0, "cancelled": 0}
    assert queue.get(sub.id).to_dict()["history"][0]["to"] == "pending"


def test_refused_transition_changes_nothing(queue: SubmissionQueue) -> None:
    sub = queue.enqueue(participant="ada", name="c", image=ImageIdentity.frozen(D1))
    with pytest.raises(TransitionError):
        queue.transition(sub.id, "finished", "skipping ahead")
    again = queue.get(sub.id)
    assert again.state == "pending" and len(again.history) == 1
    with pytest.raises(SubmissionNotFound):
        queue.get("sub-nope")


def test_dedupe_by_digest_names_the_existing_submission(queue: SubmissionQueue) -> None:
    first = queue.enqueue(participant="ada", name="c", image=ImageIdentity.frozen(D1))
    with pytest.raises(DuplicateSubmission) as info:
        queue.enqueue(participant="bob", name="c2", image=ImageIdentity.frozen(D1))
    assert info.value.existing_id == first.id and first.id in str(info.value)
    # a failed submission's digest may be submitted again
    queue.claim("w")
    queue.transition(first.id, "failed", "crash", owner="w")
    second = queue.enqueue(participant="ada", name="c", image=ImageIdentity.frozen(D1))
    assert second.id != first.id
    with pytest.raises(ValueError, match="sha256"):
        queue.enqueue(participant="ada", name="c", image=ImageIdentity.frozen("latest"))


def test_daily_limit_is_per_participant_and_rolling(tmp_path: Path) -> None:
    q = SubmissionQueue(tmp_path / "q", limits=SubmissionLimits(per_day=2))
    t0 = 1_800_000_000.0
    q.enqueue(participant="ada", name="c", image=ImageIdentity.frozen(digest(1)), now=t0)
    q.enqueue(participant="ada", name="c", image=ImageIdentity.frozen(digest(2)), now=t0 + 60)
    with pytest.raises(LimitExceeded, match="limit 2") as info:
        q.enqueue(participant="ada", name="c", image=ImageIdentity.frozen(digest(3)), now=t0 + 120)
    assert "next slot opens" in str(info.value)
    q.enqueue(participant="bob", name="c", image=ImageIdentity.frozen(digest(4)), now=t0 + 120)  # others unaffected
    q.enqueue(participant="ada", name="c", image=ImageIdentity.frozen(digest(5)),
              now=t0 + 24 * 3600 + 1)  # window moved
    assert len(q.submissions(participant="ada")) == 3


def test_stale_lease_goes_back_to_pending_then_fails_after_max_attempts(tmp_path: Path) -> None:
    q = SubmissionQueue(tmp_path / "q", max_attempts=2)
    sub = q.enqueue(participant="ada", name="c", image=ImageIdentity.frozen(D1))
    t = time.time()
    assert q.claim("w1", lease_s=10, now=t) is not None
    assert q.requeue_stale(now=t + 5) == []  # lease still valid
    q.heartbeat(sub.id, "w1", lease_s=10, now=t + 8)  # renewed to t+18
    assert q.requeue_stale(now=t + 15) == []
    assert q.requeue_stale(now=t + 19) == [sub.id]
    back = q.get(sub.id)
    assert back.state == "pending" and "stopped responding" in back.reason and "attempt 2 of 2" in back.reason
    # the dead worker wakes up: it may neither renew nor finish
    with pytest.raises(LeaseLost):
        q.heartbeat(sub.id, "w1", now=t + 20)
    again = q.claim("w2", lease_s=10, now=t + 20)
    assert again is not None and again.attempts == 2
    with pytest.raises(LeaseLost):
        q.transition(sub.id, "finished", "late", owner="w1")
    assert q.requeue_stale(now=t + 100) == [sub.id]
    final = q.get(sub.id)
    assert final.state == "failed" and "gave up after 2 attempts" in final.reason


def test_submissions_filters_and_order(queue: SubmissionQueue) -> None:
    a = queue.enqueue(participant="ada", name="a", image=ImageIdentity.frozen(digest(1)), now=1_800_000_000)
    b = queue.enqueue(participant="bob", name="b", image=ImageIdentity.frozen(digest(2)), now=1_800_000_010)
    queue.cancel(a.id, "withdrawn")
    assert [s.id for s in queue.submissions()] == [b.id, a.id]
    assert [s.id for s in queue.submissions(state="cancelled")] == [a.id]
    assert [s.id for s in queue.submissions(participant="bob")] == [b.id]
    assert len(queue.submissions(limit=1)) == 1
    with pytest.raises(ValueError):
        queue.submissions(state="done")


def _claimer(path: str, worker: str, out: mp.Queue[list[str]]) -> None:
    q = SubmissionQueue(path)
    got = []
    while (s := q.claim(worker)) is not None:
        got.append(s.id)
    out.put(got)


def test_concurrent_workers_never_claim_the_same_submission(tmp_path: Path) -> None:
    q = SubmissionQueue(tmp_path / "q", limits=SubmissionLimits(per_day=0))
    ids = {q.enqueue(participant="p", name="c", image=ImageIdentity.frozen(digest(i))).id for i in range(40)}
    ctx = mp.get_context("spawn")
    out: mp.Queue[list[str]] = ctx.Queue()
    procs = [ctx.Process(target=_claimer, args=(str(tmp_path / "q"), f"w{i}", out)) for i in range(3)]
    for p in procs:
        p.start()
    claimed = [sid for _ in procs for sid in out.get(timeout=60)]
    for p in procs:
        p.join(timeout=30)
    assert sorted(claimed) == sorted(ids)  # each exactly once
    assert q.counts()["loading"] == 40


def test_data_plan_prefers_registered_hidden_splits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from evaluator.data.hidden_splits import register_split
    from submissions.service.worker import DataPlan

    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    data = tmp_path / "keck"
    data.mkdir()
    np.save(data / "a.npy", np.zeros((8, 8), np.uint16))
    register_split("keck-hidden", "GBI-16-2D", data)
    plan = DataPlan()
    assert plan.spec_for("GBI-16-2D") == "hidden:keck-hidden"
    assert plan.spec_for("SBI-16-2D") == "synthetic"
    assert DataPlan(default="synthetic:small:3").spec_for("GBI-16-2D") == "synthetic:small:3"
    mapping = tmp_path / "map.json"
    mapping.write_text('{"SBI-16-2D": "hidden:hub", "*": "synthetic"}')
    plan = DataPlan.from_file(mapping)
    assert plan.spec_for("SBI-16-2D") == "hidden:hub" and plan.spec_for("GBI-16-2D") == "synthetic"


def test_claim_filters_by_profile(queue: SubmissionQueue) -> None:
    gpu = queue.enqueue(participant="a", name="g", image=ImageIdentity.frozen(digest(1)), manifest={"profile": "gpu-1"})
    cpu = queue.enqueue(participant="a", name="c", image=ImageIdentity.frozen(digest(2)), manifest={})
    got = queue.claim("cpu-worker", profiles=["cpu-1", "cpu-8"])
    assert got is not None and got.id == cpu.id
    assert queue.claim("cpu-worker", profiles=["cpu-1", "cpu-8"]) is None
    got = queue.claim("gpu-worker", profiles=["cpu-1", "gpu-1"])
    assert got is not None and got.id == gpu.id


def test_the_queue_keeps_the_frozen_identity_and_opens_an_older_queue_file(tmp_path: Path) -> None:
    """enqueue takes the ImageIdentity frozen at submit; the queue gives back the same one. A queue file made
    before the identity's size and modes columns gets them on open (NULL: not known) and keeps its entries."""
    import sqlite3  # noqa: PLC0415

    frozen = ImageIdentity.frozen(D1, ref="astrocompress/codec-c:1", compressed_size_bytes=5_000,
                                  modes="lossless,near-lossless")
    queue = SubmissionQueue(tmp_path / "q")
    sub = queue.enqueue(participant="ada", name="c", image=frozen)
    assert sub.image == frozen and queue.get(sub.id).image == frozen and sub.to_dict()["image_digest"] == D1
    old = tmp_path / "old"
    old.mkdir()
    con = sqlite3.connect(old / "queue.sqlite")
    schema = queue_db.SCHEMA.replace("    image_compressed_bytes INTEGER,\n", "").replace("    image_modes TEXT,\n", "")
    con.executescript(schema)
    con.execute("INSERT INTO submissions(id, participant, name, image_digest, state, created_at, created_ts, "
                "updated_at) VALUES ('sub-old', 'bob', 'c', ?, 'pending', 't', 0, 't')", (digest(2),))
    con.commit()
    con.close()
    again = SubmissionQueue(old).get("sub-old")
    assert again.image == ImageIdentity.frozen(digest(2)) and again.state == states.PENDING
