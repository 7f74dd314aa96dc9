#!/usr/bin/env bash
# The README's test command: install what is missing, start Docker, check the
# layers contract (lint-imports), run every test (unit, real-Docker
# integration, headless-Chromium browser, adversarial).
#
#   bash scripts/test.sh            everything (what CI runs)
#   bash scripts/test.sh --fast     the tier to run after every change: no Docker, no browser, no slow
#                                   tests, one pytest-xdist worker per core (-n 0 after --fast: one process)
# Other arguments go to pytest (e.g. a test file, -k NAME, -x). The full run lists its 30 slowest
# tests (--durations=30) so CI logs show where the time goes.
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
exec .venv/bin/python -m pytest -q --timeout=900 --durations=30 "$@"
