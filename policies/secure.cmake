# Policy "secure": every hardening layer (libshardguard-secure.so), for
# internet-facing daemons and fuzzing campaigns. Use:
#   cmake -C policies/secure.cmake -B build/secure
set(SHARDGUARD_POLICY_NAME secure)
set(SHARDGUARD_POLICY_LAYERS GUARD_PAGES RANDOMIZE ENCRYPT_FREELIST DOUBLE_FREE INVALID_FREE CANARIES FILL_CHECK)
include(${CMAKE_CURRENT_LIST_DIR}/apply.cmake)
