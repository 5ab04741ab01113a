#!/usr/bin/env bash
# Dataset build time: single process (`dataset build`) vs a `serve` coordinator with 1 and with 2
# `worker` processes (issue 12, part 3). Builds a store of 3 simulated symbols (default 24 h at
# 20 events/s each, checkpoints every 10 min), then builds one dataset (3 symbols, 1 s rows,
# 4 targets x 2 horizons, explicit train/validation/test) each way, release builds throughout.
# Needs the test RabbitMQ and PostgreSQL (started here through scripts/rabbitmq.sh and
# scripts/postgres.sh, which honour RABBITMQ_TEST_PORT / POSTGRES_TEST_PORT).
# Usage: scripts/bench-dataset-workers.sh [hours] [chunk]
set -euo pipefail
cd "$(dirname "$0")/.."
hours="${1:-24}"
chunk="${2:-4h}"
swift build -c release --product FeatureBenchmarks >/dev/null
swift build -c release --product feature-service >/dev/null
bin=.build/release/feature-service
amqp=$(scripts/rabbitmq.sh start)
pg=$(scripts/postgres.sh start)
data=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
.build/release/FeatureBenchmarks --dataset-store "$data" --dataset-hours "$hours"
first=1733011200
iso() { date -u -d "@$((first + $1))" +%Y-%m-%dT%H:%M:%SZ; }
end=$((hours * 3600))
cat >"$data/config.json" <<JSON
{"symbols": ["BTCUSDT", "ETHUSDT", "SOLUSDT"], "sample_every": "1s",
 "targets": {"types": ["return", "log_return", "direction", "sharpe"], "horizons": ["1m", "5m"]},
 "splits": {"strategy": "explicit", "embargo": "0s", "periods": {
   "train": ["$(iso 600)", "$(iso $((end * 2 / 3)))"], "validation": ["$(iso $((end * 2 / 3)))", "$(iso $((end * 5 / 6)))"],
   "test": ["$(iso $((end * 5 / 6)))", "$(iso $((end - 600)))"]}}}
JSON
now() { date +%s.%N; }
t0=$(now)
$bin dataset build --config "$data/config.json" --data-dir "$data" --output "$data/single" 2>/dev/null | head -1
echo "single process: $(echo "$(now) - $t0" | bc) s"
export AMQP_URL="$amqp" DATABASE_URL="$pg" FEATURE_SERVICE_API_KEYS=k FEATURE_SERVICE_RETENTION_DAYS=36500 LOG_LEVEL=notice
for workers in 1 2; do
  FEATURE_SERVICE_DATASET_WORKERS=broker FEATURE_SERVICE_DATASET_CHUNK="$chunk" \
    $bin serve --port 4597 --host 127.0.0.1 --data-dir "$data" --no-simulator >"$data/serve.log" 2>&1 &
  serve=$!
  pids+=("$serve")
  until curl -sf localhost:4597/health >/dev/null; do sleep 0.1; done
  started=()
  for w in $(seq 1 "$workers"); do
    FEATURE_SERVICE_INSTANCE="bench-$w" $bin worker --data-dir "$data" >"$data/worker-$w.log" 2>&1 &
    started+=($!)
    pids+=($!)
  done
  sleep 1
  t0=$(now)
  id=$(curl -sf -H 'X-API-Key: k' -H 'Content-Type: application/json' --data @"$data/config.json" localhost:4597/dataset/build |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["dataset_id"])')
  while true; do
    status=$(curl -sf -H 'X-API-Key: k' "localhost:4597/dataset/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    [[ "$status" == ready || "$status" == failed ]] && break
    sleep 0.2
  done
  echo "$workers worker(s), $chunk chunks: $status in $(echo "$(now) - $t0" | bc) s"
  echo "  $(grep '"dataset parts merged"' "$data/serve.log" | grep -o '"\(tasks\|merge\)_seconds":"[^"]*"' | tr '\n' ' ')"
  cmp "$data/single/train.parquet" "$data/datasets/$id/train.parquet" && echo "  train.parquet identical to the single-process build"
  for p in "${started[@]}" "$serve"; do kill -TERM "$p"; wait "$p" || true; done
  pids=()
done
