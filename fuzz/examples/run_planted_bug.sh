#!/usr/bin/env bash
# The README's fuzzing guide, measured: the example target planted_bug.c
# under libFuzzer, linked three ways - glibc's malloc, AddressSanitizer,
# shardguard's fuzz policy - on the same seeds and time limits:
#  1. throughput: the target built without its bug, fuzzed for SECONDS from
#     an empty corpus, executions per second;
#  2. time to the crash: the target with its bug, one run per seed, at most
#     LIMIT seconds (a run that hangs after the crash is killed 30 s later).
# usage: run_planted_bug.sh BUILD_DIR [RUNS] [LIMIT] [SECONDS]
#   BUILD_DIR holds libshardguard-fuzz.so (the fuzz policy among the libraries)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "$1" && pwd)
runs=${2:-5}
limit=${3:-60}
seconds=${4:-20}
[ -e "$build/libshardguard-fuzz.so" ] || { echo "no $build/libshardguard-fuzz.so: build the fuzz policy" >&2; exit 1; }
out=$build/planted-bug
rm -rf "$out"
mkdir -p "$out"
cd "$out"
# -fno-builtin: clang must not drop the target's malloc/free pairs.
for bug in "" -DNO_PLANTED_BUG; do
  suffix=${bug:+-clean}
  clang -O1 -g -fno-builtin $bug -fsanitize=fuzzer "$here/planted_bug.c" -o "glibc$suffix"
  clang -O1 -g -fno-builtin $bug -fsanitize=fuzzer,address "$here/planted_bug.c" -o "asan$suffix"
  clang -O1 -g -fno-builtin $bug -fsanitize=fuzzer "$here/planted_bug.c" -o "shardguard$suffix" \
    -L"$build" -lshardguard-fuzz -Wl,-rpath,"$build"
done
export ASAN_OPTIONS=detect_leaks=0

stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -n1; }

echo "1. executions per second, target without its bug, ${seconds} s each"
printf '%-12s %12s\n' target exec/s
for t in glibc asan shardguard; do
  mkdir -p "corpus-$t-clean"
  "./$t-clean" -seed=1 -max_total_time="$seconds" -print_final_stats=1 "corpus-$t-clean" >"throughput-$t.log" 2>&1 || true
  printf '%-12s %12s\n' "$t" "$(stat "throughput-$t.log" average_exec_per_sec)"
done

echo
echo "2. time to the first crash (s), at most $limit s per run"
printf '%-12s %4s %10s %12s  %s\n' target seed seconds executions "first line of the report"
for seed in $(seq 1 "$runs"); do
  for t in glibc asan shardguard; do
    mkdir -p "corpus-$t-$seed"
    log=crash-$t-$seed.log
    start=$(date +%s.%N)
    timeout -s KILL $((limit + 30)) "./$t" -seed="$seed" -max_total_time="$limit" -print_final_stats=1 \
      -artifact_prefix="artifact-$t-$seed-" "corpus-$t-$seed" >"$log" 2>&1 && rc=0 || rc=$?
    end=$(date +%s.%N)
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    if [ "$rc" = 137 ]; then
      result="hung after: $(grep -m1 -E 'invalid|corrupt|double free|ERROR' "$log" || echo '?')"
      secs="$secs (killed)"
    elif ls "artifact-$t-$seed-"* >/dev/null 2>&1; then
      result=$(grep -m1 -E "^shardguard: |ERROR: AddressSanitizer|^(malloc|free|realloc)\(\)|ERROR: libFuzzer" "$log" || echo crash)
    else
      result="no crash"
    fi
    printf '%-12s %4s %10s %12s  %s\n' "$t" "$seed" "$secs" "$(stat "$log" number_of_executed_units)" "$result"
  done
done
