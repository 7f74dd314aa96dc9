"""Fixtures for the codec image tests (real Docker; skipped without an engine)."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def _engine_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


@pytest.fixture(scope="session")
def docker_engine() -> None:
    if not _engine_available():
        pytest.skip("no Docker engine: start it with `dockerd` or install docker.io")


@pytest.fixture(scope="session")
def base_image(docker_engine: None) -> str:
    from evaluator.images import ensure_base_image

    return ensure_base_image()


@pytest.fixture(scope="session")
def baseline_images(base_image: str) -> dict:
    from baselines.baseline_images import ensure_baseline_images

    return ensure_baseline_images()
