# Policy "balanced": the layers that stop the common heap attacks for the
# least time (libshardguard-balanced.so): encrypted free lists, double- and
# invalid-free detection, guard pages. Measured costs: SECURITY.md.
set(SHARDGUARD_POLICY_NAME balanced)
set(SHARDGUARD_POLICY_LAYERS GUARD_PAGES ENCRYPT_FREELIST DOUBLE_FREE INVALID_FREE)
include(${CMAKE_CURRENT_LIST_DIR}/apply.cmake)
