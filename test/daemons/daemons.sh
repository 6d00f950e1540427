#!/usr/bin/env bash
# Real programs under preloaded allocators, on loopback, with bounded loads.
#
#   daemons.sh [--seconds S] [--rounds R] [--out DIR] [--only "w1 w2"] NAME=PRELOAD...
#
# NAME=PRELOAD is an allocator: a column name and the library to put in
# LD_PRELOAD (empty: none, the program's own allocator, "glibc"). Workloads:
#   redis      redis-server (no persistence) + redis-benchmark SET/GET/LPUSH/LRANGE_100, 1 KiB values, 8 clients
#   nginx      nginx (2 workers) serving a static file with gzip, loaded by wrk (2 threads, 16 connections)
#   memcached  memcached (2 threads) + memcached_load (4 connections, set/get 1 KiB values, every hit checked)
#   python     python3 test/daemons/alloc_heavy.py (dicts, lists, strings, JSON, threads; self-checking)
#   gxx        g++ -O1 -c test/daemons/heavy_headers.cpp (heavy standard headers)
# Round after round, every workload runs under every allocator in turn
# (interleaved), so machine noise hits all of them alike.
#
# Each run checks that the library is mapped into the process (/proc/PID/maps;
# for g++ into each compiler pass, through a -wrapper), that the load finished
# without error (and its data is right), that nothing printed "shardguard:"
# other than the start-up line, and that a daemon exits with status 0 within
# 15 s of SIGTERM. It records throughput and peak RSS (VmHWM; for nginx master
# plus workers) in DIR/results.tsv, then prints the table (table.py).
# Exit status: 0 when every run passed. Only processes this script started are
# ever signalled, by PID.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SECONDS_PER_LOAD=2
ROUNDS=1
OUT=""
WORKLOADS="redis nginx memcached python gxx"
NAMES=()
PRELOADS=()

while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_LOAD="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --only) WORKLOADS="$2"; shift 2 ;;
    *=*) NAMES+=("${1%%=*}"); PRELOADS+=("${1#*=}"); shift ;;
    *) echo "daemons.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ ${#NAMES[@]} -gt 0 ] || { echo "daemons.sh: no allocator given (NAME=PRELOAD)" >&2; exit 2; }
[[ "$SECONDS_PER_LOAD" =~ ^[1-9][0-9]*$ ]] || { echo "daemons.sh: --seconds must be a positive integer" >&2; exit 2; }
[ -n "$OUT" ] || OUT="$(mktemp -d /tmp/shardguard-daemons.XXXXXX)"
mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"
printf 'workload\tallocator\tround\tstatus\trate\tunit\thwm_kib\tnote\n' >"$RESULTS"

PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"
AS_ROOT=0
[ "$(id -u)" -eq 0 ] && AS_ROOT=1

# ---- processes this script started: stopped on exit, by PID ----
STARTED=()
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do kill -KILL "$pid" 2>/dev/null; done
}
trap cleanup EXIT

