// mimalloc API: aligned allocation (default heap).
#include <cerrno>
#include <cstring>

#include "core/aligned.h"
#include "core/alloc.h"
#include "core/rezalloc.h"
#include "mimalloc.h"

using namespace shardguard;

extern "C" {

void* mi_malloc_aligned_at(size_t size, size_t alignment, size_t offset) noexcept {
  return heap_malloc_aligned_at(tls_default_heap, size, alignment, offset, false);
}
void* mi_malloc_aligned(size_t size, size_t alignment) noexcept {
  return heap_malloc_aligned_at(tls_default_heap, size, alignment, 0, false);
}
void* mi_zalloc_aligned_at(size_t size, size_t alignment, size_t offset) noexcept {
  return heap_malloc_aligned_at(tls_default_heap, size, alignment, offset, true);
}
void* mi_zalloc_aligned(size_t size, size_t alignment) noexcept {
  return heap_malloc_aligned_at(tls_default_heap, size, alignment, 0, true);
}
void* mi_calloc_aligned_at(size_t count, size_t size, size_t alignment, size_t offset) noexcept {
  size_t total;
  if (!checked_total(count, size, &total)) return nullptr;
  return heap_malloc_aligned_at(tls_default_heap, total, alignment, offset, true);
}
void* mi_calloc_aligned(size_t count, size_t size, size_t alignment) noexcept {
  return mi_calloc_aligned_at(count, size, alignment, 0);
}
void* mi_realloc_aligned_at(void* p, size_t newsize, size_t alignment, size_t offset) noexcept {
  return heap_realloc_aligned_at(tls_default_heap, p, newsize, alignment, offset);
}
void* mi_realloc_aligned(void* p, size_t newsize, size_t alignment) noexcept {
  return heap_realloc_aligned_at(tls_default_heap, p, newsize, alignment, 0);
}

void* mi_rezalloc_aligned_at(void* p, size_t newsize, size_t alignment, size_t offset) noexcept {
  return heap_rezalloc_aligned_at(tls_default_heap, p, newsize, alignment, offset);
}
void* mi_rezalloc_aligned(void* p, size_t newsize, size_t alignment) noexcept {
  return heap_rezalloc_aligned_at(tls_default_heap, p, newsize, alignment, 0);
}
void* mi_recalloc_aligned_at(void* p, size_t newcount, size_t size, size_t alignment, size_t offset) noexcept {
  size_t total;
  if (!checked_total(newcount, size, &total)) return nullptr;
  return heap_rezalloc_aligned_at(tls_default_heap, p, total, alignment, offset);
}
void* mi_recalloc_aligned(void* p, size_t newcount, size_t size, size_t alignment) noexcept {
  return mi_recalloc_aligned_at(p, newcount, size, alignment, 0);
}

}  // extern "C"
