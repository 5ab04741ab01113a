#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (idempotent):
# C libraries for the Parquet codecs and SQLite, a local Python venv with pyarrow for interop tests,
# and for the web console's browser test Debian's chromium + chromium-driver and Selenium (in the venv).
#   --libraries-only   only the C libraries (what the build and the unit tests need)
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in libzstd-dev libsnappy-dev libbrotli-dev libsqlite3-dev pkg-config python3-venv; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [[ "${1:-}" == "--libraries-only" ]]; then exit 0; fi

# The browser the console test drives (headless), and its WebDriver: Debian's packages, no download of a browser build.
need_browser=()
for pkg in chromium chromium-driver; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_browser+=("$pkg")
done
if [ ${#need_browser[@]} -gt 0 ]; then
  echo "setup: installing ${need_browser[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_browser[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import pyarrow' 2>/dev/null; then
  echo "setup: creating .venv with pyarrow"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check pyarrow
fi
if ! .venv/bin/python -c 'import selenium' 2>/dev/null; then
  echo "setup: installing selenium into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check selenium
fi
