#!/usr/bin/env bash
# Runs the service on embedded defaults from a fresh machine: installs the C libraries the
# Parquet codecs and the SQLite metadata store link against (Debian packages) if missing, builds in release, starts
# `feature-service serve` with any flags given here (see `serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in libzstd-dev libsnappy-dev libbrotli-dev libsqlite3-dev pkg-config; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "serve: installing ${need[*]}" >&2
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
exec swift run -c release feature-service serve "$@"
