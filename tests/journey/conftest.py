"""Shared helpers for the participant-journey tests (real Docker, small synthetic data)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A clean CHALLENGE_HOME (queue, results); the image and data caches stay shared."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("CHALLENGE_HOME", str(h))
    monkeypatch.delenv("CHALLENGE_STORE", raising=False)
    monkeypatch.setenv("CHALLENGE_DAILY_LIMIT", "20")
    yield h
    # untag the images the worker loaded for this test's submissions (the layers stay cached)
    queue_db = h / "submissions" / "queue.sqlite"
    if queue_db.exists():
        import docker

        from submissions.queue.submission_queue import SubmissionQueue
        from submissions.service.worker import SUBMISSION_REPOSITORY

        client = docker.from_env()
        for sub in SubmissionQueue(queue_db).submissions():
            try:
                client.api.remove_image(f"{SUBMISSION_REPOSITORY}:{sub.id.lower()}", noprune=True)
            except docker.errors.APIError:
                pass


@pytest.fixture
def cli():
    from challenge.cli import app

    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(app, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, f"challenge {' '.join(args)} failed:\n{result.output}"
        return result

    return invoke


