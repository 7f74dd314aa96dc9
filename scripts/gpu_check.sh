#!/usr/bin/env bash
# The GPU path of a paper-size neural baseline (issue 24 item 5), on a machine with an NVIDIA GPU and torch,
# no Docker: trains IDF (or --models idf,l3c,pixelcnn) in the paper's configuration for a few minutes on the
# GPU, times exact encode and decode per megapixel on the GPU and on the CPU, and decodes a GPU-encoded stream
# on the CPU (and a CPU-encoded one on the GPU).
#   bash scripts/gpu_check.sh [--minutes 3] [--crop 256] [--models idf,l3c]
#   bash scripts/gpu_check.sh --minutes 1.5 --models idf,pixelcnn,l3c --crop 128   (the prepared device call)
# Without a GPU it says "no GPU" in one line and exits 0. Uses .venv/bin/python when there is one, else python3
# (the lent GPU machines have torch but not this project's virtual environment, nor a network: the missing
# packages come from .whl/, made here by scripts/gpu_wheels.sh and carried with the call; elsewhere from pip).
set -euo pipefail
cd "$(dirname "$0")/.."
py=python3
[ -x .venv/bin/python ] && py=.venv/bin/python
if ! "$py" -c "import constriction, astropy, platformdirs" 2>/dev/null; then
  if compgen -G ".whl/*.whl" > /dev/null; then
    # a lent GPU machine has no network: the wheels of scripts/gpu_wheels.sh, carried in .whl/
    "$py" -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/gpu-check-site \
      .whl/*.whl
    export PYTHONPATH="/tmp/gpu-check-site${PYTHONPATH:+:$PYTHONPATH}"
  else
    "$py" -m pip install --quiet "constriction==0.5.0" astropy platformdirs psutil fsspec pandas pyarrow \
      || echo "could not install the project's dependencies (offline? run scripts/gpu_wheels.sh and carry .whl)"
  fi
fi
exec "$py" scripts/gpu_check.py "$@"
