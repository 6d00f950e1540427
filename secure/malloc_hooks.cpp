#include "secure/malloc_hooks.h"

namespace shardguard::secure {

constinit std::atomic<MallocHook> malloc_hook{nullptr};
constinit std::atomic<FreeHook> free_hook{nullptr};

}  // namespace shardguard::secure

// A sanitizer's runtime defines this function itself (and owns malloc):
// under one, shardguard leaves it alone.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SHARDGUARD_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SHARDGUARD_UNDER_SANITIZER 1
#endif
#endif

#if SHARDGUARD_HAS_MALLOC_HOOKS && !defined(SHARDGUARD_UNDER_SANITIZER)
// The sanitizer interface: installs the hooks (either may be null); returns
// non-zero on success. libFuzzer installs them once, before any input runs.
// Weak: clang's -fsanitize=fuzzer also links its UBSan runtime, which defines
// an inert copy; linked statically together, that copy wins instead of the
// link failing (the README says how to link so that this one is used).
extern "C" __attribute__((visibility("default"), weak)) int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_fn)(const volatile void*, size_t), void (*free_fn)(const volatile void*)) {
  shardguard::secure::malloc_hook.store(malloc_fn, std::memory_order_relaxed);
  shardguard::secure::free_hook.store(free_fn, std::memory_order_relaxed);
  return 1;
}
#endif
