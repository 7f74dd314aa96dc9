"""Shared fixtures for the leaderboard tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # lb_factory

from evaluator.results.records import ResultStore


@pytest.fixture
def store(tmp_path: Path) -> ResultStore:
    return ResultStore(str(tmp_path / "results"))


@pytest.fixture
def artifacts_dir() -> Path:
    root = Path(__file__).resolve().parents[2] / "artifacts" / "leaderboard"
    root.mkdir(parents=True, exist_ok=True)
    return root
