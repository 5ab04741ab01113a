#!/usr/bin/env bash
# Order book delta apply: our L2Book against hftbacktest's and NautilusTrader's Rust books on the same
# deltas (issue 13). Usage: scripts/bench-book-peers.sh [messages]   (default 200000)
# Creates .venv-bench/ (benchmark only; the product never imports these packages), builds
# BookBenchmark in release, generates a deterministic delta file in a temporary directory, runs both
# sides on it and, when present, on the recorded Bybit file in /work/shared/data (third-party: read
# in place, never copied into the repository). Prints a table with ours / peer time ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=${1:-200000}
VENV=.venv-bench
PEERS=(hftbacktest==2.4.4 nautilus_trader==1.221.0)  # the versions BENCHMARKS.md reports
REAL=${BOOK_REAL_DATA:-/work/shared/data/bybit/2024-12-01_XRPUSDT_ob500.data}

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if ! "$VENV/bin/python" - "${PEERS[@]}" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
sys.exit(any(version(n) != v for n, v in (p.split("==") for p in sys.argv[1:])))
PY
    "$VENV/bin/pip" install -q "${PEERS[@]}"
fi

swift build -c release --product BookBenchmark 2>&1 | grep -E "error|Compiling|Build" || true
BIN=.build/release/BookBenchmark
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# run NAME FILE REPEAT: both sides on FILE, then the table.
run() {
    local name=$1 file=$2 repeat=$3
    echo "== $name"
    "$BIN" run "$file" --dump "$TMP/$name.csv" --repeat "$repeat" | tee "$TMP/$name.ours"
    "$VENV/bin/python" scripts/interop/bench_book_peers.py run "$file" --ours "$TMP/$name.csv" --repeat "$repeat" \
        --json "$TMP/$name.json"
    "$VENV/bin/python" - "$TMP/$name.ours" "$TMP/$name.json" <<'PY'
import json, sys
ours = json.loads(next(l for l in open(sys.argv[1]) if l.startswith("RESULT "))[7:])
peers = json.load(open(sys.argv[2]))
levels, messages = ours["levels"], ours["messages"]
rows = [("ours: L2Book.apply per message", ours["book_s"]), ("ours: BookSide.set per level (no messages, no checks)", ours["sides_s"])]
rows += [(name, r["seconds"]) for name, r in peers["results"].items()]
print(f"\n{'':<70} {'ns/level':>9} {'ns/msg':>9} {'ours/peer':>10}")
for name, seconds in rows:
    ratio = "" if name.startswith("ours") or "empty loop" in name else f"{ours['book_s'] / seconds:10.2f}"
    print(f"{name:<70} {seconds * 1e9 / levels:9.1f} {seconds * 1e9 / messages:9.1f} {ratio:>10}")
bad = [n for n, r in peers["results"].items()
       if r.get("mismatched_levels", 0) or r.get("top_checksum", ours["top_checksum"]) != ours["top_checksum"]]
print("cross-check: " + ("every peer's final book equals ours level by level; nautilus's top checksum over every message equals ours"
                         if not bad else f"MISMATCH in {bad}"))
for line in peers["failures"]:
    print("peer unavailable:", line)
print("(ours/peer < 1: ours is faster. The ratio uses ours = L2Book.apply per message.)\n")
sys.exit(1 if bad else 0)
PY
}

"$BIN" generate "$TMP/sim.bin" --messages "$MESSAGES"
run simulated "$TMP/sim.bin" 7
if [ -f "$REAL" ]; then
    "$VENV/bin/python" scripts/interop/bench_book_peers.py convert-bybit "$REAL" "$TMP/real.bin"
    run recorded "$TMP/real.bin" 201
else
    echo "skipping the recorded Bybit book: $REAL not found"
fi
