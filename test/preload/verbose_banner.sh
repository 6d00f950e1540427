#!/bin/sh
# Run with LD_PRELOAD=libshardguard...: with SHARDGUARD_VERBOSE=1 the first
# line on stderr names the build and its policy (POLICY, $1), and it is
# printed once; without it, the library prints nothing.
policy="$1"
err=$(SHARDGUARD_VERBOSE=1 /bin/true 2>&1 >/dev/null) || exit 1
quiet=$(/bin/true 2>&1)
first=$(printf '%s\n' "$err" | head -n 1)
echo "first line: $first"
printf '%s\n' "$first" |
  grep -Eq "^shardguard: libshardguard [0-9.]+ loaded, policy $policy \((release|debug) build\), pid [0-9]+\$" ||
  { echo "FAIL: the first line does not announce policy $policy"; exit 1; }
n=$(printf '%s\n' "$err" | grep -c ' loaded, policy ')
[ "$n" = 1 ] || { echo "FAIL: $n announcement lines"; exit 1; }
[ -z "$quiet" ] || { echo "FAIL: output without SHARDGUARD_VERBOSE: $quiet"; exit 1; }
