#!/usr/bin/env bash
# The whole test suite, as a new user or CI runs it: `scripts/test.sh`.
# Installs what the tests need, builds with zero warnings in our own code, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-test-env.sh
export FEATURE_SERVICE_PYTHON="$PWD/.venv/bin/python"

echo "== build (warnings in Sources/ or Tests/ fail the run)"
log=$(mktemp)
swift build --build-tests 2>&1 | tee "$log" | grep -E "error:|warning:" || true
if grep -E "^$PWD/(Sources|Tests|Benchmarks)/.*warning:" "$log" >/dev/null; then
  echo "FAIL: compiler warnings in project code" >&2
  exit 1
fi
if grep -q "error:" "$log"; then exit 1; fi

echo "== services: a private RabbitMQ and PostgreSQL on loopback"
# Stops every process the services started (broker, its own epmd, PostgreSQL), also on failure.
trap 'scripts/rabbitmq.sh stop; scripts/postgres.sh stop' EXIT
# Assigned before export: `export X="$(cmd)"` would hide a failed start from set -e.
AMQP_TEST_URL="$(scripts/rabbitmq.sh start)"
AMQP_TEST_BROKER_PID="$(scripts/rabbitmq.sh pid)"
POSTGRES_TEST_URL="$(scripts/postgres.sh start)"
export AMQP_TEST_URL AMQP_TEST_BROKER_PID POSTGRES_TEST_URL

echo "== swift test"
# One test at a time: the broker tests restart and freeze the shared broker, and several
# tests wait on child processes.
swift test --skip-build --no-parallel 2>&1
