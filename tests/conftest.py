"""Suite-wide guard: where Docker is required (CI, scripts/test.sh), a missing
engine is an error, never a silent skip of the real-container tests. Also what
makes the suite safe under pytest-xdist (``scripts/test.sh --fast``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


def _home_per_xdist_worker() -> None:
    """Under pytest-xdist (``scripts/test.sh --fast`` runs ``-n auto``) each worker gets its own
    CHALLENGE_HOME: stores, queues and CPU leases are per-process state. CHALLENGE_CACHE stays
    shared: its writers (synthetic corpus, wheels, build contexts) lock and move finished folders
    into place, so workers reuse one copy."""
    worker, home = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("CHALLENGE_HOME", "").strip()
    if worker and home:
        os.environ["CHALLENGE_HOME"] = str(Path(home) / f"xdist-{worker}")


_home_per_xdist_worker()  # at import: before any test module reads the settings


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes() -> None:
    """Start the xdist workers with the environment this run began with. ``import readline`` (pytest's
    debugger support) writes COLUMNS/LINES into the process's C environment, which every process
    started later inherits; a rich Console made with COLUMNS set keeps that width, so a worker would
    print the CLI's tables 80 columns wide where a test asks for more (CliRunner's env)."""
    for name in ("COLUMNS", "LINES"):
        if name not in os.environ:
            os.unsetenv(name)


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("CHALLENGE_REQUIRE_DOCKER") != "1":
        return
    ok = subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode == 0
    if not ok:
        pytest.exit("CHALLENGE_REQUIRE_DOCKER=1 but no Docker engine answers: run scripts/start-dockerd.sh", 2)


# The portable-decode check costs one decoder container per environment and track. A test whose point is not
# portability checks one environment (its records are then never called *portable*: ``PortableCheck.complete``);
# the tests marked ``every_portable_env`` (the check's own, the shipped neural images, the torch scaffold) run all.
ONE_PORTABLE_ENV = "threads"


os.environ.setdefault("CHALLENGE_PORTABLE_ENVS", ONE_PORTABLE_ENV)  # at import: session fixtures see it too


@pytest.fixture(autouse=True)
def _every_portable_env_when_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("every_portable_env"):
        monkeypatch.setenv("CHALLENGE_PORTABLE_ENVS", "all")


@pytest.fixture(scope="session")
def one_round_trip_profile():
    """``cpu-1`` timing each item once, for sandbox tests that compare bytes and records (not seconds) with the
    in-process run."""
    from evaluator.sandbox.profiles import PROFILES  # noqa: PLC0415

    return PROFILES["cpu-1"].replace(timing_repeats=1)


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
