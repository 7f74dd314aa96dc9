"""The encrypted hosted round trip with real Docker, on the stand-in Hub (issue 21 acceptance).

``submit_codec`` (what ``challenge submit --to`` runs) builds a small shell
codec, self-checks it, exports and encrypts the image and opens a pull
request on :class:`hub_recorder.RecordingHfApi`; the PR's files are checked
for anything that gives the image away (a gzip or tar header, the image id,
a layer digest); the organizer's worker ingests it (decrypts, checks the
digest, deletes the large file), evaluates it and answers on the PR.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_recorder import RecordingHfApi
from inbox_helpers import ORGANIZER, leaks
from typer.testing import CliRunner

from evaluator.core.tracks import select_tracks
from submissions.evaluation.intake import export_image
from submissions.inbox.hub_inbox import HubInbox
from submissions.inbox.inbox_crypto import create_identity, identity_path
from submissions.inbox.inbox_url import open_inbox
from submissions.queue.submission_queue import SubmissionQueue
from submissions.service.worker import SUBMISSION_REPOSITORY, WorkerConfig, run_worker
from submissions.submit import SubmitRequest, submit_codec

pytestmark = [pytest.mark.docker, pytest.mark.slow]

REPO = "astro-org/submissions"
BROWSER_URL = f"https://huggingface.co/datasets/{REPO}"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, docker_client) -> Iterator[Path]:
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("CHALLENGE_HOME", str(h))
    monkeypatch.delenv("CHALLENGE_STORE", raising=False)
    yield h
    queue_db = h / "submissions" / "queue.sqlite"
    if queue_db.exists():
        import docker.errors

        for sub in SubmissionQueue(queue_db).submissions():
            for ref in (f"{SUBMISSION_REPOSITORY}:{sub.id.lower()}", sub.image.ref):
                try:
                    if ref:
                        docker_client.api.remove_image(ref, noprune=True)
                except docker.errors.APIError:
                    pass


def _image_secrets(image_id: str, folder: Path) -> list[str]:
    """Every 64-hex name in the image's own `docker save` archive (config and layer digests), and its id."""
    exported = export_image(image_id, folder / "check.tar.gz")
    with tarfile.open(exported.path, "r:gz") as tf:
        names = tf.getnames()
    hexes = {m for n in names for m in re.findall(r"[0-9a-f]{64}", n)}
    return sorted(hexes | {image_id.split(":", 1)[1]})


def test_an_encrypted_hub_submission_round_trips(home: Path, tmp_path: Path) -> None:
    from challenge.cli import app

    api = RecordingHfApi(REPO, user=ORGANIZER, tmp=tmp_path)
    organizer = HubInbox(f"hf://datasets/{REPO}", api=api)
    organizer.publish_recipient(create_identity(identity_path()))  # `challenge admin inbox-key --inbox ...`

    codec = tmp_path / "sh_codec"
    assert CliRunner().invoke(app, ["init", str(codec), "--lang", "shell", "--name", "hub-gzip"]).exit_code == 0
    api.user = "bob"
    queue = SubmissionQueue(home / "submissions")
    result = submit_codec(SubmitRequest(codec, "not-bob", select_tracks("keck"), inbox=BROWSER_URL), queue,
                          inbox_opener=lambda dest: open_inbox(dest, api=api))
    assert result.request_id == "pr-1" and result.encrypted and result.sender == "bob"
    assert result.request_url == f"https://huggingface.co/datasets/{REPO}/discussions/1"
    assert queue.submissions() == [], "nothing local until the organizer ingests"

    # the pull request holds only the ciphertext and metadata that name no image
    pr_files = {p: d for p, d in api.prs[1].files.items() if p.startswith("requests/")}
    assert sorted(p.rsplit("/", 1)[1] for p in pr_files) == ["image.tar.gz.age", "request.json"]
    secrets = _image_secrets(result.image.digest, tmp_path)
    assert len(secrets) >= 3, secrets  # the id, the config, at least one layer
    assert leaks((tmp_path / "check.tar.gz").read_bytes(), secrets), "the check finds them in the plain archive"
    for path, blob in pr_files.items():
        assert leaks(blob, secrets) == [], path
    ((_, commit),) = [c for c in api.calls if c[0] == "create_commit" and c[1].get("create_pr")]
    assert leaks((commit["commit_message"] + commit["commit_description"]).encode(), secrets) == []

    api.user = ORGANIZER
    cfg = WorkerConfig(store=str(home / "results"), tracks="keck", poll_s=0.3, measure_image_size=False)
    run_worker(queue, cfg, once=True, inbox=HubInbox(f"hf://datasets/{REPO}", api=api))
    (sub,) = queue.submissions()
    assert sub.state == "finished", sub.reason
    assert sub.participant == "bob" and sub.image_digest == result.image.digest
    pr = api.prs[1]
    said = [e["data"]["latest"]["raw"] for e in pr.events if e["type"] == "comment"]
    assert len(said) == 2 and "**Queued**" in said[0] and "permanently deleted" in said[0]
    assert "**Finished**" in said[1] and "mean ratio" in said[1] and pr.status == "closed"
    assert not any(p.endswith(".age") for p in api.stored(1)), "the large file is gone from the storage"
    assert all(leaks(s.encode(), secrets) == [] for s in said), "the answers name no digest"
