#!/usr/bin/env bash
# Lint and type-check the project (configured in pyproject.toml):
#   ruff  over the five packages, tests/ and scripts/
#   mypy  over the five packages (strict for evaluator/)
# Runs both tools even when the first fails; exits non-zero if either found an error.
# scripts/test.sh runs it in both tiers.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
status=0
echo "ruff: lint rules of pyproject.toml [tool.ruff]"
"$bin/ruff" check --quiet challenge leaderboard submissions baselines evaluator tests scripts || status=1
echo "mypy: types of pyproject.toml [tool.mypy]"
"$bin/mypy" || status=1
exit "$status"
