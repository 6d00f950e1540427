#!/usr/bin/env bash
# Every function of mimalloc 2.x's exported API (one name a line in LIST)
# must be a defined dynamic symbol of the shared library LIB. With OWN_LIST,
# the library's own additions (shardguard_*, declared in <shardguard.h>)
# must be exactly the names of OWN_LIST: none missing, none exported by
# accident.
# usage: check_exports.sh LIB LIST [OWN_LIST]
set -euo pipefail
lib=$1
list=$2
own_list=${3:-}
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort -u)
missing=$(comm -23 <(sort -u "$list") <(echo "$exported"))
total=$(sort -u "$list" | wc -l)
if [ -n "$missing" ]; then
  echo "$(echo "$missing" | wc -l) of $total mimalloc API functions are not exported by $lib:" >&2
  echo "$missing" >&2
  exit 1
fi
echo "all $total mimalloc API functions are exported by $(basename "$lib")"
if [ -n "$own_list" ]; then
  own=$(grep '^shardguard' <<<"$exported" || true)
  if [ "$own" != "$(sort -u "$own_list")" ]; then
    echo "shardguard's own exports differ from $(basename "$own_list") (< expected, > exported):" >&2
    diff <(sort -u "$own_list") <(echo "$own") >&2 || true
    exit 1
  fi
  echo "and shardguard's own: $(echo "$own" | paste -sd ' ' -)"
fi
