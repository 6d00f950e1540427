#!/usr/bin/env bash
# Every function of mimalloc 2.x's exported API (one name a line in LIST)
# must be a defined dynamic symbol of the shared library LIB.
# usage: check_exports.sh LIB LIST
set -euo pipefail
lib=$1
list=$2
missing=$(comm -23 <(sort -u "$list") <(nm -D --defined-only "$lib" | awk '{print $3}' | sort -u))
total=$(sort -u "$list" | wc -l)
if [ -n "$missing" ]; then
  echo "$(echo "$missing" | wc -l) of $total mimalloc API functions are not exported by $lib:" >&2
  echo "$missing" >&2
  exit 1
fi
echo "all $total mimalloc API functions are exported by $(basename "$lib")"
