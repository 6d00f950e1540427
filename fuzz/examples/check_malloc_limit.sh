#!/usr/bin/env bash
# libFuzzer's -malloc_limit_mb works in a fuzz target linked with the fuzz
# policy's library (its malloc hooks): one 64 MiB malloc under a 16 MiB limit
# ends in libFuzzer's out-of-memory report. The fuzzer runtime is linked by
# hand: clang's -fsanitize=fuzzer would add its UBSan runtime, whose inert copy
# of the hook-installing function would take the place of shardguard's.
# usage: check_malloc_limit.sh BUILD_DIR(with libshardguard-fuzz.so) SCRATCH_DIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "$1" && pwd)
scratch=$2
mkdir -p "$scratch"
rt=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)
[ -e "$rt" ] || { echo "no libFuzzer runtime ($rt)" >&2; exit 1; }
clang -O1 -fno-builtin -fsanitize=fuzzer -fno-sanitize-link-runtime "$here/malloc_limit_target.c" "$rt" \
  -o "$scratch/malloc_limit_target" -L"$build" -lshardguard-fuzz -Wl,-rpath,"$build" -lstdc++ -lm -lpthread
printf 'BIG\x40' >"$scratch/big.input"
out=$("$scratch/malloc_limit_target" -malloc_limit_mb=16 "$scratch/big.input" 2>&1) && rc=0 || rc=$?
if ! grep -q 'ERROR: libFuzzer: out-of-memory (malloc(67108864))' <<<"$out"; then
  echo "FAILED: no out-of-memory report for a 64 MiB malloc under -malloc_limit_mb=16 (exit $rc):" >&2
  echo "$out" | tail -n 20 >&2
  exit 1
fi
echo "libFuzzer -malloc_limit_mb=16 stopped a 64 MiB malloc through shardguard's hooks (exit $rc)"
