#!/usr/bin/env bash
# Builds the Debian packages of a build tree with cpack, unpacks them into a
# scratch root (dpkg -x: the system is not touched) and checks what an
# operator gets:
#   - the package contents: every policy's library under its SONAME in
#     libshardguard, the development files in libshardguard-dev;
#   - programs built against the unpacked tree through find_package (shared
#     and static: the consumers of check_install.sh and
#     docs/examples/static) and through pkg-config;
#   - the installed `shardguard` command: info, doctor, and run --policy
#     secure -- python3 (the unpacked library is mapped, not the build's);
#   - the systemd drop-in of docs/examples: systemd-analyze verify when it
#     is there, then its Environment= lines applied to a command;
#   - /etc/ld.so.preload, in a private mount namespace (unshare + overlay
#     on /etc) when this runs as root with that allowed; skipped otherwise.
# The build tree must be configured with -DCMAKE_INSTALL_PREFIX=/usr.
# usage: check_deb.sh BUILD_DIR SCRATCH_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
scratch=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
rm -rf "$scratch"
mkdir -p "$scratch/debs" "$scratch/root"
scratch=$(cd "$scratch" && pwd)
root=$scratch/root
fail() {
  echo "check_deb: $*" >&2
  exit 1
}

# ---- the packages ----
(cd "$build" && cpack -G DEB -B "$scratch/debs" >"$scratch/cpack.log" 2>&1) ||
  { tail -n 30 "$scratch/cpack.log" >&2; fail "cpack failed (log: $scratch/cpack.log)"; }
runtime_deb=$(ls "$scratch"/debs/libshardguard_*.deb)
dev_deb=$(ls "$scratch"/debs/libshardguard-dev_*.deb)
echo "---- packages ----"
stat -c "%s bytes  %n" "$runtime_deb" "$dev_deb"
for deb in "$runtime_deb" "$dev_deb"; do
  echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version): Depends: $(dpkg-deb -f "$deb" Depends)"
  dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print "    " $6 ($7 ? " " $7 " " $8 : "")}'
  dpkg -x "$deb" "$root"
done

