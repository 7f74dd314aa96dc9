#!/usr/bin/env bash
# Start the Docker engine when it is not running, and wait until it answers.
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "dockerd not found: install it with 'apt-get install docker.io' (scripts/install.sh does)" >&2
  exit 1
fi
echo "starting dockerd (log: /var/log/astrocompress-dockerd.log)"
nohup dockerd >/var/log/astrocompress-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then exit 0; fi
  sleep 1
done
echo "dockerd did not come up within 60 s; see /var/log/astrocompress-dockerd.log" >&2
exit 1
