#!/usr/bin/env bash
# attack_table.sh MISUSE POLICY=LIB... : runs every attack of MISUSE under
# each policy's library (LD_PRELOAD) and prints a markdown table of what
# happened. With --check, exits non-zero when an attack claimed by a layer
# of a policy (policies/POLICY.cmake) was not stopped under that policy.
set -u
check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
misuse="$1"; shift
repo="$(cd "$(dirname "$0")/../.." && pwd)"

layers_of() {  # the SHARDGUARD_POLICY_LAYERS of policies/$1.cmake; only-LAYER: that layer
  case "$1" in
    only-*) tr '[:lower:]-' '[:upper:]_' <<<"${1#only-}" ;;
    *) sed -n 's/^set(SHARDGUARD_POLICY_LAYERS \(.*\))$/\1/p' "$repo/policies/$1.cmake" | tr -d '"' ;;
  esac
}

policies=() libs=()
for arg in "$@"; do policies+=("${arg%%=*}"); libs+=("${arg#*=}"); done

printf '| attack | claimed by |'
for p in "${policies[@]}"; do printf ' %s |' "$p"; done
printf '\n|---|---|'
for _ in "${policies[@]}"; do printf '%s' '---|'; done
printf '\n'

failures=0
while read -r name layer; do
  printf '| %s | %s |' "$name" "$layer"
  for i in "${!policies[@]}"; do
    out="$(LD_PRELOAD="${libs[$i]}" timeout 60 "$misuse" "$name" 2>&1)"
    rc=$?
    if [ $rc -eq 134 ] && grep -q '^shardguard: ' <<<"$out"; then
      cell="detected"
    elif [ $rc -eq 139 ] && [ "$layer" = GUARD_PAGES ] && grep -qw GUARD_PAGES <<<"$(layers_of "${policies[$i]}")"; then
      cell="fault (guard page)"
    elif [ $rc -eq 139 ]; then
      cell="crash (SIGSEGV, heap corrupted)"
    elif [ $rc -eq 0 ]; then
      cell="not detected"
    elif [ $rc -eq 134 ]; then
      cell="abort, no report (attack succeeded)"
    else
      cell="crash (exit $rc)"
    fi
    printf ' %s |' "$cell"
    if [ $check = 1 ] && grep -qw "$layer" <<<"$(layers_of "${policies[$i]}")"; then
      if [ "$cell" != detected ] && [ "$cell" != "fault (guard page)" ]; then
        failures=$((failures + 1))
        echo "FAILED: $name under ${policies[$i]}: $cell" >&2
        echo "$out" | tail -n 3 >&2
      fi
    fi
  done
  printf '\n'
done < <("$misuse" --list)
[ $failures -eq 0 ]
