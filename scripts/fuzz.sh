#!/usr/bin/env bash
# Coverage-guided fuzzing of the pure parsers with libFuzzer (see Fuzz/README.md).
#
#   scripts/fuzz.sh [seconds-per-target] [target...]     build, then fuzz each target (default 60 s, all targets)
#   scripts/fuzz.sh --build-only [target...]             build the fuzzers only
#   scripts/fuzz.sh --replay [target...]                 run the corpus and Fuzz/regressions/<target>/ once (no fuzzing)
#
# Targets: envelope parquet amqp registry dataset.
# 1. SwiftPM builds the library modules into .build-fuzz (its own scratch dir: the normal
#    .build is untouched) with -sanitize=fuzzer,address: coverage instrumentation + ASan, debug
#    (overflow and bounds traps on, as in every build).
# 2. swiftc compiles each Fuzz/<target>/*.swift against those modules and links the objects
#    (through one static archive, so each fuzzer takes only what it uses); libFuzzer gives main.
# 3. Each fuzzer runs for the given time over a copy of Fuzz/corpus/<target> (the seeds stay
#    unchanged; the grown corpus is in .build-fuzz/corpus/<target>), crashes go to
#    .build-fuzz/crashes/<target>/. One line per target: executions, exec/s, cov, ft, crashes.
# Exit status 1 when any target crashed (or ran out of memory / time on one input).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scratch=$root/.build-fuzz
all_targets=(envelope parquet amqp registry dataset)

mode=fuzz
seconds=60
case "${1:-}" in
  --build-only) mode=build; shift ;;
  --replay) mode=replay; shift ;;
  ''|*[!0-9]*) ;;
  *) seconds=$1; shift ;;
esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

# What each fuzzer imports (the SwiftPM targets to build), its system libraries and max_len.
modules_of() {
  case $1 in
    envelope) echo "Quality FeatureEngine" ;;
    parquet) echo "Parquet" ;;
    amqp) echo "AMQP NIOEmbedded" ;;
    registry) echo "FeatureEngine" ;;
    dataset) echo "Datasets" ;;
    *) echo "unknown target '$1' (targets: ${all_targets[*]})" >&2; exit 2 ;;
  esac
}
libs_of() {
  case $1 in
    parquet|dataset) echo "-lzstd -lsnappy -lbrotlienc -lbrotlidec" ;;
    *) echo "" ;;
  esac
}
max_len_of() {
  case $1 in
    parquet) echo 16384 ;;
    registry) echo 8192 ;;
    amqp) echo 4096 ;;
    *) echo 4096 ;;
  esac
}

sanitizers=fuzzer,address
triple_dir=$scratch/x86_64-unknown-linux-gnu/debug
[ -d "$triple_dir" ] || triple_dir=$scratch/debug

# 1. Library modules, one SwiftPM build at a time.
wanted=()
for t in "${targets[@]}"; do for m in $(modules_of "$t"); do
  [[ " ${wanted[*]-} " == *" $m "* ]] || wanted+=("$m")
done; done
for m in "${wanted[@]}"; do
  echo "== swift build --target $m (sanitize=$sanitizers)"
  swift build --scratch-path "$scratch" -c debug -Xswiftc -sanitize=$sanitizers --target "$m" 2>&1 \
    | grep -E "error:|warning: .*$root/(Sources|Fuzz)|Build of target" || true
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "FAIL: building $m" >&2; exit 1; }
done
triple_dir=$scratch/x86_64-unknown-linux-gnu/debug
[ -d "$triple_dir" ] || triple_dir=$scratch/debug

# The clang module maps and include dirs SwiftPM passed when compiling those modules.
module_flags() {
  python3 - "$scratch/debug.yaml" "$@" <<'EOF'
import json, sys
path, modules = sys.argv[1], set(sys.argv[2:])
flags, current = [], None
for line in open(path):
    s = line.strip()
    if s.startswith('"C.') and s.endswith('.module":'):
        current = s[3:].split("-x86_64")[0]
    elif s.startswith("args:") and current in modules:
        args = json.loads(s[len("args:"):])
        i = 0
        while i < len(args):
            if args[i] == "-Xcc" and i + 1 < len(args):
                if args[i + 1].startswith("-fmodule-map-file=") or args[i + 1] == "-I" or args[i + 1].startswith("-I"):
                    pair = ["-Xcc", args[i + 1]]
                    if args[i + 1] == "-I" and i + 3 < len(args):
                        pair += args[i + 2:i + 4]
                        i += 2
                    if " ".join(pair) not in [" ".join(f) for f in flags]:
                        flags.append(pair)
            i += 1
        current = None
print("\n".join(x for f in flags for x in f))
EOF
}

# 2. The fuzzers.
mkdir -p "$scratch/fuzzers"
archive=$scratch/fuzzers/libfuzzdeps.a
rm -f "$archive"
find "$triple_dir" -path "$triple_dir/Modules" -prune -o -name '*.o' -path '*.build/*' -print \
  | grep -v -E '/(feature-service|FeatureBenchmarks|LatencyBenchmark|ParquetBenchmark|[A-Za-z]*Tests|TestSupport)\.build/' \
  > "$scratch/fuzzers/objects.txt"
