# Policy "fuzz": for linking into a fuzz target (libFuzzer, AFL++) or
# preloading under a fuzzing campaign (libshardguard-fuzz.so). Every misuse
# the layers can see aborts with its one-line message; freed blocks wait in
# a quarantine, zero-filled, so a use after free reads zeroes and a write
# after free is reported when the block leaves; libFuzzer's malloc hooks
# work (-malloc_limit_mb, -trace_malloc). No randomization: a crash replays
# the same way from its input.
#   cmake -C policies/fuzz.cmake -B build/fuzz
set(SHARDGUARD_POLICY_NAME fuzz)
set(SHARDGUARD_POLICY_LAYERS GUARD_PAGES ENCRYPT_FREELIST DOUBLE_FREE INVALID_FREE CANARIES FILL_CHECK QUARANTINE MALLOC_HOOKS)
include(${CMAKE_CURRENT_LIST_DIR}/apply.cmake)
