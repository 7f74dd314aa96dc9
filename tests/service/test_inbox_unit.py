"""The inbox interface on its two homes, without Docker.

The Hub half uses :class:`hub_recorder.RecordingHfApi`: real huggingface_hub
objects and call signatures, answered from memory. It checks our logic and
what would be sent; it does NOT reach the Hub (see that module). Requests go
the way `challenge submit --to` sends them: encrypted for the organizer's
published key (:mod:`inbox_helpers`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hub_recorder import RecordingHfApi
from huggingface_hub import CommitOperationAdd
from inbox_helpers import ORGANIZER, FakeImage, fake_image, publish_keys, request_fields, send_sealed

from evaluator.results.records import ResultRecord, ResultStore
from submissions.inbox.hub_inbox import HubInbox
from submissions.inbox.inbox import Inbox, SubmissionStoreError
from submissions.inbox.inbox_url import open_inbox
from submissions.inbox.ingest import answer, ingest, marker
from submissions.inbox.submission_store import SubmissionStore
from submissions.queue import states
from submissions.queue.limits import SubmissionLimits
from submissions.queue.submission_queue import SubmissionQueue

REPO = "astro-org/submissions"


def digest(i: int) -> str:
    return f"sha256:{i:064x}"


def request(i: int, participant: str = "mallory") -> dict:
    return {"participant": participant, "name": f"codec{i}", "image_digest": digest(i), "tar_sha256": "x",
            "manifest": {"name": f"codec{i}"}, "tracks": ["keck"]}


@pytest.fixture
def tar(tmp_path: Path) -> Path:
    p = tmp_path / "image.tar.gz"
    p.write_bytes(b"pretend image")
    return p


def test_open_inbox_picks_the_home_from_the_url(tmp_path: Path) -> None:
    assert isinstance(open_inbox("hf://datasets/a/b", api=RecordingHfApi("a/b")), HubInbox)
    assert isinstance(open_inbox("https://huggingface.co/datasets/a/b/tree/main", api=RecordingHfApi("a/b")),
                      HubInbox)
    folder = open_inbox(str(tmp_path / "inbox"))
    assert isinstance(folder, SubmissionStore) and isinstance(folder, Inbox)


def test_submit_opens_a_pull_request_with_only_the_ciphertext(tmp_path: Path, tar: Path) -> None:
    api = RecordingHfApi(REPO, user="ada")
    box = HubInbox(f"hf://datasets/{REPO}", api=api)
    with pytest.raises(SubmissionStoreError, match="not encrypted"):
        box.put_request({**request(1), "request_id": "r0"}, tar)  # never a plaintext image on a public inbox
    assert api.prs == {}
    publish_keys(box, tmp_path, api)
    image = fake_image(tmp_path / "img", 1)
    api.calls.clear()
    rid = send_sealed(box, {**request_fields(image, 1), "request_id": "r1"}, image, tmp_path)
    assert rid == "pr-1" and box.request_url(rid) == f"https://huggingface.co/datasets/{REPO}/discussions/1"
    ((name, kw),) = [c for c in api.calls if c[0] == "create_commit"]
    assert name == "create_commit" and kw["create_pr"] is True and kw["repo_type"] == "dataset"
    ops = kw["operations"]
    assert all(isinstance(op, CommitOperationAdd) for op in ops)
    assert [op.path_in_repo for op in ops] == ["requests/r1/image.tar.gz.age", "requests/r1/request.json"]
    assert isinstance(ops[0].path_or_fileobj, str), "the image is uploaded from its file (streamed)"
    sent = json.loads(api.prs[1].files["requests/r1/request.json"])
    assert sent["tar_sha256"] == image.sha256 and "sealed" in sent
    assert not {"image_digest", "image_ref", "image_size_bytes"} & set(sent)
    assert image.image_id[7:] not in kw["commit_description"] + kw["commit_message"]
    assert not any(p.startswith("requests/") for p in api.main), "nothing is written to main"


def _hub_with_prs(tmp: Path, who: list[tuple[str, int]], same_image: bool = False
                  ) -> tuple[RecordingHfApi, HubInbox, Path, dict[int, FakeImage]]:
    api = RecordingHfApi(REPO)
    box = HubInbox(f"hf://datasets/{REPO}", api=api)
    keys = publish_keys(box, tmp, api)
    images: dict[int, FakeImage] = {}
    for i, (user, n) in enumerate(who):
        api.user = user
        images.setdefault(n, fake_image(tmp / "img", n))
        send_sealed(box, {**request_fields(images[n], n), "request_id": f"r{i}"}, images[n], tmp)
    api.user = ORGANIZER
    return api, HubInbox(f"hf://datasets/{REPO}", api=api), keys.identity_file, images


def test_ingest_takes_the_pr_author_as_participant_with_limits_and_dedupe(tmp_path: Path) -> None:
    api, box, key, images = _hub_with_prs(tmp_path, [("alice", 1), ("bob", 1), ("alice", 2)])
    queue = SubmissionQueue(tmp_path / "q", limits=SubmissionLimits(per_day=1))
    api.calls.clear()
    rep = ingest(box, queue, identity_file=key)
    (sid,) = rep.accepted
    sub = queue.get(sid)
    assert sub.participant == "alice" and sub.request_id == "pr-1" and sub.tracks == ["keck"]
    assert sub.image_digest == images[1].image_id and sub.tar_sha256 == images[1].sha256
    assert Path(sub.image_tar or "").read_bytes() == images[1].tar.read_bytes()  # decrypted
    reasons = dict(rep.rejected)
    assert "already submitted" in reasons["pr-2"] and "limit 1" in reasons["pr-3"]
    # the image of a refused request is never downloaded; files are read at the PR's own ref
    downloads = [kw for n, kw in api.calls if n == "hf_hub_download" and kw["filename"].startswith("requests/")]
    assert {d["revision"] for d in downloads} == {"refs/pr/1", "refs/pr/2", "refs/pr/3"}
    assert [d["filename"] for d in downloads if d["filename"].endswith(".age")] == ["requests/r0/image.tar.gz.age"]
    assert api.prs[1].status == "open" and api.prs[2].status == "closed" and api.prs[3].status == "closed"
    said = [kw["comment"] for n, kw in api.calls if n == "comment_discussion"]
    assert any(marker("queued", "pr-1") in c and sid in c and "permanently deleted" in c for c in said)
    assert any("Not queued" in c and "already submitted" in c for c in said)
    assert not any(images[1].image_id[7:19] in c for c in said), "public answers never name the image"
    # every large file is gone from the storage: the accepted one after ingest, the refused ones too
    assert all(not p.endswith(".age") for n in (1, 2, 3) for p in api.stored(n))
    api.calls.clear()
    again = ingest(box, queue, identity_file=key)
    assert again.accepted == [] and again.rejected == []
    assert "comment_discussion" not in api.names()


def test_a_pr_that_adds_two_requests_is_refused(tmp_path: Path) -> None:
    api, box, key, _ = _hub_with_prs(tmp_path, [("alice", 1)])
    api.prs[1].files["requests/other/request.json"] = b"{}"
    rep = ingest(box, SubmissionQueue(tmp_path / "q"), identity_file=key)
    assert rep.accepted == [] and "adds 2 requests" in rep.rejected[0][1]
    assert api.prs[1].status == "closed"


def test_answer_comments_the_scores_then_closes_once(tmp_path: Path) -> None:
    api, box, key, _ = _hub_with_prs(tmp_path, [("alice", 1), ("carol", 2)])
    queue = SubmissionQueue(tmp_path / "q")
    ok, bad = ingest(box, queue, identity_file=key).accepted
    store_url = "memory://inbox-answer"
    ResultStore(store_url).write(ResultRecord(
        submission=ok, codec="codec1", track="keck", profile="cpu-1", split="hidden:keck-2026",
        provenance="verified", synthetic=False, status="ok", summary={"ratio_mean": 2.5, "bpp_mean": 6.4,
                                                                      "n_items": 3}))
    for sid in (ok, bad):
        queue.transition(sid, states.LOADING, "claimed")
        queue.transition(sid, states.RUNNING, "evaluating")
    queue.transition(ok, states.FINISHED, "evaluated 1 tracks on profile cpu-1")
    queue.transition(bad, states.FAILED, "keck: crash: the decoder exited (closed stdout) during request 000001")
    api.calls.clear()
    rep = answer(box, queue, store_url)
    assert sorted(rep.answered) == [("pr-1", "finished"), ("pr-2", "failed")]
    comments = {kw["discussion_num"]: kw["comment"] for n, kw in api.calls if n == "comment_discussion"}
    finished = comments[1]
    assert "**Finished**" in finished and "mean ratio **2.5000**" in finished and "hidden:keck-2026" in finished
    assert "**Failed**" in comments[2] and "decoder exited" in comments[2]
    assert api.prs[1].status == "closed" and api.prs[2].status == "closed"
    assert api.names().index("comment_discussion") < api.names().index("change_discussion_status")
    api.calls.clear()
    assert answer(box, queue, store_url).answered == [] and api.calls == []


def test_folder_inbox_is_the_same_conversation(tmp_path: Path, tar: Path) -> None:
    box = SubmissionStore(f"file://{tmp_path / 'inbox'}")
    rid = box.put_request(request(7, participant="dora"), tar)
    queue = SubmissionQueue(tmp_path / "q")
    (sid,) = ingest(box, queue).accepted
    assert queue.get(sid).participant == "dora"
    assert (tmp_path / "inbox" / "requests" / rid / "author").read_text() == "dora"
    assert not (tmp_path / "inbox" / "requests" / rid / "image.tar.gz").exists(), "deleted once ingested"
    queue.transition(sid, states.LOADING, "claimed")
    queue.cancel(sid, "cancelled by the organizer")
    assert answer(box, queue, None).answered == [(rid, "cancelled")]
    assert box.open_requests() == [] and box.is_closed(rid)
    texts = [c["text"] for c in box.comments(rid)]
    assert len(texts) == 2 and "Queued" in texts[0] and "Cancelled" in texts[1]
    assert {c["author"] for c in box.comments(rid)} == {"organizer"}


def test_a_folder_request_id_is_never_written_twice(tmp_path: Path, tar: Path) -> None:
    box = SubmissionStore(str(tmp_path / "inbox"))
    rid = box.put_request({**request(1), "request_id": "taken"}, tar)
    with pytest.raises(SubmissionStoreError, match="exists already"):
        box.put_request({**request(2), "request_id": rid}, tar)
    assert box.read(rid).fields["image_digest"] == digest(1)


def test_a_crash_between_answer_and_mark_says_nothing_twice(tmp_path: Path, tar: Path) -> None:
    box = SubmissionStore(str(tmp_path / "inbox"))
    rid = box.put_request(request(8, participant="eve"), tar)
    queue = SubmissionQueue(tmp_path / "q")
    (sid,) = ingest(box, queue).accepted
    # the process died after the "queued" comment, before the queue recorded it
    with __import__("sqlite3").connect(queue.db_path) as con:
        con.execute("DELETE FROM ingested")
    assert ingest(box, queue).accepted == []
    assert [c["text"].count("Queued") for c in box.comments(rid)] == [1]
    assert queue.ingested()[rid] == (sid, "accepted")
    # ... and after the final answer, before the close and the mark
    queue.transition(sid, states.LOADING, "claimed")
    queue.cancel(sid)
    box.comment(rid, f"**Cancelled** {marker('answered', rid)}")
    answer(box, queue, None)
    assert box.is_closed(rid) and len(box.comments(rid)) == 2
