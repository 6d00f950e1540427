// malloc(): the fast path pops the first free block of the bin's first page
// through the direct table; everything else goes to malloc_generic.
#pragma once
#include <cerrno>
#include <cstring>

#include "core/thread.h"
#include "core/types.h"

namespace shardguard {

void* malloc_generic(Heap* heap, size_t size, bool zero);

inline void block_zero(const Page* page, Block* block) {
  if (page->free_is_zero) block->next = nullptr;  // the rest of a fresh block is already zero
  else memset(static_cast<void*>(block), 0, page->block_size);
}

inline void* heap_malloc_small(Heap* heap, size_t size, bool zero) {
  Page* page = heap->pages_free_direct.at[(size + kWordSize - 1) / kWordSize];
  Block* block = page->free;
  if (!block) [[unlikely]] return malloc_generic(heap, size, zero);
  page->free = block->next;
  page->used++;
  if (zero) block_zero(page, block);
  return block;
}

inline void* heap_malloc(Heap* heap, size_t size, bool zero = false) {
  if (size <= kSmallSizeMax) [[likely]] return heap_malloc_small(heap, size, zero);
  return malloc_generic(heap, size, zero);
}

inline void* default_malloc(size_t size, bool zero = false) { return heap_malloc(tls_default_heap, size, zero); }

// *total = count * size; on overflow sets errno to ENOMEM and returns false
// (calloc, reallocarray and the mi_*n functions fail like an impossible size).
inline bool checked_total(size_t count, size_t size, size_t* total) {
  if (__builtin_mul_overflow(count, size, total)) [[unlikely]] {
    errno = ENOMEM;
    return false;
  }
  return true;
}

// Bytes usable from p to the end of its block; 0 for nullptr or a pointer
// that is not ours (reported).
size_t usable_size(const void* p, const char* function);
// The size a request actually gets (its bin's block size).
size_t good_size(size_t size);

// realloc in `heap`; mimalloc semantics: newsize 0 gives a minimal block,
// nullptr means failure and p is untouched.
void* heap_realloc(Heap* heap, void* p, size_t newsize);

}  // namespace shardguard
