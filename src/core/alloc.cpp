#include "core/alloc.h"

#include <cerrno>

#include <shardguard/config.h>

#include "core/bins.h"
#include "core/collect.h"
#include "core/free.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/page_queue.h"
#include "core/segment.h"
#include "core/stats.h"
#include "core/track.h"
#include "secure/block_check.h"
#include "secure/canary.h"
#include "secure/double_free.h"
#include "secure/guard_pages.h"
#include "secure/invalid_free.h"
#include "secure/random.h"
#include "secure/randomize.h"

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

// randomize: the page to allocate from is any of the first few pages with
// a free block (`found` is the first), not always the most recent one.
// Only `found` may be extended: spreading allocations over the untouched
// parts of several pages would cost memory (and keep pages from emptying).
Page* pick_candidate(Heap* heap, PageQueue* pq, Page* found) {
  Page* candidates[secure::kCandidates] = {found};
  size_t n = 1;
  // Bounded like queue_find_free: full pages do not count as candidates,
  // and a queue of thousands of them must not be walked on every slow path.
  size_t examined = 0;
  for (Page* page = found->next; page && n < secure::kCandidates && examined < kPageSearchMax;
       page = page->next, examined++) {
    page_collect(page, false);
    if (page->free) candidates[n++] = page;
  }
  Page* page = candidates[secure::rng_below(heap->tld->rng, static_cast<uint32_t>(n))];
  if (!page->free) page_extend(page);
  return page;
}

// The first page of the queue with a free block. Pages found full move to
// the full queue, so each is passed over at most once until a free brings
// it back: the search is amortized O(1). It also gives up after
// kPageSearchMax pages and takes a fresh one, so its worst case is bounded
// too; the pages not looked at stay queued behind the fresh page.
Page* queue_find_free(Heap* heap, PageQueue* pq) {
  Page* page = pq->first;
  for (size_t searched = 0; page; searched++) {
    if (searched == kPageSearchMax) {
      page = nullptr;
      break;
    }
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
  if constexpr (config::randomize) page = pick_candidate(heap, pq, page);
  queue_move_to_front(heap, pq, page);
  page->retire_expire = 0;
  return page;
}

// `size` includes kBlockExtra.
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
  if (size > kMaxAllocSize - kBlockExtra) [[unlikely]] {
    errno = ENOMEM;
    return nullptr;
  }
  collect_on_slow_path(heap);  // deferred frees, delayed frees, due purges: all bounded
  if (heap->retired_min <= heap->retired_max) heap_collect_retired(heap, false);

  Page* page = find_page(heap, size + kBlockExtra);
  if (!page) {
    errno = ENOMEM;
    return nullptr;
  }
  Block* block = page->free;
  page->free = block_next(page, block);
  page->used++;
  // Statistics: a huge page (one block) is accounted here; other pages when
  // they fill up, retire or are freed (see stats.h).
  if (page->block_size > kLargeObjMax) stats::page_sync(page);
  return block_hand_out(page, block, size, zero);
}

size_t usable_size(const void* p, const char* function) {
  size_t size = 0;
  live_usable_size(p, function, &size);
  // The program asked: every usable byte is its own.
  if constexpr (track::kOn) {
    if (size) {
      Segment* s = segment_of(p);
      Page* page = segment_page_of(s, p);
      Block* block = page_block_of(page, p);
      const size_t offset = static_cast<size_t>(static_cast<const uint8_t*>(p) - reinterpret_cast<uint8_t*>(block));
      track::resized(block, offset + size, page->block_size);
    }
  }
  return size;
}

bool live_usable_size(const void* p, const char* function, size_t* usable) {
  Segment* s = segment_of(p);
  if (!s) {
    if (p) report_invalid_pointer(p, function);
    return false;
  }
  Page* page = segment_page_of(s, p);
  Block* block = live_block_of(page, p, function);
  if (!block) return false;
  if constexpr (config::double_free) {
    if (secure::is_marked_free(block)) [[unlikely]] secure::report_invalid(function, "a freed block", p, page->block_size);
  }
  const size_t offset = static_cast<size_t>(static_cast<const uint8_t*>(p) - reinterpret_cast<uint8_t*>(block));
  if constexpr (config::canaries) *usable = secure::canary_user_end(page, block) - offset;
  else *usable = page->block_size - offset;
  return true;
}

size_t good_size(size_t size) {
  if (size > kMaxAllocSize - kBlockExtra) return size;
  size += kBlockExtra;
  if (size <= kLargeObjMax) return kBinSizes[bin_of(size)] - kBlockExtra;
  return round_up(size, kOsPageSize) - kBlockExtra;
}

bool block_resize_in_place(void* p, size_t newsize) {
  Segment* s = segment_of(p);
  if (!s) {
    report_invalid_pointer(p, "realloc");
    return false;
  }
  Page* page = segment_page_of(s, p);
  Block* block = live_block_of(page, p, "realloc");
  if (!block) return false;
  const size_t offset = static_cast<size_t>(static_cast<uint8_t*>(p) - reinterpret_cast<uint8_t*>(block));
  if (newsize > kMaxAllocSize - kBlockExtra - offset) return false;
  if constexpr (config::canaries) secure::canary_check(page, block);
  if (newsize <= page->block_size - kBlockExtra - offset) {
    if constexpr (config::canaries) secure::canary_set(page, block, offset + newsize);
    track::resized(block, offset + newsize, page->block_size);
    return true;
  }
  // A huge block grows in place up to the end of its segment (with guard
  // pages, the guard right after it moves along).
  const size_t grown = round_up(offset + newsize + kBlockExtra, kOsPageSize);
  if (page->block_size > kLargeObjMax && block == reinterpret_cast<Block*>(page_start(page)) &&
      grown <= segment_huge_capacity(page)) {
    const size_t old_size = page->block_size;
    if constexpr (config::guard_pages) secure::move_huge_guard(segment_of_page(page), old_size, grown);
    page->block_size = grown;
    page->area_used = grown;
    page->block_recip = secure::block_reciprocal(grown, 1);
    stats::page_resized(page, old_size);
    if constexpr (config::canaries) secure::canary_set(page, block, offset + newsize);
    track::resized(block, offset + newsize, page->block_size);
    return true;
  }
  return false;
}

void* heap_realloc(Heap* heap, void* p, size_t newsize) {
  if (!p) return heap_malloc(heap, newsize);
  size_t size;
  if (!live_usable_size(p, "realloc", &size)) {
    errno = EINVAL;
    return nullptr;
  }
  // A size between half the usable size and all of it keeps the block as it
  // is: live_usable_size has just checked the block, so looking it up again
  // (block_resize_in_place) would only repeat that. Canaries move with the
  // requested size, and so does a memory checker's view (track.h): they take
  // the long way.
  if constexpr (!config::canaries && !track::kOn) {
    if (newsize > 0 && newsize <= size && newsize >= size / 2) return p;
  }
  // Shrinking by less than half keeps the block; growing within its bounds
  // (its block, or a huge block's segment) too.
  if (newsize > 0 && (newsize > size || newsize >= size / 2) && block_resize_in_place(p, newsize)) return p;
  void* fresh = heap_malloc(heap, newsize);
  if (!fresh) return nullptr;
  track::touch(p, size);  // past the request, up to the usable size: freed next anyway
  memcpy(fresh, p, newsize < size ? newsize : size);
  free_fast(p);
  return fresh;
}

}  // namespace shardguard
