#!/usr/bin/env bash
# How long libFuzzer takes to find the planted bug of planted_bug.c, linked
# with glibc's malloc, with AddressSanitizer, and with shardguard's fuzz
# policy: the same target, seeds and time limit; executions per second and
# the time to the first crash, per run and as medians.
#   fuzz/examples/run_planted_bug.sh BUILD_DIR(with libshardguard-fuzz.so) [RUNS] [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "$1" && pwd)
runs=${2:-5}
limit=${3:-60}
lib=$build/libshardguard-fuzz.so
[ -e "$lib" ] || { echo "no $lib: build with the fuzz policy among SHARDGUARD_EXTRA_POLICIES" >&2; exit 1; }
out=$build/planted-bug
mkdir -p "$out"
cd "$out"
clang -O1 -g -fsanitize=fuzzer "$here/planted_bug.c" -o target-glibc
clang -O1 -g -fsanitize=fuzzer,address "$here/planted_bug.c" -o target-asan
clang -O1 -g -fsanitize=fuzzer "$here/planted_bug.c" -o target-shardguard -L"$build" -lshardguard-fuzz -Wl,-rpath,"$build"

printf '%-12s %4s %10s %12s %10s\n' target seed "crash (s)" "exec/s" executions
for seed in $(seq 1 "$runs"); do
  for t in glibc asan shardguard; do
    rm -rf "corpus-$t-$seed" "crash-$t-$seed-"* && mkdir "corpus-$t-$seed"
    log=run-$t-$seed.log
    start=$(date +%s.%N)
    set +e
    ASAN_OPTIONS=detect_leaks=0 "./target-$t" -seed="$seed" -max_total_time="$limit" -print_final_stats=1 \
      -artifact_prefix="crash-$t-$seed-" "corpus-$t-$seed" >"$log" 2>&1
    set -e
    end=$(date +%s.%N)
    execs=$(awk -F: '/stat::number_of_executed_units/ {gsub(/ /, "", $2); print $2}' "$log" | tail -n1)
    if ls "crash-$t-$seed-"* >/dev/null 2>&1; then
      crash=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    else
      crash="none"
    fi
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    rate=$(awk -v e="${execs:-0}" -v s="$secs" 'BEGIN { printf "%.0f", e / s }')
    printf '%-12s %4s %10s %12s %10s\n' "$t" "$seed" "$crash" "$rate" "${execs:-?}"
    grep -m1 -E "^shardguard: |ERROR: AddressSanitizer|ERROR: libFuzzer" "$log" | sed 's/^/    /' || true
  done
done
