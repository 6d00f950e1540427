// The libc allocation entry points, with C and POSIX semantics, served by
// the core, and the other names glibc and C23 give them. Exported only when
// the library is built with the override.
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <unistd.h>

#include "core/aligned.h"
#include "core/alloc.h"
#include "core/free.h"

using namespace shardguard;

#define SG_EXPORT extern "C" __attribute__((visibility("default")))

SG_EXPORT void* malloc(size_t size) noexcept { return default_malloc(size); }

SG_EXPORT void free(void* p) noexcept { free_fast(p); }

SG_EXPORT void* calloc(size_t count, size_t size) noexcept {
  size_t total;
  if (!checked_total(count, size, &total)) return nullptr;
  return default_malloc(total, true);
}

SG_EXPORT void* realloc(void* p, size_t size) noexcept { return heap_realloc(tls_default_heap, p, size); }

SG_EXPORT void* reallocarray(void* p, size_t count, size_t size) noexcept {
  size_t total;
  if (!checked_total(count, size, &total)) return nullptr;
  return heap_realloc(tls_default_heap, p, total);
}

SG_EXPORT size_t malloc_usable_size(void* p) noexcept { return usable_size(p, "malloc_usable_size"); }

SG_EXPORT int posix_memalign(void** out, size_t alignment, size_t size) noexcept {
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) return EINVAL;
  const int saved = errno;
  void* p = heap_malloc_aligned_at(tls_default_heap, size, alignment, 0, false);
  errno = saved;  // posix_memalign reports through its result, not errno
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

SG_EXPORT void* aligned_alloc(size_t alignment, size_t size) noexcept {
  // C17 accepts any valid (power-of-two) alignment; size need not be a multiple.
  return heap_malloc_aligned_at(tls_default_heap, size, alignment, 0, false);
}

SG_EXPORT void* memalign(size_t alignment, size_t size) noexcept {
  // glibc rounds a non-power-of-two alignment up instead of failing.
  if (alignment != 0 && (alignment & (alignment - 1)) != 0) {
    size_t a = 1;
    while (a < alignment && a != 0) a <<= 1;
    if (a == 0) {
      errno = EINVAL;
      return nullptr;
    }
    alignment = a;
  }
  if (alignment == 0) alignment = 1;
  return heap_malloc_aligned_at(tls_default_heap, size, alignment, 0, false);
}

SG_EXPORT void* valloc(size_t size) noexcept {
  return heap_malloc_aligned_at(tls_default_heap, size, static_cast<size_t>(getpagesize()), 0, false);
}

SG_EXPORT void* pvalloc(size_t size) noexcept {
  const size_t page = static_cast<size_t>(getpagesize());
  if (size > kMaxAllocSize) {
    errno = ENOMEM;
    return nullptr;
  }
  const size_t rounded = size == 0 ? page : (size + page - 1) & ~(page - 1);
  return heap_malloc_aligned_at(tls_default_heap, rounded, page, 0, false);
}

// C23: the size (and alignment) must be those of the allocation. The page
// knows both, so they are not needed to free the block; the invalid_free
// and canaries layers report a size that does not match it.
SG_EXPORT void free_sized(void* p, size_t size) noexcept { shardguard::free_sized(p, size); }
SG_EXPORT void free_aligned_sized(void* p, size_t, size_t size) noexcept { shardguard::free_sized<true>(p, size); }

// Other names of the same functions. glibc's __libc_* names are called by
// programs and libraries that want "the libc allocator" directly (hooks,
// sanitizers-like wrappers, old code); they must reach this allocator too, or
// blocks of two allocators would mix. cfree is the old SunOS/glibc name of free.
// (The aliases carry no malloc/alloc_size attributes: those only guide the
// optimizer at call sites, and the callers are other objects.)
#pragma GCC diagnostic ignored "-Wmissing-attributes"
#define SG_ALIAS(target) __attribute__((alias(#target), visibility("default")))
extern "C" {
void* __libc_malloc(size_t size) noexcept SG_ALIAS(malloc);
void __libc_free(void* p) noexcept SG_ALIAS(free);
void* __libc_calloc(size_t count, size_t size) noexcept SG_ALIAS(calloc);
void* __libc_realloc(void* p, size_t size) noexcept SG_ALIAS(realloc);
void* __libc_memalign(size_t alignment, size_t size) noexcept SG_ALIAS(memalign);
void* __libc_valloc(size_t size) noexcept SG_ALIAS(valloc);
void* __libc_pvalloc(size_t size) noexcept SG_ALIAS(pvalloc);
int __posix_memalign(void** out, size_t alignment, size_t size) noexcept SG_ALIAS(posix_memalign);
void cfree(void* p) noexcept SG_ALIAS(free);
void __libc_cfree(void* p) noexcept SG_ALIAS(free);
}
