#!/usr/bin/env bash
# The README's test command: install what is missing, start Docker, check the
# layers contract (lint-imports), run every test (unit, real-Docker
# integration, headless-Chromium browser, adversarial).
#
#   bash scripts/test.sh            everything (what CI runs)
#   bash scripts/test.sh --fast     the tier to run after every change: no Docker, no browser, no slow
#                                   tests, one pytest-xdist worker per core (-n 0 after --fast: one process)
# Other arguments go to pytest (e.g. a test file, -k NAME, -x) and make it one serial run of what they
# select. The full run is two runs (no Docker/browser on every core, then Docker and browser on two
# workers) and lists their slowest tests (--durations) so CI logs show where the time goes.
set -euo pipefail
cd "$(dirname "$0")/.."
fast=0
if [ "${1:-}" = "--fast" ]; then
  fast=1
  shift
fi
bash scripts/install.sh
export CHALLENGE_HOME="${CHALLENGE_HOME:-$PWD/.cache/test-home}"
export CHALLENGE_CACHE="${CHALLENGE_CACHE:-$PWD/.cache/test-cache}"
echo "lint-imports: the layers contract of pyproject.toml"
.venv/bin/lint-imports --no-cache
bash scripts/lint.sh
if [ "$fast" = 1 ]; then
  exec .venv/bin/python -m pytest -q --timeout=300 -n auto --dist worksteal -m "not docker and not browser and not slow" "$@"
fi
export CHALLENGE_REQUIRE_DOCKER=1
if [ "$#" -gt 0 ]; then  # a chosen subset: one serial run
  exec .venv/bin/python -m pytest -q --timeout=900 --durations=30 "$@"
fi
# Everything, in two runs: the tests that need neither Docker nor a browser on one pytest-xdist worker
# per core (the fast tier plus the slow ones; by file, so a module fixture runs once), then the Docker
# and browser tests on two workers (at most one per core; CHALLENGE_TEST_DOCKER_WORKERS changes it):
# each codec container leases its cores host-wide (evaluator/sandbox/cpu_lease.py), so two tests never
# share a core, and each test checks only its own containers and images. Both runs always run; the
# script fails if either does.
cores="$(nproc)"
docker_workers="${CHALLENGE_TEST_DOCKER_WORKERS:-$(( cores < 2 ? 1 : 2 ))}"
status=0
.venv/bin/python -m pytest -q --timeout=900 --durations=15 -n auto --dist loadfile -m "not docker and not browser" \
  || status=$?
.venv/bin/python -m pytest -q --timeout=900 --durations=30 -n "$docker_workers" --dist loadfile \
  -m "docker or browser" || status=$?
exit "$status"
