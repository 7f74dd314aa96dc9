#!/usr/bin/env bash
# The GPU path of a paper-size neural baseline (issue 24 item 5), on a machine with an NVIDIA GPU and torch,
# no Docker: trains IDF (or --models idf,l3c,pixelcnn) in the paper's configuration for a few minutes on the
# GPU, times exact encode and decode per megapixel on the GPU and on the CPU, and decodes a GPU-encoded stream
# on the CPU (and a CPU-encoded one on the GPU).
#   bash scripts/gpu_check.sh [--minutes 3] [--crop 256] [--models idf,l3c]
#   bash scripts/gpu_check.sh --models pixelcnn --crop 64   (the paper's PixelCNN++ decodes by a pass per pixel)
# Without a GPU it says "no GPU" in one line and exits 0. Uses .venv/bin/python when there is one, else python3
# (the lent GPU machines have torch but not this project's virtual environment: numpy, constriction, astropy,
# imagecodecs are installed with pip when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
py=python3
[ -x .venv/bin/python ] && py=.venv/bin/python
if ! "$py" -c "import constriction, astropy, imagecodecs, platformdirs" 2>/dev/null; then
  "$py" -m pip install --quiet "constriction==0.5.0" astropy imagecodecs platformdirs psutil fsspec pandas pyarrow \
    || echo "could not install the project's dependencies: the check may fail at import"
fi
exec "$py" scripts/gpu_check.py "$@"
