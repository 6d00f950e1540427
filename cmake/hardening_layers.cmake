# Build-time selection of the hardening layers.
# Each layer is one option, compiled into a `constexpr bool` in the generated
# header <shardguard/config.h>; code tests it with `if constexpr`, so a layer
# that is off compiles to nothing. A policy (policies/NAME.cmake) is only a
# named set of layers: loaded with `cmake -C` it sets these options; read by
# shardguard_policy_layers() it names the layers of an extra library.

include(${CMAKE_CURRENT_LIST_DIR}/layer_list.cmake)

set(SHARDGUARD_POLICY "fast" CACHE STRING "Name of the policy preset this build was configured from")
foreach(layer IN LISTS SHARDGUARD_LAYERS)
  option(SHARDGUARD_${layer} "Hardening layer ${layer}" OFF)
endforeach()
# Guard pages bound the number of kernel mappings (vm.max_map_count) by
# guarding only every Nth small page; see secure/guard_pages.h.
set(SHARDGUARD_GUARD_EVERY 4 CACHE STRING "With SHARDGUARD_GUARD_PAGES: a guard page after every N small pages (1..64)")
# Fill checks verify this many bytes at the start of each freed block (the
# cost of a free and a malloc stays independent of the block size).
set(SHARDGUARD_FILL_BYTES 64 CACHE STRING "With SHARDGUARD_FILL_CHECK: bytes at the start of a freed block zeroed and verified")

# The quarantine holds up to this many blocks, and this many bytes, per thread.
set(SHARDGUARD_QUARANTINE_BLOCKS 4096 CACHE STRING "With SHARDGUARD_QUARANTINE: freed blocks held per thread (16..65536)")
set(SHARDGUARD_QUARANTINE_BYTES 4194304 CACHE STRING "With SHARDGUARD_QUARANTINE: bytes of freed blocks held per thread")

# The primary library's layers: the options above.
set(SHARDGUARD_PRIMARY_LAYERS "")
foreach(layer IN LISTS SHARDGUARD_LAYERS)
  if(SHARDGUARD_${layer})
    list(APPEND SHARDGUARD_PRIMARY_LAYERS ${layer})
  endif()
endforeach()

# A fast build with no layer switched on by hand also builds the secure
# library, so the overhead comparison is always one build away.
if(SHARDGUARD_POLICY STREQUAL "fast" AND NOT SHARDGUARD_PRIMARY_LAYERS AND NOT SHARDGUARD_SANITIZE)
  set(_sg_default_extra secure)
else()
  set(_sg_default_extra "")
endif()
set(SHARDGUARD_EXTRA_POLICIES "${_sg_default_extra}" CACHE STRING
    "More policies (policies/NAME.cmake) to build as libshardguard-NAME.so beside the primary library")

function(shardguard_suffix policy out)
  if(policy STREQUAL "fast")
    set(${out} "" PARENT_SCOPE)
  else()
    set(${out} "-${policy}" PARENT_SCOPE)
  endif()
endfunction()

# The layers of policies/NAME.cmake, without touching the cache.
function(shardguard_policy_layers policy out)
  set(file ${PROJECT_SOURCE_DIR}/policies/${policy}.cmake)
  if(NOT EXISTS ${file})
    message(FATAL_ERROR "shardguard: unknown policy '${policy}' (no ${file})")
  endif()
  set(SHARDGUARD_POLICY_READ_ONLY ON)
  include(${file})
  set(${out} "${SHARDGUARD_POLICY_LAYERS}" PARENT_SCOPE)
endfunction()

# Writes <dir>/shardguard/config.h for a policy and its layers.
function(shardguard_generate_config policy layers dir)
  set(SHARDGUARD_POLICY ${policy})
  set(SHARDGUARD_LAYER_DEFINITIONS "")
  set(SHARDGUARD_LAYER_MACROS "")
  foreach(layer IN LISTS SHARDGUARD_LAYERS)
    string(TOLOWER ${layer} name)
    if(layer IN_LIST layers)
      set(value true)
    else()
      set(value false)
    endif()
    string(APPEND SHARDGUARD_LAYER_DEFINITIONS "inline constexpr bool ${name} = ${value};\n")
    # The same as a macro, for what `if constexpr` cannot switch (an exported symbol).
    if(value)
      string(APPEND SHARDGUARD_LAYER_MACROS "#define SHARDGUARD_HAS_${layer} 1\n")
    else()
      string(APPEND SHARDGUARD_LAYER_MACROS "#define SHARDGUARD_HAS_${layer} 0\n")
    endif()
  endforeach()
  # The same layers as words, for shardguard_build_info() (src/api/build_info.cpp).
  string(TOLOWER "${layers}" SHARDGUARD_LAYER_NAMES)
  string(REPLACE ";" "," SHARDGUARD_LAYER_NAMES "${SHARDGUARD_LAYER_NAMES}")
  if(NOT SHARDGUARD_LAYER_NAMES)
    set(SHARDGUARD_LAYER_NAMES none)
  endif()
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/secure/config.h.in ${dir}/shardguard/config.h @ONLY)
endfunction()

shardguard_suffix(${SHARDGUARD_POLICY} SHARDGUARD_POLICY_SUFFIX)
set(SHARDGUARD_GENERATED_DIR ${CMAKE_CURRENT_BINARY_DIR}/generated)
shardguard_generate_config(${SHARDGUARD_POLICY} "${SHARDGUARD_PRIMARY_LAYERS}" ${SHARDGUARD_GENERATED_DIR})
