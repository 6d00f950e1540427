// The libc allocation entry points, with C and POSIX semantics, served by
// the core. Exported only when the library is built with the override.
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
