#!/usr/bin/env bash
# The README's main command: install, then build the baseline codec images,
# evaluate them in the sandbox on the synthetic default data, seed the
# paper's numbers, and serve the leaderboard on http://localhost:7860.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/challenge demo "$@"
