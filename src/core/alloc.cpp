#include "core/alloc.h"

#include <cerrno>

#include "core/bins.h"
#include "core/free.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/page_queue.h"
#include "core/segment.h"
#include "core/stats.h"

namespace shardguard {

namespace {

constexpr size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

Page* page_fresh(Heap* heap, PageQueue* pq, size_t block_size) {
  Page* page = segment_page_alloc(heap, block_size);
  if (!page) return nullptr;
  page_init(page, heap, block_size);
  queue_push_front(heap, pq, page);
  return page;
}

// The first page of the queue with a free block. Pages found full move to
// the full queue, so each is passed over at most once until a free brings
// it back: the search is amortized O(1).
Page* queue_find_free(Heap* heap, PageQueue* pq) {
  Page* page = pq->first;
  while (page) {
    Page* next = page->next;
    page_collect(page, false);
    if (page->free) break;
    if (page->capacity < page->reserved) {
      page_extend(page);
      break;
    }
    page_to_full(page, pq);
    page = next;
  }
  if (!page) return page_fresh(heap, pq, pq->block_size);
  queue_move_to_front(heap, pq, page);
  page->retire_expire = 0;
  return page;
}

Page* find_page(Heap* heap, size_t size) {
  if (size > kLargeObjMax) [[unlikely]] {
    return page_fresh(heap, &heap->pages[kBinHuge], round_up(size, kOsPageSize));
  }
  return queue_find_free(heap, &heap->pages[bin_of(size)]);
}

}  // namespace

void* malloc_generic(Heap* heap, size_t size, bool zero) {
  if (!heap_is_initialized(heap)) [[unlikely]] {
    heap = thread_init();
    if (!heap) {
      errno = ENOMEM;
      return nullptr;
    }
  }
  if (size > kMaxAllocSize) [[unlikely]] {
    errno = ENOMEM;
    return nullptr;
  }
  if (heap->thread_delayed_free.load(std::memory_order_relaxed)) heap_delayed_free(heap);
  if (heap->retired_min <= heap->retired_max) heap_collect_retired(heap, false);

  Page* page = find_page(heap, size);
  if (!page) {
    errno = ENOMEM;
    return nullptr;
  }
  Block* block = page->free;
  page->free = block->next;
  page->used++;
  if (zero) block_zero(page, block);
  return block;
}

size_t usable_size(const void* p, const char* function) {
  Segment* s = segment_of(p);
  if (!s) {
    if (p) report_invalid_pointer(p, function);
    return 0;
  }
  const Page* page = segment_page_of(s, p);
  if (page_has(page, kPageNotInUse)) {
    report_invalid_pointer(p, function);
    return 0;
  }
  if (page_has(page, kPageHasAligned)) {
    const auto* block = reinterpret_cast<const uint8_t*>(page_block_of(page, p));
    return page->block_size - static_cast<size_t>(static_cast<const uint8_t*>(p) - block);
  }
  return page->block_size;
}

size_t good_size(size_t size) {
  if (size <= kLargeObjMax) return kBinSizes[bin_of(size)];
  if (size > kMaxAllocSize) return size;
  return round_up(size, kOsPageSize);
}

void* heap_realloc(Heap* heap, void* p, size_t newsize) {
  if (!p) return heap_malloc(heap, newsize);
  const size_t size = usable_size(p, "realloc");
  if (size == 0) {
    errno = EINVAL;
    return nullptr;
  }
  // Shrinking by less than half keeps the block.
  if (newsize <= size && newsize >= size / 2 && newsize > 0) return p;
  // A huge block grows in place up to the end of its segment.
  Segment* s = segment_of(p);
  Page* page = segment_page_of(s, p);
  if (page->block_size > kLargeObjMax && newsize > size && newsize <= kMaxAllocSize &&
      p == page_start(page) && round_up(newsize, kOsPageSize) <= segment_huge_capacity(page)) {
    page->block_size = round_up(newsize, kOsPageSize);
    return p;
  }
  void* fresh = heap_malloc(heap, newsize);
  if (!fresh) return nullptr;
  memcpy(fresh, p, newsize < size ? newsize : size);
  free_fast(p);
  return fresh;
}

}  // namespace shardguard
