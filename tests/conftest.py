"""Suite-wide guard: where Docker is required (CI, scripts/test.sh), a missing
engine is an error, never a silent skip of the real-container tests."""

from __future__ import annotations

import os
import subprocess

import pytest


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("CHALLENGE_REQUIRE_DOCKER") != "1":
        return
    ok = subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode == 0
    if not ok:
        pytest.exit("CHALLENGE_REQUIRE_DOCKER=1 but no Docker engine answers: run scripts/start-dockerd.sh", 2)


@pytest.fixture(scope="session")
def docker_client():
    """The Docker SDK client of the engine the real-container tests run on (skipped without one)."""
    import docker  # noqa: PLC0415  (heavy, optional: only the Docker tests import it)

    try:
        client = docker.from_env()
        client.ping()
    except Exception:  # noqa: BLE001
        pytest.skip("Docker engine not reachable")  # CHALLENGE_REQUIRE_DOCKER=1 makes this an error (above)
    return client
