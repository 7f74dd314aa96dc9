"""The public queue snapshot: what it holds and never holds, publishing it, `challenge status --from`."""

from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path

import pytest
from lb_factory import verified_record
from typer.testing import CliRunner

from evaluator.results.fingerprints import Fingerprint
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import Failure, ResultRecord, ResultStore
from leaderboard.board.board_data import LeaderboardData
from leaderboard.data.store_reader import StoreReader
from leaderboard.publish.publish import FsspecTarget, publish
from leaderboard.views.queue_view import QueueSource, queue_frame
from submissions.evaluation.intake import describe_failures
from submissions.queue import states
from submissions.queue.limits import SubmissionLimits
from submissions.queue.submission_queue import SubmissionQueue
from submissions.service.queue_snapshot import (
    SNAPSHOT_FORMAT,
    SNAPSHOT_PATH,
    QueueSnapshot,
    SnapshotMissing,
    build_snapshot,
    read_snapshot,
)
from submissions.service.service_heartbeat import (
    IDLE_PERIOD_S,
    STALE_PERIODS,
    ServiceSeen,
    duration_text,
    queue_busy,
    record_seen,
    seen_text,
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
                        failure=Failure("crash", message, item_id="keck-0007"),
                        fingerprint=Fingerprint(profile="cpu-1", image=ImageIdentity("sha256:" + "2" * 64)))


def _public_failure(submission: str, track: str) -> ResultRecord:
    return ResultRecord(submission=submission, codec="Quasar", track=track, profile="cpu-1",
                        split="synthetic-small-s0:full_test", provenance="verified", synthetic=True, status="failed",
                        failure=Failure("not_lossless", f"decoded item differs from the original\n{PUBLIC_LOG}",
                                        item_id="synthetic-lco-001"),
                        fingerprint=Fingerprint(profile="cpu-1", image=ImageIdentity("sha256:" + "2" * 64)))