# A collected PID may be reused by an unrelated process: drop it from the list.
forget() {
  local keep=() p
  for p in "${STARTED[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  STARTED=("${keep[@]}")
}

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() { # wait_port PORT PID — until the port accepts connections (10 s)
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# The file name a preloaded library shows in /proc/PID/maps (symlinks resolved).
mapped_name() { [ -n "$1" ] && basename "$(readlink -f "$1")"; }

is_loaded() { # is_loaded PID NAME — NAME mapped into PID (always true when NAME is empty)
  [ -z "$2" ] || grep -qF "/$2" "/proc/$1/maps" 2>/dev/null
}

children_of() { cat /proc/"$1"/task/*/children 2>/dev/null | tr -s ' \n' ' '; }

vm_hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# stop PID — SIGTERM, then up to 15 s for the exit; sets STOP_RC to the exit
# status ("timeout" if it had to be killed). Not for $(...): wait needs the
# shell that started PID.
STOP_RC=""
stop() {
  local pid="$1" i
  STOP_RC=0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 150; i++)); do
    # an exited child stays a zombie until wait collects it
    if ! kill -0 "$pid" 2>/dev/null || grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [ "$i" -ge 150 ]; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    forget "$pid"
    STOP_RC=timeout
    return
  fi
  wait "$pid" 2>/dev/null || STOP_RC=$?
  forget "$pid"
}

# Lines a shardguard build printed other than its start-up line: warnings
# (foreign pointers, ...) and errors.
allocator_complaints() { grep -h '^shardguard: ' "$@" 2>/dev/null | grep -v ' loaded, policy ' | head -n 3; }

record() { # record WORKLOAD ALLOC ROUND STATUS RATE UNIT HWM NOTE
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
  if [ "$4" = ok ]; then
    printf '  %-10s %-22s round %s: %s %s, VmHWM %s KiB%s\n' "$1" "$2" "$3" "$5" "$6" "$7" "${8:+ ($8)}"
  else
    printf '  %-10s %-22s round %s: FAILED: %s\n' "$1" "$2" "$3" "$8"
  fi
}

# ---------------------------------------------------------------- workloads
# Each: run_W NAME PRELOAD ROUND DIR — starts, loads, checks, stops, records.

run_redis() {
  local name="$1" pre="$2" round="$3" dir="$4" lib port pid note="" rc
  lib="$(mapped_name "$pre")"
  port="$(free_port)"
  env ${pre:+LD_PRELOAD="$pre"} redis-server --port "$port" --bind 127.0.0.1 \
    --save '' --appendonly no --daemonize no --protected-mode yes --dir "$dir" --logfile "$dir/redis.log" \
    >"$dir/stdout" 2>"$dir/stderr" &
  pid=$!
  STARTED+=("$pid")
  wait_port "$port" "$pid" || { record redis "$name" "$round" fail "" "" "" "redis-server did not start (see $dir)"; stop "$pid"; return 1; }
  is_loaded "$pid" "$lib" || { record redis "$name" "$round" fail "" "" "" "$lib not in /proc/$pid/maps"; stop "$pid"; return 1; }
  local n=$((10000 * SECONDS_PER_LOAD)) ok=1
  timeout 300 redis-benchmark -h 127.0.0.1 -p "$port" -c 8 -n "$n" -d 1024 -r 100000 -t set,get,lpush --csv \
    >"$dir/bench.csv" 2>"$dir/bench.err" || ok=0
  timeout 300 redis-benchmark -h 127.0.0.1 -p "$port" -c 8 -n $((n / 10)) -d 1024 -t lrange_100 --csv \
    >>"$dir/bench.csv" 2>>"$dir/bench.err" || ok=0
  # LPUSH stored 1 KiB values: one must come back whole.
  local first
  first="$(redis-cli -h 127.0.0.1 -p "$port" --raw LINDEX mylist 0 2>/dev/null | tr -d '\n' | wc -c)"
  [ "$first" = 1024 ] || { ok=0; note="LINDEX mylist 0 gave $first bytes, not 1024"; }
  # redis-server calls malloc/free by their plain names and counts what
  # malloc_usable_size reports (used_memory); jemalloc, which it links, counts
  # what it really serves (allocator_allocated). Under another preloaded
  # allocator, jemalloc must be serving next to nothing.
  local info used jem
  info="$(redis-cli -h 127.0.0.1 -p "$port" INFO memory 2>/dev/null | tr -d '\r')"
  used="$(awk -F: '/^used_memory:/ {print $2}' <<<"$info")"
  jem="$(awk -F: '/^allocator_allocated:/ {print $2}' <<<"$info")"
  if [ -n "$pre" ] && [[ "$lib" != libjemalloc* ]] && [ "${jem:-0}" -gt $((${used:-0} / 10)) ]; then
    ok=0
    note="jemalloc still serves $jem of the $used bytes redis uses: the preload did not take its allocations"
  fi
  local hwm rate
  hwm="$(vm_hwm "$pid")"
  stop "$pid"
  rc="$STOP_RC"
  # total requests / total time over the tests (each line: "TEST","rps",...)
  rate="$(awk -F'","' -v n="$n" 'NR > 1 && $1 !~ /^"test/ {
      gsub(/"/, "", $2); k = ($1 ~ /LRANGE/) ? n / 10 : n; req += k; t += k / $2 }
      END { if (t > 0) printf "%.0f", req / t }' "$dir/bench.csv")"
  [ "$(grep -c 'LRANGE_100' "$dir/bench.csv")" -ge 1 ] || { ok=0; note="${note:-redis-benchmark gave no LRANGE_100 result}"; }
  local complaints
  complaints="$(allocator_complaints "$dir/stderr" "$dir/redis.log")"
  if [ "$ok" = 1 ] && [ -n "$rate" ] && [ "$rc" = 0 ] && [ -z "$complaints" ]; then
    record redis "$name" "$round" ok "$rate" req/s "$hwm" "used_memory=$used, jemalloc allocated=$jem"
  else
    record redis "$name" "$round" fail "" "" "" "${note:-load ok=$ok, exit status $rc after SIGTERM${complaints:+, $complaints}} (see $dir)"
    return 1
  fi
}

run_nginx() {
  local name="$1" pre="$2" round="$3" dir="$4" lib port pid rc
  lib="$(mapped_name "$pre")"
  port="$(free_port)"
  mkdir -p "$dir/www" "$dir/tmp"
  # ~20 KiB of text that compresses like a real page
  "$PYTHON" -c '
import sys
words = ["allocator", "shard", "guard", "page", "segment", "heap", "free", "list", "daemon", "nginx"]
sys.stdout.write("".join("%d %s %s\n" % (i, words[i % 10], words[(i * 7) % 10] * (i % 5)) for i in range(1000)))
' >"$dir/www/index.html"
  cat >"$dir/nginx.conf" <<EOF
$([ "$AS_ROOT" = 1 ] && echo "user root;")
worker_processes 2;
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  default_type text/plain;
  gzip on;
  gzip_min_length 0;
  gzip_comp_level 6;
  gzip_types text/plain;
  server {
    listen 127.0.0.1:$port;
    root $dir/www;
  }
}
EOF
  env ${pre:+LD_PRELOAD="$pre"} nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log" \
    >"$dir/stdout" 2>"$dir/stderr" &
  pid=$!
  STARTED+=("$pid")
  wait_port "$port" "$pid" || { record nginx "$name" "$round" fail "" "" "" "nginx did not start (see $dir)"; stop "$pid"; return 1; }
  local workers w ok=1 note=""
  local tries
  for ((tries = 0; tries < 50; tries++)); do  # the master forks its 2 workers after it listens
    workers="$(children_of "$pid")"
    [ "$(wc -w <<<"$workers")" -ge 2 ] && break
    sleep 0.1
  done
  [ -n "$workers" ] || { ok=0; note="nginx has no worker processes"; }
  for w in $pid $workers; do
    is_loaded "$w" "$lib" || { ok=0; note="$lib not in /proc/$w/maps"; }
  done
  # The file must come back gzip-encoded and decompress to the original.
  "$PYTHON" - "$port" "$dir/www/index.html" >"$dir/gzip-check" 2>&1 <<'PY' || { ok=0; note="${note:-gzip check failed: $(tail -n 1 "$dir/gzip-check")}"; }
import gzip, sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/index.html", headers={"Accept-Encoding": "gzip"})
with urllib.request.urlopen(req, timeout=10) as r:
    assert r.headers.get("Content-Encoding") == "gzip", r.headers
    body = gzip.decompress(r.read())
assert body == open(sys.argv[2], "rb").read(), "decompressed body differs from the file"
PY
  timeout $((SECONDS_PER_LOAD + 60)) wrk -t2 -c16 -d"${SECONDS_PER_LOAD}s" -H 'Accept-Encoding: gzip' \
    "http://127.0.0.1:$port/index.html" >"$dir/wrk.out" 2>&1 || { ok=0; note="${note:-wrk failed}"; }
  if grep -qE 'Non-2xx|Socket errors' "$dir/wrk.out"; then
    ok=0
    note="${note:-wrk: $(grep -E 'Non-2xx|Socket errors' "$dir/wrk.out" | head -n 1 | tr -s ' ')}"
  fi
  local hwm=0 rate
  for w in $pid $workers; do hwm=$((hwm + $(vm_hwm "$w"))); done
  stop "$pid"
  rc="$STOP_RC"
  rate="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$dir/wrk.out")"
  local complaints
  complaints="$(allocator_complaints "$dir/stderr" "$dir/error.log")"
  if grep -qE '\[(alert|emerg|crit)\]|exited on signal' "$dir/error.log" 2>/dev/null; then
    ok=0
    note="${note:-error.log: $(grep -E '\[(alert|emerg|crit)\]|exited on signal' "$dir/error.log" | head -n 1)}"
  fi
  if [ "$ok" = 1 ] && [ -n "$rate" ] && [ "$rc" = 0 ] && [ -z "$complaints" ]; then
    record nginx "$name" "$round" ok "$rate" req/s "$hwm" "master+workers"
  else
    record nginx "$name" "$round" fail "" "" "" "${note:-exit status $rc after SIGTERM${complaints:+, $complaints}} (see $dir)"
    return 1
  fi
}

MEMCACHED_LOAD=""
run_memcached() {
  local name="$1" pre="$2" round="$3" dir="$4" lib port pid rc
  lib="$(mapped_name "$pre")"
  port="$(free_port)"
  env ${pre:+LD_PRELOAD="$pre"} memcached -l 127.0.0.1 -p "$port" -U 0 -m 256 -t 2 -c 256 \
    $([ "$AS_ROOT" = 1 ] && echo "-u root") >"$dir/stdout" 2>"$dir/stderr" &
  pid=$!
  STARTED+=("$pid")
  wait_port "$port" "$pid" || { record memcached "$name" "$round" fail "" "" "" "memcached did not start (see $dir)"; stop "$pid"; return 1; }
  is_loaded "$pid" "$lib" || { record memcached "$name" "$round" fail "" "" "" "$lib not in /proc/$pid/maps"; stop "$pid"; return 1; }
  local ok=1
  timeout $((SECONDS_PER_LOAD + 60)) "$MEMCACHED_LOAD" "$port" 4 "$SECONDS_PER_LOAD" 1024 20000 >"$dir/load.out" 2>&1 || ok=0
  local hwm rate complaints
  hwm="$(vm_hwm "$pid")"
  stop "$pid"
  rc="$STOP_RC"
  rate="$(sed -n 's/.*rps=\([0-9]*\).*/\1/p' "$dir/load.out")"
  complaints="$(allocator_complaints "$dir/stderr")"
  if [ "$ok" = 1 ] && [ -n "$rate" ] && [ "$rc" = 0 ] && [ -z "$complaints" ]; then
    record memcached "$name" "$round" ok "$rate" req/s "$hwm" "$(grep -o 'hits=[0-9]* misses=[0-9]*' "$dir/load.out")"
  else
    record memcached "$name" "$round" fail "" "" "" "$(tail -n 1 "$dir/load.out"); exit status $rc after SIGTERM${complaints:+, $complaints} (see $dir)"
    return 1
  fi
}

# GNU time's peak RSS of a command (the largest of its processes).
time_hwm() { sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$1"; }

run_python() {
  local name="$1" pre="$2" round="$3" dir="$4" lib rc=0
  lib="$(mapped_name "$pre")"
  env ${pre:+LD_PRELOAD="$pre"} EXPECT_LIB="$lib" \
    timeout 300 /usr/bin/time -v -o "$dir/time" "$PYTHON" "$HERE/alloc_heavy.py" "$SECONDS_PER_LOAD" \
    >"$dir/stdout" 2>"$dir/stderr" || rc=$?
  local rate complaints
  rate="$(sed -n 's/^rounds_per_s=//p' "$dir/stdout")"
  complaints="$(allocator_complaints "$dir/stderr")"
  if [ "$rc" = 0 ] && [ -n "$rate" ] && [ -z "$complaints" ]; then
    record python "$name" "$round" ok "$rate" rounds/s "$(time_hwm "$dir/time")" ""
  else
    record python "$name" "$round" fail "" "" "" "exit status $rc: $(grep -v '^shardguard: .* loaded, policy' "$dir/stderr" | tail -n 1) (see $dir)"
    return 1
  fi
}

run_gxx() {
  local name="$1" pre="$2" round="$3" dir="$4" lib rc=0 t0 t1
  lib="$(mapped_name "$pre")"
  t0="$(date +%s%N)"
  env ${pre:+LD_PRELOAD="$pre"} EXPECT_LIB="$lib" MARKER_DIR="$dir" \
    timeout 300 /usr/bin/time -v -o "$dir/time" g++ -wrapper "$HERE/gcc_wrapper.sh" -std=c++20 -O1 \
    -c "$HERE/heavy_headers.cpp" -o "$dir/heavy_headers.o" >"$dir/stdout" 2>"$dir/stderr" || rc=$?
  t1="$(date +%s%N)"
  local rate note="" complaints
  rate="$(awk -v ns=$((t1 - t0)) 'BEGIN {printf "%.3f", 1e9 / ns}')"
  if [ -n "$lib" ]; then
    compgen -G "$dir/loaded.*" >/dev/null || note="the compiler passes did not have $lib mapped"
    compgen -G "$dir/missing.*" >/dev/null && note="a compiler pass did not have $lib mapped"
  fi
  [ "$rc" = 0 ] && [ -s "$dir/heavy_headers.o" ] || note="${note:-g++ exit status $rc: $(grep -v '^shardguard: ' "$dir/stderr" | tail -n 1)}"
  complaints="$(allocator_complaints "$dir/stderr")"
  [ -z "$complaints" ] || note="${note:-$complaints}"
  if [ -z "$note" ]; then
    record gxx "$name" "$round" ok "$rate" compiles/s "$(time_hwm "$dir/time")" ""
  else
    record gxx "$name" "$round" fail "" "" "" "$note (see $dir)"
    return 1
  fi
}

# ---------------------------------------------------------------- main
for w in $WORKLOADS; do
  case "$w" in
    redis) need=(redis-server redis-benchmark redis-cli) ;;
    nginx) need=(nginx wrk) ;;
    memcached) need=(memcached cc) ;;
    python) need=("$PYTHON") ;;
    gxx) need=(g++) ;;
    *) echo "daemons.sh: unknown workload '$w'" >&2; exit 2 ;;
  esac
  for t in "${need[@]}" /usr/bin/time; do
    command -v "$t" >/dev/null 2>&1 || { echo "daemons.sh: $t is not installed (workload $w)" >&2; exit 2; }
  done
