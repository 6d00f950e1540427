#!/usr/bin/env bash
# Installs a build tree with `cmake --install` into a scratch prefix, then
# builds and runs a program against it three ways: find_package with the
# shared library, find_package with the static library, and pkg-config;
# and the mimalloc API compatibility programs (compat.c, compat.cpp,
# compat_override.c) both ways.
# usage: check_install.sh BUILD_DIR SCRATCH_DIR
set -euo pipefail
build=$1
scratch=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rm -rf "$scratch"
prefix=$scratch/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libshardguard*.so' | head -n 1)")

cmake -S "$here" -B "$scratch/consumer" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$scratch/consumer" >/dev/null
LD_LIBRARY_PATH=$libdir "$scratch/consumer/consumer_shared"
"$scratch/consumer/consumer_static"
if ldd "$scratch/consumer/consumer_static" | grep -q libshardguard; then
  echo "consumer_static should not depend on libshardguard.so" >&2
  exit 1
fi

# The mimalloc API as its documentation uses it: C, C++, the override header.
for prog in compat_c compat_override compat_cxx; do
  LD_LIBRARY_PATH=$libdir "$scratch/consumer/$prog"
done
"$scratch/consumer/compat_cxx_static"

PKG_CONFIG_PATH=$libdir/pkgconfig
export PKG_CONFIG_PATH
cc "$here/consumer.c" -o "$scratch/consumer_pkgconfig" $(pkg-config --cflags --libs shardguard)
LD_LIBRARY_PATH=$libdir "$scratch/consumer_pkgconfig"
cc "$here/compat.c" -o "$scratch/compat_c_pkgconfig" $(pkg-config --cflags --libs shardguard)
LD_LIBRARY_PATH=$libdir "$scratch/compat_c_pkgconfig"
c++ -std=c++17 "$here/compat.cpp" -o "$scratch/compat_cxx_pkgconfig" $(pkg-config --cflags --libs shardguard)
LD_LIBRARY_PATH=$libdir "$scratch/compat_cxx_pkgconfig"
echo "install check: find_package (shared, static), pkg-config and the mimalloc API compatibility programs all ok"
