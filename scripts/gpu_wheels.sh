#!/usr/bin/env bash
# The wheels scripts/gpu_check.sh needs on a lent GPU machine, fetched here (it has no network there): that
# machine's python3 (3.12, x86-64) has torch, numpy, pandas, pyarrow, psutil and fsspec, but not constriction,
# astropy or platformdirs. Writes them to .whl/ (ignored by git); carry .whl with the device call and
# scripts/gpu_check.sh installs them from there (no network, nothing else changed on that machine).
#   bash scripts/gpu_wheels.sh        (about 13 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
py=python3
[ -x .venv/bin/python ] && py=.venv/bin/python
rm -rf .whl && mkdir -p .whl
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 \
         manylinux1_x86_64; do
  platforms+=(--platform "$p")
done
# constriction pinned as in pyproject.toml (the coder's bitstream); astropy as this project's installs it
for req in "constriction==0.5.0" "astropy>=6.0,<9" pyerfa astropy-iers-data "platformdirs>=4"; do
  "$py" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platforms[@]}" -d .whl "$req"
done
ls -l .whl
echo "carry .whl in the device call; scripts/gpu_check.sh installs from it when the packages are missing"
