"""The public queue snapshot: what it holds and never holds, publishing it, `challenge status --from`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lb_factory import verified_record
from typer.testing import CliRunner

from evaluator.records import Failure, ResultRecord, ResultStore
from leaderboard.board_data import LeaderboardData
from leaderboard.publish import FsspecTarget, publish
from leaderboard.store_reader import StoreReader
from submissions import states
from submissions.intake import describe_failures
from submissions.limits import SubmissionLimits
from submissions.queue import SubmissionQueue
from submissions.queue_snapshot import (
    SNAPSHOT_PATH,
    QueueSnapshot,
    SnapshotMissing,
    build_snapshot,
    read_snapshot,
)

SECRET = "HIDDEN-PIXELS-7f3a9c"  # what a codec printed while it ran on hidden data
PUBLIC_LOG = "decoder: byte order swapped at row 12"  # its stderr on public data: the submitter may read it
TAR = "/srv/organizer/tars/secret-location.tar"
WORKER = "organizer-box-1234"


def _run(queue: SubmissionQueue, sid: str, end: str, reason: str) -> None:
    """Move a pending submission through a worker's states (the real queue API)."""
    claimed = queue.claim(WORKER)
    assert claimed is not None and claimed.id == sid
    queue.transition(sid, states.RUNNING, "image loaded and verified; evaluating", owner=WORKER)
    queue.transition(sid, end, reason, owner=WORKER)


def _hidden_failure(submission: str, track: str, message: str) -> ResultRecord:
    return ResultRecord(submission=submission, codec="Quasar", track=track, profile="cpu-1", split="hidden:keck-2026",
                        provenance="verified", synthetic=False, status="failed",
                        failure=Failure("crash", message, item_id="keck-0007"), image_digest="sha256:" + "2" * 64)


def _public_failure(submission: str, track: str) -> ResultRecord:
    return ResultRecord(submission=submission, codec="Quasar", track=track, profile="cpu-1",
                        split="synthetic-small-s0:full_test", provenance="verified", synthetic=True, status="failed",
                        failure=Failure("not_lossless", f"decoded item differs from the original\n{PUBLIC_LOG}",
                                        item_id="synthetic-lco-001"), image_digest="sha256:" + "2" * 64)


@pytest.fixture
def board(tmp_path: Path) -> tuple[SubmissionQueue, ResultStore, dict[str, str]]:
    """alice finished (public scores), bob failed (a hidden-split crash quoting codec text, a public failure),
    carol pending: written as the worker writes them."""
    store = ResultStore(str(tmp_path / "results"))
    queue = SubmissionQueue(tmp_path / "queue", limits=SubmissionLimits(per_day=50))
    ids = {}
    ids["alice"] = queue.enqueue(participant="alice", name="Nebula-LZ", image_digest="sha256:" + "1" * 64,
                                 image_tar=TAR, manifest={"profile": "cpu-1", "notes": "organizer eyes only"},
                                 now=1_000).id
    rec, items = verified_record("nebula", "hubble", submission=ids["alice"], codec="Nebula-LZ", seed=3)
    store.write(rec, items)
    _run(queue, ids["alice"], states.FINISHED, "evaluated 1 tracks on profile cpu-1")

    ids["bob"] = queue.enqueue(participant="bob", name="Quasar", image_digest="sha256:" + "2" * 64, now=2_000).id
    # A record of a hidden-split run whose message carries the codec's own text (the evaluator never
    # writes one: the snapshot must not rely on that), and a public-data failure with its stderr tail.
    bad = [_hidden_failure(ids["bob"], "keck", f"codec said: {SECRET}"), _public_failure(ids["bob"], "lco")]
    for r in bad:
        store.write(r)
    _run(queue, ids["bob"], states.FAILED, "; ".join(describe_failures(bad)))  # the worker's reason

    ids["carol"] = queue.enqueue(participant="carol", name="Pulsar", image_digest="sha256:" + "3" * 64,
                                 now=3_000).id
    return queue, store, ids


