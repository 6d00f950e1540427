# Build-time selection of the hardening layers.
# Each layer is one option, compiled into a `constexpr bool` in the generated
# header <shardguard/config.h>; code tests it with `if constexpr`, so a layer
# that is off compiles to nothing. A policy (policies/NAME.cmake, loaded with
# `cmake -C`) is only a named set of these options.

set(SHARDGUARD_POLICY "fast" CACHE STRING "Name of the policy preset this build was configured from")

set(SHARDGUARD_LAYERS
  GUARD_PAGES        # PROT_NONE pages around pages, spans and metadata
  RANDOMIZE          # random free-list order and page choice
  ENCRYPT_FREELIST   # free-list links stored encoded with per-page keys
  DOUBLE_FREE        # deterministic double-free detection
  INVALID_FREE       # interior/foreign/misaligned free detection
  CANARIES           # canary after each block, checked at free
  FILL_CHECK         # freed memory filled and checked at reuse
)
foreach(layer IN LISTS SHARDGUARD_LAYERS)
  option(SHARDGUARD_${layer} "Hardening layer ${layer}" OFF)
endforeach()

if(SHARDGUARD_POLICY STREQUAL "fast")
  set(SHARDGUARD_POLICY_SUFFIX "")
else()
  set(SHARDGUARD_POLICY_SUFFIX "-${SHARDGUARD_POLICY}")
endif()

set(SHARDGUARD_LAYER_DEFINITIONS "")
foreach(layer IN LISTS SHARDGUARD_LAYERS)
  string(TOLOWER ${layer} name)
  if(SHARDGUARD_${layer})
    set(value true)
  else()
    set(value false)
  endif()
  string(APPEND SHARDGUARD_LAYER_DEFINITIONS "inline constexpr bool ${name} = ${value};\n")
endforeach()

set(SHARDGUARD_GENERATED_DIR ${CMAKE_CURRENT_BINARY_DIR}/generated)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/secure/config.h.in
  ${SHARDGUARD_GENERATED_DIR}/shardguard/config.h @ONLY)
