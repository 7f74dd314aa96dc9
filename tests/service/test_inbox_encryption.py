"""Private submissions through public pull requests (issue 21, item 2), without Docker.

On the stand-in Hub (:class:`hub_recorder.RecordingHfApi`): the organizer's
key, a request sent encrypted, the PR's files holding nothing that gives the
image away, ingest decrypting and checking it, the large file deleted; a
plaintext PR refused with its reason; a marker forged by another author
ignored. The interop test runs Debian's ``age`` tool on our files.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hub_recorder import RecordingHfApi
from huggingface_hub import CommitOperationAdd
from inbox_helpers import ORGANIZER, fake_image, leaks, publish_keys, request_fields, send_sealed
from pyrage import x25519
from typer.testing import CliRunner

from submissions.inbox.hub_inbox import LFS_RULE, HubInbox
from submissions.inbox.inbox_crypto import (
    InboxKeyError,
    SealError,
    create_identity,
    load_identity,
    open_sealed,
    plaintext_reason,
    seal_file,
    sniff,
)
from submissions.inbox.ingest import answer, ingest, marker
from submissions.inbox.submission_store import SubmissionStore
from submissions.queue import states
from submissions.queue.submission_queue import SubmissionQueue

REPO = "astro-org/submissions"
URL = f"hf://datasets/{REPO}"


# -- the key --------------------------------------------------------------------------------------------------

def test_the_identity_is_private_and_never_replaced_silently(tmp_path: Path) -> None:
    path = tmp_path / "home" / "inbox-identity.txt"
    recipient = create_identity(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert recipient.startswith("age1") and f"# public key: {recipient}" in path.read_text()
    assert str(load_identity(path).to_public()) == recipient
    with pytest.raises(InboxKeyError, match="already exists.*--force"):
        create_identity(path)
    assert str(load_identity(path).to_public()) == recipient
    replaced = create_identity(path, force=True)
    assert replaced != recipient and stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    with pytest.raises(InboxKeyError, match="chmod 600"):
        load_identity(path)


def test_inbox_key_command_creates_publishes_and_refuses_to_overwrite(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from challenge.cli import app

    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    inbox = tmp_path / "inbox"
    runner = CliRunner()
    first = runner.invoke(app, ["admin", "inbox-key", "--inbox", f"file://{inbox}"])
    assert first.exit_code == 0, first.output
    key = tmp_path / "home" / "inbox-identity.txt"
    recipient = str(load_identity(key).to_public())
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and recipient in first.output
    assert recipient in (inbox / "inbox-recipient.txt").read_text()
    again = runner.invoke(app, ["admin", "inbox-key"])
    assert again.exit_code == 2 and "already exists" in again.output and "--force" in again.output
    assert str(load_identity(key).to_public()) == recipient
    bad = runner.invoke(app, ["admin", "inbox-key", "--inbox", "hf://dataset/org/x"])
    assert bad.exit_code == 2 and "hf://datasets/org/x" in bad.output


def test_the_recipient_goes_to_main_with_an_lfs_rule(tmp_path: Path) -> None:
    api = RecordingHfApi(REPO, user=ORGANIZER)
    api.main[".gitattributes"] = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"
    box = HubInbox(URL, api=api)
    assert box.recipient() is None
    keys = publish_keys(box, tmp_path, api)
    assert str(keys.recipient) in (box.recipient() or "")
    assert api.main[".gitattributes"].decode().splitlines() == ["*.parquet filter=lfs diff=lfs merge=lfs -text",
                                                                LFS_RULE]
    (kw,) = [kw for n, kw in api.calls if n == "create_commit"]
    assert not kw.get("create_pr") and api.prs == {}


# -- sealing ---------------------------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("age") is None, reason="Debian's `age` tool is not installed (apt-get install age)")
def test_files_interoperate_with_the_age_tool(tmp_path: Path) -> None:
    identity_file = tmp_path / "id.txt"
    recipient = create_identity(identity_file)
    image = fake_image(tmp_path, 1)
    ours = tmp_path / "ours.age"
    seal_file(image.tar, ours, x25519.Recipient.from_str(recipient))
    out = subprocess.run(["age", "-d", "-i", str(identity_file)], input=ours.read_bytes(), capture_output=True,
                         check=True).stdout
    assert out == image.tar.read_bytes()
    theirs = tmp_path / "theirs.age"
    subprocess.run(["age", "-r", recipient, "-o", str(theirs), str(image.tar)], check=True)
    sha, size = open_sealed(theirs, tmp_path / "back.tar.gz", load_identity(identity_file))
    assert (sha, size) == (image.sha256, image.tar.stat().st_size)


def test_sealing_streams(tmp_path: Path) -> None:
    """128 MB through seal and open in a fresh process: its peak memory stays far below the file's size."""
    script = f"""
import os
from pathlib import Path
from submissions.inbox.inbox_crypto import create_identity, load_identity, open_sealed, seal_file
from pyrage import x25519
d = Path({str(tmp_path)!r})
src = d / "big.bin"
with open(src, "wb") as fh:
    for _ in range(128):
        fh.write(os.urandom(1 << 20))
rcp = create_identity(d / "id.txt")
seal_file(src, d / "big.age", x25519.Recipient.from_str(rcp))
sha, size = open_sealed(d / "big.age", d / "big.out", load_identity(d / "id.txt"))
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print(size, int(hwm[0]) // 1024)  # VmHWM: this process's own peak (ru_maxrss would include the forking parent's)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    size, peak_mb = int(out[0]), int(out[1])
    assert size == 128 << 20
    assert peak_mb < 100, f"peak RSS {peak_mb} MB for a 128 MB file: not streaming"


def test_plaintext_and_foreign_keys_are_told_apart(tmp_path: Path) -> None:
    image = fake_image(tmp_path, 1)
    assert "gzip" in plaintext_reason(sniff(image.tar))
    raw = tmp_path / "raw.tar"
    import gzip

    raw.write_bytes(gzip.decompress(image.tar.read_bytes()))
    assert "tar archive" in plaintext_reason(sniff(raw))
    sealed = tmp_path / "x.age"
    seal_file(image.tar, sealed, x25519.Identity.generate().to_public())
    assert plaintext_reason(sniff(sealed)) == ""
    with pytest.raises(SealError, match="another key"):
        open_sealed(sealed, tmp_path / "out", x25519.Identity.generate())
    with pytest.raises(SealError, match="gzip"):
        open_sealed(image.tar, tmp_path / "out", x25519.Identity.generate())
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.part").exists()


# -- the round trip on the stand-in ---------------------------------------------------------------------------

def _hub(tmp: Path) -> tuple[RecordingHfApi, HubInbox, Path]:
    api = RecordingHfApi(REPO, user="ada", tmp=tmp)
    box = HubInbox(URL, api=api)
    keys = publish_keys(box, tmp, api)
    return api, box, keys.identity_file


def test_an_encrypted_submission_round_trips(tmp_path: Path) -> None:
    api, box, key = _hub(tmp_path)
    image = fake_image(tmp_path / "img", 1)
    rid = send_sealed(box, request_fields(image, 1, participant="someone-else"), image, tmp_path)
    pr_files = {p: d for p, d in api.prs[1].files.items() if p.startswith("requests/")}
    assert sorted(p.rsplit("/", 1)[1] for p in pr_files) == ["image.tar.gz.age", "request.json"]
    for path, blob in pr_files.items():
        assert leaks(blob, image.secrets()) == [], path
    assert leaks(image.tar.read_bytes(), image.secrets()), "the check finds what it looks for"

    api.user = ORGANIZER
    organizer = HubInbox(URL, api=api)
    queue = SubmissionQueue(tmp_path / "q")
    (sid,) = ingest(organizer, queue, identity_file=key).accepted
    sub = queue.get(sid)
    assert sub.participant == "ada", "the PR author, not what the request says"
    assert (sub.image_digest, sub.tar_sha256) == (image.image_id, image.sha256)
    assert sub.image.ref == request_fields(image, 1)["image_ref"] and sub.image_size_bytes == 1234
    assert Path(sub.image_tar or "").read_bytes() == image.tar.read_bytes()
    (deleted,) = [kw["lfs_files"] for n, kw in api.calls if n == "permanently_delete_lfs_files"]
    assert [f.filename for f in deleted] == [p for p in pr_files if p.endswith(".age")]
    assert not any(p.endswith(".age") for p in api.stored(1)), "the large file is gone from the storage"
    assert "inbox-recipient.txt" in api.main, "main's files are untouched"
    queue.transition(sid, states.LOADING, "claimed")
    queue.transition(sid, states.RUNNING, "evaluating")
    queue.transition(sid, states.FINISHED, "evaluated 1 tracks on profile cpu-1")
    assert answer(organizer, queue, None).answered == [(rid, "finished")]
    said = [e["data"]["latest"]["raw"] for e in api.prs[1].events if e["type"] == "comment"]
    assert len(said) == 2 and "permanently deleted from this repository's storage" in said[0]
    assert "**Finished**" in said[1] and api.prs[1].status == "closed"


def test_a_plaintext_pr_is_refused_with_its_reason(tmp_path: Path) -> None:
    api, box, key = _hub(tmp_path)
    image, other = fake_image(tmp_path / "img", 2), fake_image(tmp_path / "img", 12)
    fields = json.dumps(request_fields(image, 2)).encode()
    # a participant who bypasses `challenge submit`: the archive in clear, and one in clear under the .age name
    api.create_commit(REPO, [CommitOperationAdd("requests/r1/image.tar.gz", str(image.tar)),
                             CommitOperationAdd("requests/r1/request.json", fields)],
                      commit_message="plain", repo_type="dataset", create_pr=True)
    api.create_commit(REPO, [CommitOperationAdd("requests/r2/image.tar.gz.age", str(other.tar)),
                             CommitOperationAdd("requests/r2/request.json", fields)],
                      commit_message="disguised", repo_type="dataset", create_pr=True)
    api.user = ORGANIZER
    queue = SubmissionQueue(tmp_path / "q")
    rep = ingest(HubInbox(URL, api=api), queue, identity_file=key)
    assert rep.accepted == [] and queue.submissions() == []
    reasons = dict(rep.rejected)
    assert "image is not encrypted" in reasons["pr-1"] and "requests/r1/image.tar.gz" in reasons["pr-1"]
    assert "challenge submit" in reasons["pr-1"]
    assert "sealed" in reasons["pr-2"]  # its request has no sealed image id: refused before any download
    for num in (1, 2):
        pr = api.prs[num]
        (text,) = [e["data"]["latest"]["raw"] for e in pr.events if e["type"] == "comment"]
        assert pr.status == "closed" and "**Not queued**" in text and "challenge submit" in text
        assert "permanently deleted" in text
        assert not any(p.startswith("requests/") and p.endswith((".gz", ".age")) for p in api.stored(num))


def test_a_disguised_archive_is_caught_by_its_header(tmp_path: Path) -> None:
    """An archive in clear under the .age name, with a valid sealed request: refused after download, by its header."""
    api, box, key = _hub(tmp_path)
    image = fake_image(tmp_path / "img", 3)
    rid = send_sealed(box, request_fields(image, 3), image, tmp_path)
    api.prs[1].files["requests/" + next(p.split("/")[1] for p in api.prs[1].files if p.endswith(".age"))
                     + "/image.tar.gz.age"] = image.tar.read_bytes()
    api._push(api.prs[1].files, "refs/pr/1")
    api.user = ORGANIZER
    rep = ingest(HubInbox(URL, api=api), SubmissionQueue(tmp_path / "q"), identity_file=key)
    assert rep.accepted == [] and "gzip" in dict(rep.rejected)[rid]
    assert not any(p.endswith(".age") for p in api.stored(1))


def test_a_marker_forged_by_another_author_is_ignored(tmp_path: Path) -> None:
    api, box, key = _hub(tmp_path)
    image = fake_image(tmp_path / "img", 4)
    rid = send_sealed(box, request_fields(image, 4), image, tmp_path)
    for kind in ("queued", "rejected", "answered", "removed"):
        api.comment_as(1, "ada", f"**Finished** (not really) {marker(kind, rid)}")
    api.user = ORGANIZER
    organizer = HubInbox(URL, api=api)
    assert organizer.read(rid).comments == (), "only the organizer's comments are read"
    queue = SubmissionQueue(tmp_path / "q")
    (sid,) = ingest(organizer, queue, identity_file=key).accepted
    queue.transition(sid, states.LOADING, "claimed")
    queue.cancel(sid, "cancelled by the organizer")
    assert answer(organizer, queue, None).answered == [(rid, "cancelled")]
    ours = [e["data"]["latest"]["raw"] for e in api.prs[1].events
            if e["type"] == "comment" and e["author"]["name"] == ORGANIZER]
    assert len(ours) == 2 and marker("queued", rid) in ours[0] and marker("answered", rid) in ours[1]
    assert api.prs[1].status == "closed"


def test_a_folder_comment_line_by_anyone_else_is_no_answer(tmp_path: Path) -> None:
    box = SubmissionStore(str(tmp_path / "inbox"))
    keys = publish_keys(box, tmp_path)
    image = fake_image(tmp_path / "img", 5)
    rid = send_sealed(box, request_fields(image, 5, participant="eve"), image, tmp_path)
    log = tmp_path / "inbox" / "requests" / rid / "comments.jsonl"
    log.write_text(json.dumps({"at": "x", "author": "eve", "text": marker("queued", rid)}) + "\n"
                   + json.dumps({"at": "x", "text": marker("answered", rid)}) + "\n")
    assert box.read(rid).comments == ()
    queue = SubmissionQueue(tmp_path / "q")
    (sid,) = ingest(box, queue, identity_file=keys.identity_file).accepted
    assert Path(queue.get(sid).image_tar or "").read_bytes() == image.tar.read_bytes()
    assert not (tmp_path / "inbox" / "requests" / rid / "image.tar.gz.age").exists()
    assert [c["author"] for c in box.comments(rid)] == ["organizer"]


def test_the_organizer_key_problems_stop_ingest_without_refusing(tmp_path: Path) -> None:
    api, box, key = _hub(tmp_path)
    image = fake_image(tmp_path / "img", 6)
    send_sealed(box, request_fields(image, 6), image, tmp_path)
    api.user = ORGANIZER
    other = tmp_path / "other-identity.txt"
    create_identity(other)
    queue = SubmissionQueue(tmp_path / "q")
    with pytest.raises(InboxKeyError, match="publishes the recipient"):
        ingest(HubInbox(URL, api=api), queue, identity_file=other)
    with pytest.raises(InboxKeyError, match="no inbox key"):
        ingest(HubInbox(URL, api=api), queue, identity_file=tmp_path / "missing.txt")
    assert api.prs[1].status == "open" and queue.ingested() == {}
    assert len(ingest(HubInbox(URL, api=api), queue, identity_file=key).accepted) == 1


def test_removal_never_touches_another_prs_objects(tmp_path: Path) -> None:
    """A PR that copies another PR's ciphertext (same LFS object) does not get it deleted."""
    api, box, key = _hub(tmp_path)
    image = fake_image(tmp_path / "img", 7)
    send_sealed(box, request_fields(image, 7), image, tmp_path)
    api.user = "copycat"
    victim = {p: d for p, d in api.prs[1].files.items() if p.startswith("requests/")}
    api.create_commit(REPO, [CommitOperationAdd(p, d) for p, d in victim.items()], commit_message="copy",
                      repo_type="dataset", create_pr=True)
    api.user = ORGANIZER
    assert HubInbox(URL, api=api).remove_image("pr-2") == 0
    assert any(p.endswith(".age") for p in api.stored(1))
    assert HubInbox(URL, api=api).remove_image("pr-1") == 1
