#!/bin/sh
# Make sure python3 with venv/ensurepip is present. A no-op on the offline
# debootstrapped root; on a plain Debian image from a registry, apt installs it.
set -e
if python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv
rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*
