#!/usr/bin/env bash
# Bounded cost per request (issue 16): POST /ingest with a flood of malformed lines against a
# release `serve`, and what it cost: answer size, resident-memory growth, dead letters kept,
# log lines written. Usage: scripts/ingest-flood.sh [MiB]   (default 64; port 4596)
set -euo pipefail
cd "$(dirname "$0")/.."
mib="${1:-64}"
swift build -c release --product feature-service >/dev/null
data=$(mktemp -d); body=$(mktemp); answer=$(mktemp); log=$(mktemp)
FEATURE_SERVICE_API_KEYS=floodkey LOG_LEVEL=info .build/release/feature-service serve --port 4596 --host 127.0.0.1 --no-console \
  --data-dir "$data" --no-simulator >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data" "$body" "$answer" "$log"' EXIT
for _ in $(seq 1 100); do curl -sf localhost:4596/health >/dev/null && break; sleep 0.2; done
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
hwm() { awk '/VmHWM/ {print $2}' /proc/$pid/status; }
python3 -c "import sys; sys.stdout.buffer.write(b'x\n' * ($mib * 1024 * 1024 // 2))" >"$body"
before=$(rss); logs_before=$(wc -l <"$log")
start=$(date +%s.%N)
status=$(curl -s -o "$answer" -w '%{http_code}' -H 'X-API-Key: floodkey' -H 'Content-Type: application/x-ndjson' \
  --data-binary @"$body" localhost:4596/ingest)
end=$(date +%s.%N)
sleep 0.5  # the grid clock writes the dead letters within 10 ms
after=$(rss); peak=$(hwm); logs_after=$(wc -l <"$log")
letters=$(cat "$data"/dead-letter/*.jsonl 2>/dev/null | wc -l)
letter_bytes=$(cat "$data"/dead-letter/*.jsonl 2>/dev/null | wc -c)
echo "body: $mib MiB of malformed lines ($((mib * 1024 * 1024 / 2)) lines)"
echo "status: $status, answer: $(wc -c <"$answer") bytes, time: $(echo "$end - $start" | bc) s"
echo "resident: before $((before / 1024)) MiB, after $((after / 1024)) MiB, growth $(((after - before) / 1024)) MiB, peak $((peak / 1024)) MiB"
echo "dead letters kept: $letters ($letter_bytes bytes); log lines written during the request: $((logs_after - logs_before))"
echo "answer head: $(head -c 300 "$answer")"
