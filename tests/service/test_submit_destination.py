"""``challenge submit --to`` is checked first (issue 21, item 3): the forms the Hub inbox takes, the lookalikes
refused with the right form, and nothing built when the destination is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from hub_recorder import RecordingHfApi
from inbox_helpers import ORGANIZER
from typer.testing import CliRunner

from evaluator.core.tracks import select_tracks
from submissions import submit as submit_module
from submissions.inbox.hub_inbox import HubInbox
from submissions.inbox.inbox_url import InboxUrlError, open_inbox, parse_destination
from submissions.queue.submission_queue import SubmissionQueue
from submissions.submit import SubmitRefused, SubmitRequest, submit_codec

HUB = "hf://datasets/astro-org/submissions"


@pytest.mark.parametrize("given", [
    HUB, HUB + "/", "https://huggingface.co/datasets/astro-org/submissions",
    "https://huggingface.co/datasets/astro-org/submissions/",
    "https://huggingface.co/datasets/astro-org/submissions/tree/main",
    "https://hf.co/datasets/astro-org/submissions", "  hf://datasets/astro-org/submissions  ",
])
def test_the_hub_inbox_forms_normalise(given: str) -> None:
    dest = parse_destination(given)
    assert dest.hosted and dest.url == HUB and dest.repo_id == "astro-org/submissions"


@pytest.mark.parametrize("given", ["/srv/inbox", "./inbox", "file:///srv/inbox", "memory://inbox", "s3://bucket/inbox"])
def test_folders_and_fsspec_urls_stay_folder_inboxes(given: str) -> None:
    dest = parse_destination(given)
    assert not dest.hosted and dest.url == given.rstrip("/")


@pytest.mark.parametrize(("given", "right"), [
    ("hf://dataset/org/x", "hf://datasets/org/x"),
    ("hf://org/x", "hf://datasets/org/x"),
    ("hf://models/org/x", "hf://datasets/org/x"),
    ("hf://spaces/org/x", "hf://datasets/org/x"),
    ("hf://datasets/org/x/requests", "hf://datasets/org/x"),
    ("hf://datasets/org/x@refs/pr/1", "hf://datasets/ORG/NAME"),
    ("hf:/datasets/org/x", "hf://datasets/ORG/NAME"),
    ("https://huggingface.co/org/x", "hf://datasets/org/x"),
    ("https://huggingface.co/spaces/org/x", "hf://datasets/org/x"),
    ("https://huggingface.co/datasets/org/x/discussions/3", "hf://datasets/org/x"),
    ("https://huggingface.co/datasets/org/x?foo=1", "hf://datasets/ORG/NAME"),
    ("huggingface.co/datasets/org/x", "hf://datasets/org/x"),
    ("hf.co/datasets/org/x", "hf://datasets/org/x"),
    ("datasets/org/x", "hf://datasets/org/x"),
    ("https://example.org/datasets/org/x", "hf://datasets/ORG/NAME"),
    ("hf://datasets/org/-bad-", "hf://datasets/ORG/NAME"),
])
def test_lookalikes_are_refused_with_the_right_form(given: str, right: str) -> None:
    with pytest.raises(InboxUrlError) as caught:
        parse_destination(given)
    assert right in str(caught.value) and given.strip() in str(caught.value)
    with pytest.raises(InboxUrlError):
        open_inbox(given)  # the organizer's commands take the same check


@pytest.fixture
def no_build(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Fail the test if anything is built (or self-checked, or exported)."""
    calls: list[Path] = []

    def refuse(folder: Path, **_: object) -> None:
        calls.append(folder)
        raise AssertionError(f"built {folder} although the destination is wrong")

    monkeypatch.setattr(submit_module, "build", refuse)
    monkeypatch.setattr(submit_module, "self_check", refuse)
    monkeypatch.setattr(submit_module, "export_image", refuse)
    return calls


@pytest.mark.parametrize(("given", "right"), [
    ("hf://dataset/org/x", "hf://datasets/org/x"),
    ("hf://org/x", "hf://datasets/org/x"),
    ("https://huggingface.co/org/x", "hf://datasets/org/x"),
    ("huggingface.co/datasets/org/x", "hf://datasets/org/x"),
])
def test_a_lookalike_fails_the_cli_before_any_build(given: str, right: str, tmp_path: Path, no_build: list[Path],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from challenge.cli import app

    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(app, ["submit", str(tmp_path / "no-such-codec"), "--to", given])
    assert result.exit_code == 2, result.output
    assert right in result.output and "error" in result.output
    assert no_build == []


def test_hosted_mode_names_the_identity_and_warns_about_participant(tmp_path: Path, no_build: list[Path],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """With no token the Hub account cannot be known: refused before the build, after saying who the identity is."""
    from challenge.cli import app

    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["submit", str(tmp_path / "codec"), "--participant", "bob", "--to",
                                      "https://huggingface.co/datasets/org/x"])
    out = " ".join(result.output.split())
    assert "your Hugging Face account (the token's) is your identity" in out
    assert "--participant 'bob' is ignored" in out
    assert result.exit_code == 2 and "hf auth login" in out and no_build == []  # the user's to fix: log in


def _request(tmp_path: Path, inbox: str) -> SubmitRequest:
    return SubmitRequest(tmp_path / "codec", "bob", select_tracks("keck"), inbox=inbox)


def test_a_hub_inbox_without_a_published_key_is_refused_before_the_build(tmp_path: Path,
                                                                          no_build: list[Path]) -> None:
    api = RecordingHfApi("astro-org/submissions", user="ada")
    with pytest.raises(SubmitRefused, match="no inbox-recipient.txt.*inbox-key"):
        submit_codec(_request(tmp_path, HUB), SubmissionQueue(tmp_path / "q"),
                     inbox_opener=lambda dest: open_inbox(dest, api=api))
    assert no_build == [] and api.prs == {}
    api.user = ORGANIZER
    api.main["inbox-recipient.txt"] = b"# not a key\nhello\n"
    with pytest.raises(SubmitRefused, match="does not hold an age recipient"):
        submit_codec(_request(tmp_path, HUB), SubmissionQueue(tmp_path / "q"),
                     inbox_opener=lambda dest: HubInbox(dest.url, api=api))
    assert no_build == []


def test_submit_codec_checks_the_destination_itself(tmp_path: Path, no_build: list[Path]) -> None:
    with pytest.raises(SubmitRefused, match="hf://datasets/org/x"):
        submit_codec(_request(tmp_path, "hf://dataset/org/x"), SubmissionQueue(tmp_path / "q"))
    assert no_build == []
