# Policy "fast": the plain sharded-page core, no hardening layer.
# Use: cmake -C policies/fast.cmake -B build/fast
set(SHARDGUARD_POLICY "fast" CACHE STRING "" FORCE)
foreach(layer GUARD_PAGES RANDOMIZE ENCRYPT_FREELIST DOUBLE_FREE INVALID_FREE CANARIES FILL_CHECK)
  set(SHARDGUARD_${layer} OFF CACHE BOOL "" FORCE)
endforeach()
