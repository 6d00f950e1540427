// C++ operator new/delete, all forms. The one place that throws
// std::bad_alloc: a failed throwing `new` calls the new-handler in a loop, as
// the standard asks, and throws when there is none.
#include <cerrno>
#include <new>

#include "api/cxx_runtime.h"
#include "core/aligned.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/free.h"

using namespace shardguard;

#define SG_EXPORT __attribute__((visibility("default")))

namespace {

// Returns the block, or nullptr once no new-handler is installed.
void* retry_with_handler(size_t size, size_t alignment, bool nothrow) {
  if (!cxx_runtime_loaded()) {
    if (nothrow) return nullptr;
    fatal("operator new(%zu) failed: out of memory, and no C++ runtime is loaded to throw std::bad_alloc", size);
  }
  for (;;) {
    std::new_handler handler = std::get_new_handler();
    if (!handler) {
      if (nothrow) return nullptr;
      throw std::bad_alloc();
    }
    if (nothrow) {
      try {
        handler();
      } catch (...) {
        return nullptr;
      }
    } else {
      handler();
    }
    void* p = alignment ? heap_malloc_aligned_at(tls_default_heap, size, alignment, 0, false) : default_malloc(size);
    if (p) return p;
  }
}

inline void* new_impl(size_t size) {
  void* p = default_malloc(size);
  if (p) [[likely]] return p;
  return retry_with_handler(size, 0, false);
}

inline void* new_nothrow(size_t size) noexcept {
  void* p = default_malloc(size);
  if (p) [[likely]] return p;
  return retry_with_handler(size, 0, true);
}

inline void* new_aligned(size_t size, std::align_val_t al) {
  void* p = heap_malloc_aligned_at(tls_default_heap, size, static_cast<size_t>(al), 0, false);
  if (p) [[likely]] return p;
  return retry_with_handler(size, static_cast<size_t>(al), false);
}

inline void* new_aligned_nothrow(size_t size, std::align_val_t al) noexcept {
  void* p = heap_malloc_aligned_at(tls_default_heap, size, static_cast<size_t>(al), 0, false);
  if (p) [[likely]] return p;
  return retry_with_handler(size, static_cast<size_t>(al), true);
}

}  // namespace

SG_EXPORT void* operator new(size_t size) { return new_impl(size); }
SG_EXPORT void* operator new[](size_t size) { return new_impl(size); }
SG_EXPORT void* operator new(size_t size, const std::nothrow_t&) noexcept { return new_nothrow(size); }
SG_EXPORT void* operator new[](size_t size, const std::nothrow_t&) noexcept { return new_nothrow(size); }
SG_EXPORT void* operator new(size_t size, std::align_val_t al) { return new_aligned(size, al); }
SG_EXPORT void* operator new[](size_t size, std::align_val_t al) { return new_aligned(size, al); }
SG_EXPORT void* operator new(size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return new_aligned_nothrow(size, al);
}
SG_EXPORT void* operator new[](size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return new_aligned_nothrow(size, al);
}

SG_EXPORT void operator delete(void* p) noexcept { free_fast(p); }
SG_EXPORT void operator delete[](void* p) noexcept { free_fast(p); }
SG_EXPORT void operator delete(void* p, const std::nothrow_t&) noexcept { free_fast(p); }
SG_EXPORT void operator delete[](void* p, const std::nothrow_t&) noexcept { free_fast(p); }
SG_EXPORT void operator delete(void* p, size_t size) noexcept { free_sized(p, size); }
SG_EXPORT void operator delete[](void* p, size_t size) noexcept { free_sized(p, size); }
SG_EXPORT void operator delete(void* p, std::align_val_t) noexcept { free_fast(p); }
SG_EXPORT void operator delete[](void* p, std::align_val_t) noexcept { free_fast(p); }
SG_EXPORT void operator delete(void* p, size_t size, std::align_val_t) noexcept { free_sized<true>(p, size); }
SG_EXPORT void operator delete[](void* p, size_t size, std::align_val_t) noexcept { free_sized<true>(p, size); }
SG_EXPORT void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { free_fast(p); }
SG_EXPORT void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { free_fast(p); }