libdir=$(dirname "$(find "$root/usr/lib" -name 'libshardguard.so.[0-9]*' | head -n 1)")
[ -d "$libdir" ] || fail "no libshardguard.so.N in the runtime package"
# Every policy library the build made is shipped under its SONAME, in the
# runtime package; the unversioned links are development files.
runtime_files=$(dpkg-deb -c "$runtime_deb")
for lib in "$build"/libshardguard*.so; do
  name=$(basename "$lib")
  soname=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
  [[ "$soname" =~ ^${name//./\\.}\.[0-9]+$ ]] || fail "$name has SONAME '$soname', not $name.N"
  grep -q "/$soname -> " <<<"$runtime_files" || fail "$soname is not in $(basename "$runtime_deb")"
  grep -q "/$name -> " <<<"$(dpkg-deb -c "$dev_deb")" || fail "$name (link) is not in $(basename "$dev_deb")"
done
! grep -qE '\.(h|a|pc|cmake)$' <<<"$runtime_files" || fail "development files in the runtime package"

# ---- find_package and pkg-config against the unpacked tree ----
echo "---- consumers built against $root/usr ----"
cmake -S "$here" -B "$scratch/consumer" -DCMAKE_PREFIX_PATH="$root/usr" -DCMAKE_BUILD_TYPE=Release >"$scratch/consumer.log" 2>&1 ||
  { cat "$scratch/consumer.log" >&2; fail "configuring the consumers failed"; }
cmake --build "$scratch/consumer" -j 2 >>"$scratch/consumer.log" 2>&1 ||
  { cat "$scratch/consumer.log" >&2; fail "building the consumers failed"; }
for prog in consumer_shared compat_c compat_override compat_cxx; do
  LD_LIBRARY_PATH=$libdir "$scratch/consumer/$prog"
done
"$scratch/consumer/consumer_static"
cmake -S "$repo/docs/examples/static" -B "$scratch/static" -DCMAKE_PREFIX_PATH="$root/usr" >"$scratch/static.log" 2>&1 &&
  cmake --build "$scratch/static" >>"$scratch/static.log" 2>&1 ||
  { cat "$scratch/static.log" >&2; fail "building docs/examples/static failed"; }
"$scratch/static/app"
if ldd "$scratch/static/app" | grep -q libshardguard; then fail "the static example depends on libshardguard.so"; fi
export PKG_CONFIG_PATH=$libdir/pkgconfig
# shellcheck disable=SC2046  # pkg-config prints several flags
cc "$here/consumer.c" -o "$scratch/consumer_pkgconfig" $(pkg-config --cflags --libs shardguard)
LD_LIBRARY_PATH=$libdir "$scratch/consumer_pkgconfig"
echo "pkg-config: $(pkg-config --modversion shardguard), $(pkg-config --libs shardguard)"

# ---- the installed command ----
sg=$root/usr/bin/shardguard
echo "---- $sg info ----"
"$sg" info | tee "$scratch/info.txt"
for policy in $(cd "$build" && ls libshardguard*.so | sed -e 's/^libshardguard\.so$/fast/' -e 's/^libshardguard-\(.*\)\.so$/\1/'); do
  grep -q "^$policy .*$libdir/" "$scratch/info.txt" || fail "info does not list policy $policy from $libdir"
done
grep -A1 '^secure ' "$scratch/info.txt" | grep -q 'layers: guard_pages, randomize, encrypt_freelist, double_free, invalid_free, canaries, fill_check' ||
  fail "info does not give the secure policy's seven layers"
echo "---- $sg doctor ----"
"$sg" doctor | tee "$scratch/doctor.txt"
grep -q '^ok    preload secure ' "$scratch/doctor.txt" || fail "doctor: the secure library does not serve malloc when preloaded"
echo "---- $sg run --policy secure -- python3 ----"
"$sg" run --policy secure -- python3 -c '
import sys
maps = open("/proc/self/maps").read()
lib = sys.argv[1] + "/libshardguard-secure.so.0"
import os
mapped = [l.split()[-1] for l in maps.splitlines() if "libshardguard" in l]
real = os.path.realpath(lib)
sys.exit(0 if real in mapped else "not mapped: " + real + " in " + repr(mapped))' "$libdir"
echo "run --policy secure -- python3: $libdir/libshardguard-secure.so.0 mapped"
if "$sg" test >/dev/null 2>&1; then fail "the installed command accepts 'test'"; fi

# ---- systemd: the drop-in ----
echo "---- systemd drop-in (docs/examples/shardguard-preload.conf) ----"
dropin=$root/usr/share/doc/shardguard/examples/shardguard-preload.conf
[ -f "$dropin" ] || fail "the drop-in example is not installed"
units=$scratch/systemd
mkdir -p "$units/sg-example.service.d"
cat >"$units/sg-example.service" <<'EOF'
[Unit]
Description=shardguard drop-in example
[Service]
ExecStart=/usr/bin/python3 -c "print(1)"
EOF
cp "$dropin" "$units/sg-example.service.d/shardguard.conf"
if command -v systemd-analyze >/dev/null; then
  # verify exits 0 on unknown keys and malformed lines of a drop-in, but
  # names the file: any line about it is a failure.
  if SYSTEMD_UNIT_PATH="$units:" systemd-analyze verify "$units/sg-example.service" >"$scratch/verify.log" 2>&1 &&
    ! grep -q 'shardguard\.conf' "$scratch/verify.log"; then
    echo "systemd-analyze verify: unit with the drop-in accepted, no remark on the drop-in"
  else
    cat "$scratch/verify.log" >&2
    fail "systemd-analyze verify rejected the unit with the drop-in"
  fi
else
  echo "systemd-analyze not available: drop-in syntax not verified"
fi
# What systemd would start: the service's command with the drop-in's
# Environment= applied (its /usr paths moved into the scratch root).
envs=()
while IFS= read -r line; do
  envs+=("${line#Environment=}")
done < <(sed -n "s|^Environment=\(.*\)|Environment=\1|p" "$dropin" | sed "s|=/usr/|=$root/usr/|")
[ ${#envs[@]} -gt 0 ] || fail "no Environment= in the drop-in"
env "${envs[@]}" python3 -c 'import sys; sys.exit(0 if "libshardguard-secure.so.0" in open("/proc/self/maps").read() else 1)' \
  2>"$scratch/dropin.err" || fail "the drop-in's environment does not preload the secure library"
grep -q '^shardguard: libshardguard .* loaded, policy secure' "$scratch/dropin.err" ||
  fail "no verbose start-up line under the drop-in's environment"
echo "drop-in environment (${envs[*]}): python3 runs with the secure library, start-up line: $(head -n 1 "$scratch/dropin.err")"

# ---- /etc/ld.so.preload, in a private mount namespace ----
echo "---- /etc/ld.so.preload ----"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null &&
  unshare --mount --propagation private true 2>/dev/null; then
  mkdir -p "$scratch/etc-upper" "$scratch/etc-work"
  # shellcheck disable=SC2016  # expanded by the inner shell
  if unshare --mount --propagation private sh -c '
      mount -t overlay overlay -o lowerdir=/etc,upperdir="$1",workdir="$2" /etc || exit 3
      echo "$3" >/etc/ld.so.preload
      exec python3 -c "import sys; sys.exit(0 if \"libshardguard-secure.so.0\" in open(\"/proc/self/maps\").read() else 1)"
    ' sh "$scratch/etc-upper" "$scratch/etc-work" "$libdir/libshardguard-secure.so.0"; then
    echo "/etc/ld.so.preload (private overlay of /etc): python3 runs with the secure library"
  else
    rc=$?
    if [ "$rc" = 3 ]; then
      echo "/etc/ld.so.preload: SKIPPED (no overlay mount on /etc here)"
    else
      fail "a library in /etc/ld.so.preload was not loaded (exit $rc)"
    fi
  fi
else
  echo "/etc/ld.so.preload: SKIPPED (needs root and unshare --mount)"
fi
echo "deb check: packages, find_package, pkg-config, static, info, doctor, run, drop-in, ld.so.preload ok"
