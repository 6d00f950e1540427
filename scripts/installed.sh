# shellcheck shell=bash
# info, doctor, and the library lookup of `run` in an installed tree: sourced
# by scripts/shardguard (installed as PREFIX/bin/shardguard, with this file
# as PREFIX/libexec/shardguard/installed.sh beside shardguard-probe). Uses
# the script's REPO_ROOT, BUILD_ROOT, SG_INSTALLED, die, warn.

# sg_locate — sets SG_LIBDIR (the shared libraries) and SG_PROBE (the helper
# that asks a library for shardguard_build_info()): next to the script when
# installed (PREFIX/lib/<multiarch> or PREFIX/lib, PREFIX/libexec/shardguard),
# build/fast in a source tree.
SG_LIBDIR=""
SG_PROBE=""
sg_locate() {
  local d
  if [ "$SG_INSTALLED" = 1 ]; then
    for d in "$REPO_ROOT"/lib/*-linux-gnu* "$REPO_ROOT"/lib64 "$REPO_ROOT"/lib; do
      if [ -n "$(sg_soname_links "$d")" ]; then SG_LIBDIR="$d"; break; fi
    done
    SG_PROBE="$REPO_ROOT/libexec/shardguard/shardguard-probe"
    [ -n "$SG_LIBDIR" ] || die "no libshardguard*.so.N under $REPO_ROOT/lib: is the libshardguard package installed?"
  else
    SG_LIBDIR="$BUILD_ROOT/fast"
    SG_PROBE="$BUILD_ROOT/fast/shardguard-probe"
    [ -n "$(sg_soname_links "$SG_LIBDIR")" ] || die "no library in $SG_LIBDIR yet: build it first (scripts/shardguard test, or run)"
  fi
  [ -x "$SG_PROBE" ] || die "$SG_PROBE is missing (it comes with the libraries)"
}

# sg_soname_links DIR — the libraries of DIR by their SONAME, one a line,
# fast (libshardguard.so.0) first, then the others by name.
sg_soname_links() {
  local f
  for f in "$1"/libshardguard.so.* "$1"/libshardguard-*.so.*; do
    [[ "$(basename "$f")" =~ ^libshardguard(-[A-Za-z0-9_.-]+)?\.so\.[0-9]+$ ]] && echo "$f"
  done
  return 0
}

# The policy a library file is named after: libshardguard.so.0 -> fast.
sg_policy_of() {
  local n
  n="$(basename "$1")"
  n="${n%.so.*}"
  if [ "$n" = libshardguard ]; then echo fast; else echo "${n#libshardguard-}"; fi
}

# sg_lib POLICY — the installed (or built) library of POLICY, by its SONAME.
sg_lib() {
  local f
  for f in $(sg_soname_links "$SG_LIBDIR"); do
    if [ "$(sg_policy_of "$f")" = "$1" ]; then echo "$f"; return 0; fi
  done
  return 1
}

# sg_field INFO KEY — the value of KEY=... in a build-info line.
sg_field() {
  local w
  for w in $1; do
    if [ "${w%%=*}" = "$2" ]; then echo "${w#*=}"; return 0; fi
  done
  echo "?"
}

cmd_info() {
  [ $# -eq 0 ] || die "info takes no arguments"
  sg_locate
  local lines path info versions=() v libs
  mapfile -t libs < <(sg_soname_links "$SG_LIBDIR")
  lines="$("$SG_PROBE" "${libs[@]}")" || die "a library did not answer (see above)"
  while IFS=$'\t' read -r path info; do
    v="$(awk '{print $2}' <<<"$info")"
    [[ " ${versions[*]} " == *" $v "* ]] || versions+=("$v")
  done <<<"$lines"
  echo "shardguard ${versions[*]}"
  [ ${#versions[@]} -eq 1 ] || warn "the libraries are of different versions: ${versions[*]}"
  if [ "$SG_INSTALLED" = 1 ]; then
    echo "installed in $REPO_ROOT, libraries in $SG_LIBDIR"
  else
    echo "source tree $REPO_ROOT, libraries of $SG_LIBDIR"
  fi
  echo "policies: $(while IFS=$'\t' read -r path info; do sg_field "$info" policy; done <<<"$lines" | paste -sd ' ' -)"
  echo
  while IFS=$'\t' read -r path info; do
    printf '%-9s %s\n' "$(sg_field "$info" policy)" "$path"
    printf '          layers: %s\n' "$(sg_field "$info" layers | sed 's/,/, /g')"
    local params=""
    [[ ",$(sg_field "$info" layers)," != *,guard_pages,* ]] ||
      params+="a guard page after every $(sg_field "$info" guard_every) small pages, "
    [[ ",$(sg_field "$info" layers)," != *,fill_check,* ]] ||
      params+="fill check over $(sg_field "$info" fill_bytes) bytes, "
    [[ ",$(sg_field "$info" layers)," != *,quarantine,* ]] ||
      params+="quarantine of $(sg_field "$info" quarantine_blocks) blocks or $(($(sg_field "$info" quarantine_bytes) / 1048576)) MiB per thread, "
    printf '          %s%s build\n' "$params" "$(sg_field "$info" build)"
  done <<<"$lines"
  echo
  echo "(read from each library's shardguard_build_info(); preload one with: shardguard run --policy NAME -- COMMAND)"
}

# doctor: one line a check, "ok" or "warn", and why.
D_WARNINGS=0
d_ok() { printf 'ok    %-18s %s\n' "$1" "$2"; }
d_warn() {
  printf 'warn  %-18s %s\n' "$1" "$2"
  D_WARNINGS=$((D_WARNINGS + 1))
}

# The directories glibc's loader trusts for set-uid programs (its built-in
# search path; /usr/local/lib is not one of them).
d_trusted_dir() {
  local d multiarch
  d="$(readlink -f "$1")"
  multiarch="$(basename "$(readlink -f /lib/*-linux-gnu* 2>/dev/null | head -n 1)" 2>/dev/null || true)"
  case "$d" in
    /lib | /usr/lib | /lib64 | /usr/lib64) return 0 ;;
    /lib/"$multiarch" | /usr/lib/"$multiarch") [ -n "$multiarch" ] ;;
    *) return 1 ;;
  esac
}

# Mappings a small segment costs with guard pages: secure/guard_pages.h
# (2 * (64 / guard_every + 2) + 1: a guard after the header, after every
# guard_every-th of the 64 small pages and after the last, each guard
# splitting a mapping in two).
d_mappings_per_segment() { echo $((2 * (64 / $1 + 2) + 1)); }

cmd_doctor() {
  [ $# -eq 0 ] || die "doctor takes no arguments"
  sg_locate
  local lines path info policy lib out libs
  mapfile -t libs < <(sg_soname_links "$SG_LIBDIR")

  # 1. the libraries answer, and preloading them replaces malloc
  lines="$("$SG_PROBE" "${libs[@]}" 2>&1)" || true
  while IFS=$'\t' read -r path info; do
    if [ -z "$info" ]; then
      d_warn library "$path"
      continue
    fi
    policy="$(sg_field "$info" policy)"
    if out="$(LD_PRELOAD="$path" "$SG_PROBE" --preloaded 2>&1)"; then
      d_ok "preload $policy" "LD_PRELOAD=$(basename "$path") serves malloc ($(sg_field "$info" layers))"
    else
      d_warn "preload $policy" "LD_PRELOAD=$path does not serve malloc: $out"
    fi
  done <<<"$lines"

  # 2. who may replace the libraries: a writable library is a way into every
  # process that preloads it
  for lib in "${libs[@]}"; do
    local real
    real="$(readlink -f "$lib")"
    if [ -n "$(find "$real" "$(dirname "$real")" -maxdepth 0 -perm /022 2>/dev/null)" ]; then
      d_warn permissions "$real or its directory is writable by group or others: anyone there controls the allocator of every process that loads it"
    elif [ "$(stat -c %u "$real")" != 0 ]; then
      d_warn permissions "$(basename "$real") is owned by $(stat -c %U "$real"), not root: fine for a test tree, not for a server"
    else
      d_ok permissions "$(basename "$real") is root's and not writable by others"
    fi
  done

  # 3. set-uid programs: the loader ignores LD_PRELOAD paths for them (AT_SECURE)
  if d_trusted_dir "$SG_LIBDIR"; then
    d_ok set-uid "$SG_LIBDIR is a standard directory: /etc/ld.so.preload can cover set-uid programs (they ignore LD_PRELOAD=/path; a bare name is loaded only if the file is set-uid)"
  else
    d_warn set-uid "$SG_LIBDIR is not a standard directory: set-uid programs ignore LD_PRELOAD for it; only /etc/ld.so.preload with a full path would reach them"
  fi

  # 4. /etc/ld.so.preload: a missing entry is an error message in every program
  if [ ! -e /etc/ld.so.preload ]; then
    d_ok ld.so.preload "/etc/ld.so.preload does not exist: nothing is preloaded system-wide"
  else
    local entry found=0 bad=0
    # shellcheck disable=SC2013  # the loader splits entries at any white space too
    for entry in $(sed 's/#.*//' /etc/ld.so.preload); do
      if [ ! -r "$entry" ]; then
        d_warn ld.so.preload "$entry is listed but not readable: every program start prints an error"
        bad=1
      fi
      [[ "$(basename "$entry")" == libshardguard* ]] && found=1
    done
    if [ "$bad" = 0 ]; then
      if [ "$found" = 1 ]; then
        d_ok ld.so.preload "every entry exists; shardguard is preloaded into every program (see docs/operations.md for the risks)"
      else
        d_ok ld.so.preload "every entry exists; shardguard is not among them"
      fi
    fi
  fi

  # 5. vm.max_map_count against the guard pages
  local maxmap mem_kib ge per_seg gib need
  maxmap="$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 0)"
  mem_kib="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)"
  while IFS=$'\t' read -r path info; do
    [ -n "$info" ] || continue
    policy="$(sg_field "$info" policy)"
    [[ ",$(sg_field "$info" layers)," == *,guard_pages,* ]] || continue
    ge="$(sg_field "$info" guard_every)"
    per_seg="$(d_mappings_per_segment "$ge")"
    # GiB of small blocks one process can hold before mmap fails with ENOMEM
    # (each 4 MiB segment costs per_seg mappings; other mappings ignored).
    gib=$((maxmap * 4 / per_seg / 1024))
    need=$(((mem_kib / 4096 + 1) * per_seg + 65536))
    if [ $((gib * 1024 * 1024)) -ge "$mem_kib" ]; then
      d_ok "max_map_count" "$policy: vm.max_map_count=$maxmap allows ~$gib GiB of small blocks per process ($per_seg mappings per 4 MiB segment, guard_every=$ge) >= RAM"
    else
      d_warn "max_map_count" "$policy: vm.max_map_count=$maxmap allows ~$gib GiB of small blocks per process with guard pages ($per_seg mappings per 4 MiB segment, guard_every=$ge), less than RAM ($((mem_kib / 1024 / 1024)) GiB); beyond, new segments go without guards (with a warning); for a process that may use all RAM: sysctl vm.max_map_count=$need"
    fi
  done <<<"$lines"

  # 6. overcommit: shardguard reserves segments with MAP_NORESERVE, which
  # strict accounting ignores
  case "$(cat /proc/sys/vm/overcommit_memory 2>/dev/null || echo ?)" in
    0) d_ok overcommit "vm.overcommit_memory=0 (heuristic): reserved but untouched segment memory is not charged" ;;
    1) d_ok overcommit "vm.overcommit_memory=1 (always): reserved memory is never refused" ;;
    2) d_warn overcommit "vm.overcommit_memory=2 (strict): every mapped segment counts against CommitLimit in full, untouched parts too; large heaps and mi_reserve_os_memory fail early" ;;
    *) d_warn overcommit "cannot read /proc/sys/vm/overcommit_memory" ;;
  esac

  # 7. transparent huge pages
  local thp
  thp="$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)"
  case "$thp" in
    madvise | never) d_ok hugepages "transparent_hugepage=$thp: the kernel backs segments with 4 KiB pages unless asked" ;;
    always) d_warn hugepages "transparent_hugepage=always: a segment may be backed by 2 MiB pages, so RSS can exceed what shardguard counts and purged pages come back whole" ;;
    *) d_ok hugepages "no transparent huge pages on this kernel" ;;
  esac

  # 8. ASLR: the randomize layer places segments at random, the others rely on the kernel
  case "$(cat /proc/sys/kernel/randomize_va_space 2>/dev/null || echo ?)" in
    2) d_ok aslr "kernel.randomize_va_space=2: mmap addresses are randomized" ;;
    1) d_ok aslr "kernel.randomize_va_space=1: mmap (where shardguard's memory comes from) is randomized, brk is not" ;;
    *) d_warn aslr "kernel.randomize_va_space=$(cat /proc/sys/kernel/randomize_va_space 2>/dev/null || echo ?): addresses are predictable; only policies with the randomize layer still place segments at random" ;;
  esac

  # 9. the page size the libraries were built for
  local ps
  ps="$(getconf PAGESIZE 2>/dev/null || echo ?)"
  if [ "$ps" = 4096 ]; then
    d_ok "page size" "4096 bytes, as the libraries expect"
  else
    d_warn "page size" "$ps bytes: the libraries are built for 4096 and stop at start-up"
  fi

  echo
  if [ "$D_WARNINGS" -eq 0 ]; then
    echo "doctor: every check ok"
  else
    echo "doctor: $D_WARNINGS warning(s)"
  fi
}