@pytest.fixture
def board(tmp_path: Path) -> tuple[SubmissionQueue, ResultStore, dict[str, str]]:
    """alice finished (public scores), bob failed (a hidden-split crash quoting codec text, a public failure),
    carol pending: written as the worker writes them."""
    store = ResultStore(str(tmp_path / "results"))
    queue = SubmissionQueue(tmp_path / "queue", limits=SubmissionLimits(per_day=50))
    ids = {}
    ids["alice"] = queue.enqueue(participant="alice", name="Nebula-LZ",
                                 image=ImageIdentity.frozen("sha256:" + "1" * 64),
                                 image_tar=TAR, manifest={"profile": "cpu-1", "notes": "organizer eyes only"},
                                 now=1_000).id
    rec, items = verified_record("nebula", "hubble", submission=ids["alice"], codec="Nebula-LZ", seed=3)
    store.write(rec, items)
    _run(queue, ids["alice"], states.FINISHED, "evaluated 1 tracks on profile cpu-1")

    ids["bob"] = queue.enqueue(participant="bob", name="Quasar", image=ImageIdentity.frozen("sha256:" + "2" * 64),
                               now=2_000).id
    # A record of a hidden-split run whose message carries the codec's own text (the evaluator never
    # writes one: the snapshot must not rely on that), and a public-data failure with its stderr tail.
    bad = [_hidden_failure(ids["bob"], "keck", f"codec said: {SECRET}"), _public_failure(ids["bob"], "lco")]
    for r in bad:
        store.write(r)
    _run(queue, ids["bob"], states.FAILED, "; ".join(describe_failures(bad)))  # the worker's reason

    ids["carol"] = queue.enqueue(participant="carol", name="Pulsar", image=ImageIdentity.frozen("sha256:" + "3" * 64),
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
    assert empty.exit_code == 2 and "no queue snapshot" in empty.output  # a URL with no snapshot: bad input

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


# -- issue 21: positions, the service's heartbeat, a queue published before any record ---------------------------


def test_positions_follow_the_claim_order_per_profile(tmp_path: Path) -> None:
    queue = SubmissionQueue(tmp_path / "queue", limits=SubmissionLimits(per_day=50))
    plan = [("ada", "cpu-1", 100), ("bob", "gpu-1", 200), ("cy", None, 300), ("dee", "cpu-1", 300),
            ("eve", "gpu-1", 50), ("fay", "cpu-8", 400)]  # cy and dee: the same second (the id breaks the tie)
    ids = {who: queue.enqueue(participant=who, name="c", image=ImageIdentity.frozen(f"sha256:{i:064x}"), now=t,
                              manifest={"profile": p} if p else {}).id for i, (who, p, t) in enumerate(plan)}
    places = queue.positions()
    assert places[ids["eve"]] == ("gpu-1", 1) and places[ids["bob"]] == ("gpu-1", 2)
    assert places[ids["fay"]] == ("cpu-8", 1)
    cpu1 = sorted((who for who, p, _ in plan if p in (None, "cpu-1")), key=lambda w: places[ids[w]][1])
    assert [places[ids[w]] for w in cpu1] == [("cpu-1", 1), ("cpu-1", 2), ("cpu-1", 3)]

    snap = build_snapshot(queue, None)
    by_id = {e.id: e for e in snap.submissions}
    assert {(by_id[ids[w]].profile, by_id[ids[w]].position) for w in ids} == set(places.values())
    # what workers of each profile claim, in turn, is exactly the order of the positions
    for profile in ("cpu-1", "gpu-1", "cpu-8"):
        expected = sorted((sid for sid, (p, _) in places.items() if p == profile), key=lambda s: places[s][1])
        claimed = []
        while (sub := queue.claim(f"worker-{profile}", profiles=[profile])) is not None:
            claimed.append(sub.id)
        assert claimed == expected, profile
    after = build_snapshot(queue, None)
    assert all(e.position is None and e.state == "loading" for e in after.submissions)
    assert {e.profile for e in after.submissions} == {"cpu-1", "gpu-1", "cpu-8"}


def test_publish_with_a_queue_works_before_any_record(tmp_path: Path) -> None:
    store = ResultStore(str(tmp_path / "results"))  # nothing evaluated yet
    queue = SubmissionQueue(tmp_path / "queue")
    sid = queue.enqueue(participant="ada", name="first", image=ImageIdentity.frozen("sha256:" + "1" * 64)).id
    hub = f"file://{tmp_path / 'hub'}"
    with pytest.raises(ValueError, match="nothing to publish"):
        publish(store.url, "org/results", hub_url=hub)
    report = publish(store.url, "org/results", hub_url=hub, queue_dir=queue.folder)
    assert SNAPSHOT_PATH in report.dataset.added
    results_url = f"{hub}/datasets/org/results"
    entry, = read_snapshot(results_url).submissions
    assert entry.id == sid and entry.state == "pending" and entry.position == 1 and entry.profile == "cpu-1"
    text, frame = LeaderboardData(StoreReader(results_url), None).queue_view()
    assert "**pending**: 1" in text and frame.loc[0, "Position"] == 1 and frame.loc[0, "Profile"] == "cpu-1"
    assert publish(store.url, "org/results", hub_url=hub, queue_dir=queue.folder).dataset.commit is None


def test_heartbeat_is_coarse_so_an_idle_queue_commits_nothing_new(tmp_path: Path) -> None:
    t0 = 1_796_428_800.0  # 2026-12-05 00:00:00 UTC
    busy = ServiceSeen.of(t0 + 2_461, busy=True, publish_every_s=600)
    assert busy == ServiceSeen("2026-12-05T00:40:00+00:00", 600.0)  # floored to the publish interval
    idle = ServiceSeen.of(t0 + 2_461, busy=False, publish_every_s=600)
    assert idle == ServiceSeen("2026-12-05T00:00:00+00:00", IDLE_PERIOD_S)
    assert ServiceSeen.of(t0 + IDLE_PERIOD_S - 1, busy=False, publish_every_s=600) == idle

    store = ResultStore(str(tmp_path / "results"))
    queue = SubmissionQueue(tmp_path / "queue")
    sid = queue.enqueue(participant="ada", name="c", image=ImageIdentity.frozen("sha256:" + "1" * 64)).id
    queue.cancel(sid, "withdrawn")  # nothing left to do: the queue is idle
    hub = f"file://{tmp_path / 'hub'}"
    assert record_seen(queue, ServiceSeen.of(t0 + 10, busy=queue_busy(queue), publish_every_s=600))
    first = publish(store.url, "org/results", hub_url=hub, queue_dir=queue.folder)
    assert first.dataset.commit is not None
    for cycle in range(1, 30):  # the service cycles every 10 minutes for almost 5 hours: one heartbeat
        assert not record_seen(queue, ServiceSeen.of(t0 + 600 * cycle, busy=queue_busy(queue), publish_every_s=600))
        assert publish(store.url, "org/results", hub_url=hub, queue_dir=queue.folder).dataset.commit is None
    assert record_seen(queue, ServiceSeen.of(t0 + IDLE_PERIOD_S + 5, busy=False, publish_every_s=600))
    later = publish(store.url, "org/results", hub_url=hub, queue_dir=queue.folder)
    assert later.dataset.added == [SNAPSHOT_PATH]
    assert read_snapshot(f"{hub}/datasets/org/results").service == ServiceSeen("2026-12-05T06:00:00+00:00",
                                                                                IDLE_PERIOD_S)


def test_service_cycle_records_its_heartbeat_in_the_published_snapshot(tmp_path: Path) -> None:
    from submissions.service.service import Service, ServiceConfig
    from submissions.service.worker import WorkerConfig

    store = ResultStore(str(tmp_path / "results"))
    queue = SubmissionQueue(tmp_path / "queue")
    queue.enqueue(participant="ada", name="c", image=ImageIdentity.frozen("sha256:" + "1" * 64))
    hub = f"file://{tmp_path / 'hub'}"
    said: list[str] = []
    svc = Service(queue, WorkerConfig(store=store.url), ServiceConfig(workers=0, prune_images=False,
                                                                        publish_every_s=300),
                  publish=lambda: "; ".join(publish(store.url, "org/results", hub_url=hub,
                                                   queue_dir=queue.folder).lines()), say=said.append)
    before = time.time()
    svc.cycle()
    assert any(line.startswith("published: ") for line in said), said
    seen = read_snapshot(f"{hub}/datasets/org/results").service
    assert seen is not None and seen.period_s == 300.0  # a pending submission: the publish interval
    assert before - 300 <= seen.timestamp() <= time.time() and not seen.stale(time.time())


def test_last_seen_on_the_queue_tab_and_in_status(tmp_path: Path) -> None:
    from challenge.cli import app

    store = ResultStore(str(tmp_path / "results"))
    queue = SubmissionQueue(tmp_path / "queue")
    queue.enqueue(participant="ada", name="c", image=ImageIdentity.frozen("sha256:" + "1" * 64))
    record_seen(queue, ServiceSeen.of(time.time() - 180, busy=True, publish_every_s=120))
    hub = f"file://{tmp_path / 'hub'}"
    publish(store.url, "org/results", hub_url=hub, queue_dir=queue.folder)
    results_url = f"{hub}/datasets/org/results"
    seen = read_snapshot(results_url).service
    assert seen is not None and seen.period_s == 120.0
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seen.timestamp()))

    source = QueueSource(results_url)
    source.refresh(force=True)
    text, _ = source.view(now=seen.timestamp() + 180)
    shown = html.unescape(text)  # the line is Markdown-escaped (leaderboard.safe_text.markdown_text)
    assert shown.endswith(f"\n\nservice last seen 3 min ago ({stamp})"), shown
    later = html.unescape(source.view(now=seen.timestamp() + STALE_PERIODS * 120 + 1)[0])
    assert later.endswith(f"\n\n**service last seen 6 min ago ({stamp}). Warning: the evaluation service has not run "
                          "for more than 6 min (it reports at least every 2 min); queued submissions wait until it "
                          "is back**"), later

    res = CliRunner().invoke(app, ["status", "--from", results_url], env={"COLUMNS": "250"})
    assert res.exit_code == 0 and re.search(rf"service last seen [34] min ago \({stamp}\)", res.output), res.output
    assert "pending #1 on cpu-1" in res.output
    res = CliRunner().invoke(app, ["status", "--from", results_url, "--json"])
    shown_json = json.loads(res.output)
    assert shown_json["service"] == {"at": seen.at, "period_s": 120.0}
    assert shown_json["submissions"][0]["position"] == 1


def test_seen_text_before_any_service_and_durations() -> None:
    assert seen_text(None, 0.0).startswith("service last seen: never")
    assert [duration_text(s) for s in (5, 61, 3600, 3 * 3600 + 120, 86400 * 2 + 3600)] == [
        "5 s", "1 min", "1 h", "3 h 2 min", "2 d 1 h"]


def test_format_1_snapshots_still_read(board) -> None:
    queue, store, _ = board
    raw = json.loads(build_snapshot(queue, store).to_json())
    raw["format"] = 1  # what the previous version published: no position, profile or service
    raw.pop("service")
    for entry in raw["submissions"]:
        entry.pop("position")
        entry.pop("profile")
    old = QueueSnapshot.from_json(json.dumps(raw))
    assert old.service is None and all(e.position is None and e.profile is None for e in old.submissions)
    assert [e.participant for e in old.submissions] == ["carol", "bob", "alice"]
    assert QueueSnapshot.from_json(build_snapshot(queue, store).to_json()).format == SNAPSHOT_FORMAT == 2
    assert queue_frame(old)["Position"].isna().all()
