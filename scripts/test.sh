#!/usr/bin/env bash
# The README's test command: install what is missing, start Docker, check the
# layers contract (lint-imports), run every test (unit, real-Docker
# integration, headless-Chromium browser, adversarial).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export CHALLENGE_HOME="${CHALLENGE_HOME:-$PWD/.cache/test-home}"
export CHALLENGE_CACHE="${CHALLENGE_CACHE:-$PWD/.cache/test-cache}"
export CHALLENGE_REQUIRE_DOCKER=1
echo "lint-imports: the layers contract of pyproject.toml"
.venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest -q --timeout=900 "$@"
