// mimalloc API: allocation that also reports the size of the block it gave
// (the usable size, as mi_usable_size would answer).
#include "core/aligned.h"
#include "core/alloc.h"
#include "core/free.h"
#include "mimalloc.h"

using namespace shardguard;

namespace {
void* with_size(void* p, size_t* block_size) {
  if (p && block_size) *block_size = usable_size(p, "mi_umalloc");
  return p;
}
}  // namespace

extern "C" {

void* mi_umalloc(size_t size, size_t* block_size) noexcept { return with_size(default_malloc(size), block_size); }

void* mi_ucalloc(size_t count, size_t size, size_t* block_size) noexcept {
  size_t total;
  if (!checked_total(count, size, &total)) return nullptr;
  return with_size(default_malloc(total, true), block_size);
}

void* mi_urealloc(void* p, size_t newsize, size_t* block_size_pre, size_t* block_size_post) noexcept {
  if (block_size_pre) *block_size_pre = p ? usable_size(p, "mi_urealloc") : 0;
  return with_size(heap_realloc(tls_default_heap, p, newsize), block_size_post);
}

void mi_ufree(void* p, size_t* block_size) noexcept {
  if (block_size) *block_size = p ? usable_size(p, "mi_ufree") : 0;
  free_fast(p);
}

void* mi_umalloc_aligned(size_t size, size_t alignment, size_t* block_size) noexcept {
  return with_size(heap_malloc_aligned_at(tls_default_heap, size, alignment, 0, false), block_size);
}

void* mi_uzalloc_aligned(size_t size, size_t alignment, size_t* block_size) noexcept {
  return with_size(heap_malloc_aligned_at(tls_default_heap, size, alignment, 0, true), block_size);
}

void* mi_umalloc_small(size_t size, size_t* block_size) noexcept { return with_size(default_malloc(size), block_size); }

void* mi_uzalloc_small(size_t size, size_t* block_size) noexcept { return with_size(default_malloc(size, true), block_size); }

}  // extern "C"
