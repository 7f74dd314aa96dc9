"""Shared helpers for the participant-journey tests (real Docker, small synthetic data)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean CHALLENGE_HOME (queue, results); the image and data caches stay shared."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("CHALLENGE_HOME", str(h))
    monkeypatch.delenv("CHALLENGE_STORE", raising=False)
    monkeypatch.setenv("CHALLENGE_DAILY_LIMIT", "20")
    return h


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