def test_snapshot_holds_states_scores_and_public_logs_only(board) -> None:
    queue, store, ids = board
    snap = build_snapshot(queue, store)
    raw = snap.to_json()
    assert SECRET.encode() not in raw  # never hidden-data text, not even quoted in the queue's reason
    assert SECRET in queue.get(ids["bob"]).reason  # (the queue itself, organizer-side, did hold it)
    for private in (TAR, "organizer eyes only", WORKER):  # organizer-side details stay out
        assert private.encode() not in raw
    assert [e.participant for e in snap.submissions] == ["carol", "bob", "alice"]  # newest first
    assert snap.counts == {**{s: 0 for s in states.STATES}, "pending": 1, "finished": 1, "failed": 1}
    assert snap.as_of == max(e.updated_at for e in snap.submissions)

    alice, = snap.of("alice")
    assert alice.state == "finished" and [h["to"] for h in alice.history] == ["pending", "loading", "running",
                                                                              "finished"]
    score, = alice.scores
    expected = store.find(submission=ids["alice"])[0].summary
    assert score.status == "ok" and score.ratio_mean == expected.ratio_mean and score.bpp_mean == expected.bpp_mean
    assert score.log is None and score.hidden is False

    bob, = snap.of("bob")
    by_track = {s.track: s for s in bob.scores}
    hidden = by_track["keck"]
    assert hidden.hidden and hidden.failure_kind == "crash" and hidden.log is None
    assert hidden.message == "the codec exited or reported an error (hidden data: details are in the organizer log)"
    assert hidden.message in bob.reason
    public = by_track["lco"]
    assert not public.hidden and public.log is not None and PUBLIC_LOG in public.log  # the submitter's own log
    assert public.message == "decoded item differs from the original"

    carol, = snap.of("carol")
    assert carol.state == "pending" and carol.scores == []

    assert build_snapshot(queue, store).to_json() == raw  # same queue, same bytes (publish commits nothing)
    again = QueueSnapshot.from_json(raw)
    assert again.to_json() == raw


def test_publish_snapshot_and_status_from_the_published_dataset(board, tmp_path: Path) -> None:
    from challenge.cli import app

    queue, store, ids = board
    hub = f"file://{tmp_path / 'hub'}"
    runner = CliRunner()
    res = runner.invoke(app, ["admin", "publish", "--store", store.url, "--repo", "org/results", "--to", hub,
                              "--queue", str(queue.folder)])
    assert res.exit_code == 0, res.output
    dataset = FsspecTarget(f"{hub}/datasets/org/results")
    assert SNAPSHOT_PATH in dataset.list_files()
    results_url = f"{hub}/datasets/org/results"
    assert read_snapshot(results_url).to_json() == build_snapshot(queue, store).to_json()

    # unchanged queue: nothing to commit; one change: one commit with only the snapshot
    assert publish(store.url, "org/results", hub_url=hub, queue_dir=queue.folder).dataset.commit is None
    queue.cancel(ids["carol"], "withdrawn by the participant")
    report = publish(store.url, "org/results", hub_url=hub, queue_dir=queue.folder)
    assert report.dataset.added == [SNAPSHOT_PATH] and report.dataset.deleted == []

    res = runner.invoke(app, ["status", "--from", results_url, "--json", "--participant", "bob"])
    assert res.exit_code == 0, res.output
    shown = json.loads(res.output)
    assert [e["id"] for e in shown["submissions"]] == [ids["bob"]]
    assert SECRET not in res.output and PUBLIC_LOG in res.output
    assert shown["counts"]["cancelled"] == 1

    res = runner.invoke(app, ["status", "--from", results_url], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    for sid in ids.values():
        assert sid in res.output
    assert "withdrawn by the participant" in res.output and SECRET not in res.output

    res = runner.invoke(app, ["status", "--from", results_url, "--participant", "bob"], env={"COLUMNS": "250"})
    assert res.exit_code == 0 and PUBLIC_LOG in res.output  # the submitter sees the public-data log

    empty = runner.invoke(app, ["status", "--from", f"file://{tmp_path / 'nothing-here'}"])
    assert empty.exit_code == 1 and "no queue snapshot" in empty.output

    # the board reading the published dataset shows the same queue
    text, frame = LeaderboardData(StoreReader(results_url), None).queue_view()
    assert "**cancelled**: 1" in text and "queue/snapshot.json" in text
    rows = frame.set_index("Submission")
    assert rows.loc[ids["carol"], "State"] == "cancelled"
    assert rows.loc[ids["alice"], "Scores (mean ratio)"].startswith("hubble: ")
    assert SECRET not in frame.to_csv()


def test_missing_and_foreign_snapshots(tmp_path: Path) -> None:
    with pytest.raises(SnapshotMissing, match="has not published one"):
        read_snapshot(str(tmp_path))
    (tmp_path / "queue").mkdir()
    (tmp_path / SNAPSHOT_PATH).write_text(json.dumps({"format": 99}))
    with pytest.raises(ValueError, match="format 99"):
        read_snapshot(f"file://{tmp_path}")


def test_publish_refuses_a_queue_folder_without_a_queue(tmp_path: Path) -> None:
    store = ResultStore(str(tmp_path / "results"))
    rec, items = verified_record("rice", "lco")
    store.write(rec, items)
    with pytest.raises(ValueError, match="no submission queue"):
        publish(store.url, "org/results", hub_url=f"file://{tmp_path / 'hub'}", queue_dir=tmp_path / "nope")
    assert not (tmp_path / "nope").exists()