done
for i in "${!NAMES[@]}"; do
  [ -z "${PRELOADS[$i]}" ] || [ -e "${PRELOADS[$i]}" ] || { echo "daemons.sh: ${PRELOADS[$i]} does not exist" >&2; exit 2; }
done
if [[ " $WORKLOADS " == *" memcached "* ]]; then
  MEMCACHED_LOAD="$OUT/memcached_load"
  cc -O2 -Wall -pthread -o "$MEMCACHED_LOAD" "$HERE/memcached_load.c" || exit 2
fi

echo "daemons: ${ROUNDS} round(s), ${SECONDS_PER_LOAD} s loads, workloads: $WORKLOADS; logs in $OUT"
failures=0
for ((round = 1; round <= ROUNDS; round++)); do
  for w in $WORKLOADS; do
    for i in "${!NAMES[@]}"; do
      dir="$OUT/$w.${NAMES[$i]}.$round"
      rm -rf "$dir"
      mkdir -p "$dir"
      "run_$w" "${NAMES[$i]}" "${PRELOADS[$i]}" "$round" "$dir" || failures=$((failures + 1))
    done
  done
done
"$PYTHON" "$HERE/table.py" "$RESULTS" | tee "$OUT/table.txt"
echo "daemons: $failures failed run(s); results: $RESULTS"
[ "$failures" -eq 0 ]
