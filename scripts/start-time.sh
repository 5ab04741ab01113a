#!/usr/bin/env bash
# `serve` start-to-ready on a store with N days of one symbol (issue 11): builds the store with
# the history benchmark (bulk load + checkpoints), then starts a release `serve` on it and times
# until GET /health answers 200, and until SIGTERM has stopped it. Usage: scripts/start-time.sh [days]
set -euo pipefail
cd "$(dirname "$0")/.."
days="${1:-30}"
swift build -c release --product FeatureBenchmarks >/dev/null
swift build -c release --product feature-service >/dev/null
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
.build/release/FeatureBenchmarks 1000 --history-days "$days" --history-keep "$data" | grep history
rm -rf "$data/dataset"
for run in 1 2 3; do
  start=$(date +%s.%N)
  FEATURE_SERVICE_API_KEYS=k LOG_LEVEL=notice FEATURE_SERVICE_RETENTION_DAYS=36500 \
    .build/release/feature-service serve --port 4598 --host 127.0.0.1 --no-console --data-dir "$data" --no-simulator >"$data/serve.log" 2>&1 &
  pid=$!
  until curl -sf localhost:4598/health >/dev/null; do sleep 0.01; done
  ready=$(date +%s.%N)
  warm=$(grep -o '"seconds":"[^"]*","events":"[^"]*"' "$data/serve.log" | head -1 || true)
  kill -TERM $pid; wait $pid || true
  stopped=$(date +%s.%N)
  echo "run $run: start-to-ready $(echo "$ready - $start" | bc) s (warm start: $warm), SIGTERM-to-exit $(echo "$stopped - $ready" | bc) s"
done
