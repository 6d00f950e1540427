// Page queues: per heap, one doubly linked list of pages per size bin, plus
// the huge and full queues. The first page of a small bin is mirrored in the
// heap's direct table, which the malloc fast path reads.
#pragma once
#include "core/types.h"

namespace shardguard {


inline size_t page_bin(const Page* page) {
  if (page_has(page, kPageInFull)) return kBinFull;
  if (page->block_size > kLargeObjMax) return kBinHuge;
  return bin_of(page->block_size);
}

inline PageQueue* heap_queue_of(Heap* heap, const Page* page) { return &heap->pages[page_bin(page)]; }

void queue_push_front(Heap* heap, PageQueue* pq, Page* page);
void queue_remove(Heap* heap, PageQueue* pq, Page* page);
void queue_move_to_front(Heap* heap, PageQueue* pq, Page* page);
// Moves `page` from `from` to the end of `to`.
void queue_move(Heap* heap, PageQueue* from, PageQueue* to, Page* page);
// Re-points the direct table entries of `pq`'s bin at its first page.
void heap_update_direct(Heap* heap, PageQueue* pq);

}  // namespace shardguard
