"""Fixtures for the archive codec tests: the host's own tools (scripts/install.sh installs them) and Docker."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # archive_host_tools


@pytest.fixture(scope="session")
def docker_client():
    import docker  # noqa: PLC0415

    try:
        client = docker.from_env()
        client.ping()
    except Exception:  # noqa: BLE001
        pytest.skip("Docker engine not reachable")  # CHALLENGE_REQUIRE_DOCKER=1 makes this an error (tests/conftest.py)
    return client
