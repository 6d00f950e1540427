# Policy "fast": the plain sharded-page core, no hardening layer
# (libshardguard.so). Use: cmake -C policies/fast.cmake -B build/fast
set(SHARDGUARD_POLICY_NAME fast)
set(SHARDGUARD_POLICY_LAYERS "")
include(${CMAKE_CURRENT_LIST_DIR}/apply.cmake)