# Quick append (q): objects of different modules may share a file name.
tr '\n' '\0' <"$scratch/fuzzers/objects.txt" | xargs -0 ar qc "$archive"
ranlib "$archive"
for t in "${targets[@]}"; do
  echo "== swiftc Fuzz/$t -> .build-fuzz/fuzzers/$t"
  mapfile -t flags < <(module_flags $(modules_of "$t"))
  # shellcheck disable=SC2046
  swiftc -parse-as-library -sanitize=$sanitizers -Onone -g -swift-version 6 -enable-testing \
    -module-name "Fuzz_$t" -I "$triple_dir/Modules" "${flags[@]}" \
    -module-cache-path "$triple_dir/ModuleCache" \
    Fuzz/"$t"/*.swift "$archive" $(libs_of "$t") \
    -o "$scratch/fuzzers/$t" 2>&1 | grep -v "Cannot export local symbol '__asan" || true
  [ -x "$scratch/fuzzers/$t" ] && [ "$scratch/fuzzers/$t" -nt "$archive" ] || { echo "FAIL: linking the $t fuzzer" >&2; exit 1; }
done
[ "$mode" = build ] && exit 0

# 3. Fuzz (or replay).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}
# Swift's own backtracer does not get along with ASan (it stalls); libFuzzer prints the stack.
export SWIFT_BACKTRACE=enable=no

# "<reason> at Sources/<file>:<line>:<col>" for a crashing input, from a replay.
signature() {
  local out
  out=$(timeout 120 "$scratch/fuzzers/$1" "$2" 2>&1 || true)
  local reason where
  reason=$(echo "$out" | sed -n -e 's/.* in Swift runtime failure: \(.*\) \/<compiler-generated>.*/\1/p' \
    -e 's/^.*Fatal error: \(.*\)$/\1/p' -e 's/.*ERROR: AddressSanitizer: \([a-z-]*\).*/\1/p' \
    -e 's/.*ERROR: libFuzzer: \(out-of-memory\|timeout\).*/\1/p' | head -1)
  where=$(echo "$out" | grep -o "$root/Sources/[^ ]*:[0-9]*:[0-9]*" | head -1 | sed "s|$root/||")
  echo "${reason:-crash} at ${where:-?}"
}
failed=0
summary=()
for t in "${targets[@]}"; do
  crashes=$scratch/crashes/$t
  corpus=$scratch/corpus/$t
  mkdir -p "$crashes" "$corpus"
  log=$scratch/fuzz-$t.log
  if [ "$mode" = replay ]; then
    # The seeds must all pass; each regression input is run on its own and reported.
    if "$scratch/fuzzers/$t" -runs=1 Fuzz/corpus/"$t"/* >"$log" 2>&1; then
      echo "$t: seeds ok ($(ls Fuzz/corpus/"$t" | wc -l) inputs)"
    else
      echo "$t: CRASH on a seed (see $log)"; failed=1
    fi
    for f in Fuzz/regressions/"$t"/*; do
      [ -f "$f" ] || continue
      if "$scratch/fuzzers/$t" -runs=1 "$f" >"$log.replay" 2>&1; then echo "  ok     $f"
      else echo "  CRASH  $f: $(signature "$t" "$f")"; failed=1; fi
    done
    continue
  fi
  cp -n Fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  # Each run reports its own crashes (keep the ones that matter in Fuzz/regressions/<target>/).
  rm -f "$crashes"/*
  echo "== fuzz $t for ${seconds}s (log: .build-fuzz/fuzz-$t.log)"
  # -fork keeps fuzzing after a crash (each crash is saved) within the time budget.
  "$scratch/fuzzers/$t" "$corpus" -max_total_time="$seconds" -max_len="$(max_len_of "$t")" \
    -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
    $([ -f Fuzz/dict/"$t".dict ] && echo "-dict=Fuzz/dict/$t.dict") \
    -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -artifact_prefix="$crashes/" >"$log" 2>&1 || true
  after=$(ls "$crashes" | wc -l)
  # Final figures: fork mode's last "#N ... cov: C ft: F ... exec/s: E" line, or stat:: lines.
  stats=$(grep -E '^#[0-9]+' "$log" | grep 'cov: ' | tail -1 || true)
  execs=$(echo "$stats" | sed -n 's/^#\([0-9]*\).*/\1/p')
  cov=$(echo "$stats" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$stats" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  eps=$(echo "$stats" | sed -n 's/.*exec\/s: \([0-9]*\).*/\1/p')
  [ -n "$execs" ] || execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  line=$(printf '%-9s %5ss  execs %-9s exec/s %-6s cov %-6s ft %-6s crashes %s' \
    "$t" "$seconds" "${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "$after")
  summary+=("$line")
  echo "$line"
  if [ "$after" -gt 0 ]; then
    for f in "$crashes"/*; do echo "$(signature "$t" "$f")"; done | sort | uniq -c | sed 's/^ */    /' | tee "$log.signatures"
  fi
  [ "$after" -eq 0 ] || failed=1
done
if [ "$mode" = fuzz ]; then
  echo "== summary"
  printf '%s\n' "${summary[@]}"
  [ "$failed" -eq 0 ] || echo "crash inputs: .build-fuzz/crashes/<target>/ (replay: .build-fuzz/fuzzers/<target> <file>)"
fi
exit $failed
