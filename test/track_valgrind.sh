#!/usr/bin/env bash
# Runs track_valgrind_program under memcheck: the clean run reports no error,
# each misuse the error memcheck gives for it with glibc's malloc.
# usage: track_valgrind.sh VALGRIND PROGRAM
set -uo pipefail
valgrind=$1
prog=$2
run() {  # run CASE EXPECTED-EXITS(regex) PATTERN
  local out rc
  out=$("$valgrind" --error-exitcode=99 --leak-check=no "$prog" "$1" 2>&1)
  rc=$?
  if ! [[ "$rc" =~ ^($2)$ ]] || ! grep -q "$3" <<<"$out"; then
    echo "FAILED: $1: exit $rc (wanted $2), no '$3' in:" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "$1: exit $rc, '$3'"
}
run clean 0 "ERROR SUMMARY: 0 errors"
run use-after-free 99 "Invalid read of size 1"
# (with canaries, shardguard's own report follows memcheck's and aborts)
run overflow "99|134" "Invalid write of size 1"
run uninitialized 99 "Conditional jump or move depends on uninitialised value"
