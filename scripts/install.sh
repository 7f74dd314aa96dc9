#!/usr/bin/env bash
# Install everything the platform needs on a Debian bookworm machine (as root):
# Debian packages (Docker engine, debootstrap, Chromium for browser tests, the
# archive tools fpack/funpack, bzip2, zstd, xz that the archive codec tests run,
# age for the inbox encryption interop test),
# a virtual environment in .venv with the project, then start dockerd.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(docker.io debootstrap chromium chromium-driver git ca-certificates libcfitsio-bin bzip2 zstd xz-utils age)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then missing+=(python3-venv); fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${missing[*]}; run this script as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  # torch is pinned: 2.13.0's CPU wheel is on this machine's disk; any other
  # version pulls a multi-GB CUDA build.
  .venv/bin/pip install -q -e '.[test,neural]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

bash scripts/start-dockerd.sh
echo "installed: $(.venv/bin/challenge --version 2>/dev/null || echo challenge CLI in .venv/bin)"
