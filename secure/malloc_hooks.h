// Layer malloc_hooks (not a mitigation): cooperation with libFuzzer.
//
// libFuzzer looks for __sanitizer_install_malloc_and_free_hooks at start-up
// and, when it finds it, installs two hooks through which it counts mallocs,
// enforces -malloc_limit_mb (one request larger than the limit is reported
// as an out-of-memory crash with the fuzz input) and traces allocations
// (-trace_malloc). A sanitizer's allocator provides the function; built with
// this layer, shardguard provides it instead, so a fuzz target linked with
// shardguard keeps those libFuzzer features without a sanitizer.
//
// The hooks run after a block is handed out and after a free passed its
// checks, with the heap consistent: a hook may allocate.
#pragma once
#include <atomic>
#include <cstddef>

#include <shardguard/config.h>

namespace shardguard::secure {

using MallocHook = void (*)(const volatile void* p, size_t size);
using FreeHook = void (*)(const volatile void* p);

extern std::atomic<MallocHook> malloc_hook;
extern std::atomic<FreeHook> free_hook;

inline void hook_malloc(const void* p, size_t size) {
  if constexpr (config::malloc_hooks) {
    if (MallocHook hook = malloc_hook.load(std::memory_order_relaxed)) [[unlikely]] hook(p, size);
  }
}

inline void hook_free(const void* p) {
  if constexpr (config::malloc_hooks) {
    if (FreeHook hook = free_hook.load(std::memory_order_relaxed)) [[unlikely]] hook(p);
  }
}

}  // namespace shardguard::secure
