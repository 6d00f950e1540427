#!/bin/sh
# g++ -wrapper: runs before each compiler pass (cc1plus, as). Proves the
# preloaded allocator reaches the compiler's processes: this shell, started by
# g++ with the same environment, must have EXPECT_LIB mapped. Leaves a marker
# file per pass in MARKER_DIR, then runs the pass.
if [ -n "$EXPECT_LIB" ]; then
  if grep -q "$EXPECT_LIB" /proc/$$/maps; then
    : >"$MARKER_DIR/loaded.$$"
  else
    : >"$MARKER_DIR/missing.$$"
  fi
fi
exec "$@"
