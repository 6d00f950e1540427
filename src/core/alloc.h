// malloc(): the fast path pops the first free block of the bin's first page
// through the direct table; everything else goes to malloc_generic.
#pragma once
#include <cerrno>
#include <cstring>

#include "core/block_state.h"
#include "core/free_list.h"
#include "core/thread.h"
#include "core/types.h"

namespace shardguard {

void* malloc_generic(Heap* heap, size_t size, bool zero);

// size <= kSmallSizeMax.
inline void* heap_malloc_small(Heap* heap, size_t size, bool zero) {
  static_assert(kDirectWsizeMax == kSmallWsizeMax + kBlockExtra / kWordSize, "the direct table covers small sizes plus kBlockExtra");
  Page* page = heap->pages_free_direct.at[(size + kBlockExtra + kWordSize - 1) / kWordSize];
  Block* block = page->free;
  if (!block) [[unlikely]] return malloc_generic(heap, size, zero);
  page->free = block_next(page, block);
  page->used++;
  return block_hand_out(page, block, size, zero);
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
// As usable_size, telling a live block (true, *usable set: 0 is possible
// with canaries) from a pointer that is not one (false, reported).
bool live_usable_size(const void* p, const char* function, size_t* usable);
// realloc without moving: true (and the block's bounds updated) when p's
// block can hold newsize bytes from p.
bool block_resize_in_place(void* p, size_t newsize);
// The size a request actually gets (its bin's block size).
size_t good_size(size_t size);

// realloc in `heap`; mimalloc semantics: newsize 0 gives a minimal block,
// nullptr means failure and p is untouched.
void* heap_realloc(Heap* heap, void* p, size_t newsize);

}  // namespace shardguard
