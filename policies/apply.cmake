# Included by each policy file. Loaded with `cmake -C policies/NAME.cmake`,
# it turns the policy's layers into the SHARDGUARD_* cache options (every
# other layer off); read by the build (shardguard_policy_layers), it does
# nothing and the caller takes SHARDGUARD_POLICY_LAYERS.
if(NOT SHARDGUARD_POLICY_READ_ONLY)
  include(${CMAKE_CURRENT_LIST_DIR}/../cmake/layer_list.cmake)
  set(SHARDGUARD_POLICY "${SHARDGUARD_POLICY_NAME}" CACHE STRING "" FORCE)
  foreach(layer IN LISTS SHARDGUARD_LAYERS)
    list(FIND SHARDGUARD_POLICY_LAYERS ${layer} index)  # (no IN_LIST: `cmake -C` runs without policies)
    if(index GREATER -1)
      set(SHARDGUARD_${layer} ON CACHE BOOL "" FORCE)
    else()
      set(SHARDGUARD_${layer} OFF CACHE BOOL "" FORCE)
    endif()
  endforeach()
endif()
