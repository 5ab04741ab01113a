#!/usr/bin/env bash
# The whole test suite, as a new user or CI runs it: `scripts/test.sh`.
# Installs what the tests need, checks formatting, builds with zero warnings in our own code, runs
# the unit targets (no services: seconds), then starts a private RabbitMQ and PostgreSQL on loopback
# and runs the integration targets (brokers, databases, pyarrow, child processes).
#   scripts/test.sh --unit   the unit targets only: no servers, no Python (runs anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."

unit_only=false
if [[ "${1:-}" == "--unit" ]]; then unit_only=true; fi

if $unit_only; then
  scripts/setup-test-env.sh --libraries-only
else
  scripts/setup-test-env.sh
  export FEATURE_SERVICE_PYTHON="$PWD/.venv/bin/python"
fi

echo "== module map (CONTRIBUTING.md)"
python3 scripts/check-module-map.py

echo "== format (swift format lint, .swift-format)"
swift format lint --strict --recursive --parallel Package.swift Sources Tests Benchmarks Fuzz

echo "== build (warnings in Sources/ or Tests/ fail the run)"
log=$(mktemp)
swift build --build-tests 2>&1 | tee "$log" | grep -E "error:|warning:" || true
if grep -E "^$PWD/(Sources|Tests|Benchmarks)/.*warning:" "$log" >/dev/null; then
  echo "FAIL: compiler warnings in project code" >&2
  exit 1
fi
if grep -q "error:" "$log"; then exit 1; fi

echo "== unit tests (no services)"
swift test --skip-build --skip IntegrationTests 2>&1
if $unit_only; then exit 0; fi

echo "== services: a private RabbitMQ and PostgreSQL on loopback"
# Stops every process the services started (broker, its own epmd, PostgreSQL), also on failure.
trap 'scripts/rabbitmq.sh stop; scripts/postgres.sh stop' EXIT
# Assigned before export: `export X="$(cmd)"` would hide a failed start from set -e.
AMQP_TEST_URL="$(scripts/rabbitmq.sh start)"
AMQP_TEST_BROKER_PID="$(scripts/rabbitmq.sh pid)"
POSTGRES_TEST_URL="$(scripts/postgres.sh start)"
export AMQP_TEST_URL AMQP_TEST_BROKER_PID POSTGRES_TEST_URL

echo "== integration tests"
# One test at a time: the broker tests restart and freeze the shared broker, and several
# tests wait on child processes.
swift test --skip-build --no-parallel --filter IntegrationTests 2>&1
