#!/usr/bin/env bash
# Fine-tune every committed IDF, L3C and PixelCNN++ checkpoint on the coder's distribution
# (baselines.neural.coding_loss): each starts from its weights, trains MINUTES at a quarter of its
# learning rate and keeps whichever weights validate best under the coding loss (the sidecar's
# "finetune" block names them). Two at a time (one core each).
#
#   bash scripts/finetune_coding.sh [MINUTES]      (default 1.5; ~2.5 min per checkpoint with validation)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-1.5}"
export CHALLENGE_HOME="${CHALLENGE_HOME:-$PWD/.cache/test-home}"
export CHALLENGE_CACHE="${CHALLENGE_CACHE:-$PWD/.cache/test-cache}"
mkdir -p .cache/finetune
for sidecar in baselines/neural/checkpoints/{idf,l3c,pixelcnn}-*.json; do
  .venv/bin/python - "$sidecar" <<'PY'
import json, sys
meta = json.load(open(sys.argv[1]))
print(meta["model"], meta["tracks"][0], meta["hparams"]["lr"] / 4, sys.argv[1][:-5] + ".pt")
PY
done | xargs -P 2 -L 1 bash -c '.venv/bin/python -m baselines.neural.train --model "$0" --track "$1" --lr "$2" \
  --minutes '"$minutes"' --init "$3" --out "$3" > ".cache/finetune/$(basename "$3" .pt).log" 2>&1 \
  && tail -1 ".cache/finetune/$(basename "$3" .pt).log"'
