#include "core/page.h"

#include <sched.h>

#include <shardguard/config.h>

#include "core/error.h"
#include "core/free_list.h"
#include "core/heap.h"
#include "core/page_queue.h"
#include "core/purge_queue.h"
#include "core/segment.h"
#include "core/stats.h"
#include "core/thread.h"
#include "core/track.h"
#include "secure/block_check.h"
#include "secure/double_free.h"
#include "secure/fill.h"
#include "secure/random.h"
#include "secure/randomize.h"
#include "secure/report.h"

namespace shardguard {

void page_init(Page* page, Heap* heap, size_t block_size) {
  size_t area_size;
  page->area = page_area(segment_of_page(page), page, &area_size);
  page->block_size = block_size;
  if constexpr (config::fill_check) secure::fill_page_init(page);
  if constexpr (config::encrypt_freelist) {
    page->keys[0] = secure::rng_next(heap->tld->rng);
    page->keys[1] = secure::rng_next(heap->tld->rng) | 1;  // odd: the rotation is never 0
  }
  // A huge page holds exactly one block, however much room its segment has.
  page->reserved = block_size > kLargeObjMax ? 1 : static_cast<uint32_t>(area_size / block_size);
  page->area_used = size_t{page->reserved} * block_size;
  page->block_recip = secure::block_reciprocal(block_size, page->reserved);
  page->capacity = 0;
  page->used = 0;
  page->free = nullptr;
  page->local_free = nullptr;
  page->free_is_zero = false;
  page->retire_expire = 0;
  page->xthread_free.store(kUseDelayedFree, std::memory_order_relaxed);
  page->xheap.store(heap, std::memory_order_release);
  page_extend(page);
}

namespace {

// page_extend with the hardening layers: blocks threaded in random order,
// each marked free, and zeroed when the memory is not fresh (see the
// invariants in secure/double_free.h and secure/fill.h).
void extend_hardened(Page* page, uint8_t* first, size_t count) {
  const size_t bsize = page->block_size;
  uint16_t order[kMaxExtendBytes / kWordSize > secure::kMinShuffle ? kMaxExtendBytes / kWordSize : secure::kMinShuffle];
  static_assert(sizeof order / sizeof order[0] >= kMaxExtendBytes / kBinSizes[1], "one entry per block of the smallest size");
  for (size_t i = 0; i < count; i++) order[i] = static_cast<uint16_t>(i);
  if constexpr (config::randomize) {
    uint64_t& rng = page_heap(page)->tld->rng;
    for (size_t i = count - 1; i > 0; i--) {
      const uint32_t j = secure::rng_below(rng, static_cast<uint32_t>(i + 1));
      const uint16_t t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
  Block* next = nullptr;
  for (size_t i = count; i-- > 0;) {
    auto* block = reinterpret_cast<Block*>(first + order[i] * bsize);
    if constexpr (config::fill_check) {
      if (!page->is_zero_init) secure::fill_freed(page, block);
    }
    block_set_next(page, block, next);
    if constexpr (config::double_free) secure::mark_free(block);
    next = block;
  }
  page->free = next;
}

}  // namespace

void page_extend(Page* page) {
  if (page->capacity >= page->reserved) return;
  const size_t bsize = page->block_size;
  size_t count = kMaxExtendBytes / bsize;
  if (count == 0) count = 1;
  if constexpr (config::randomize) {
    // Each block threaded is a page of memory touched: only blocks of up to
    // kMaxShuffleBytes / kMinShuffle bytes are threaded in batches.
    if (count < secure::kMinShuffle && bsize * secure::kMinShuffle <= secure::kMaxShuffleBytes) count = secure::kMinShuffle;
  }
  if (count > page->reserved - page->capacity) count = page->reserved - page->capacity;
  uint8_t* const first = page_start(page) + size_t{page->capacity} * bsize;
  track::Touch fresh(first, count * bsize);  // closed again (poisoned) when the links are written
  if constexpr (config::any_layer) {
    extend_hardened(page, first, count);
  } else {
    // Thread the new blocks in address order; the page's free list is empty.
    uint8_t* p = first;
    for (size_t i = 1; i < count; i++, p += bsize) reinterpret_cast<Block*>(p)->next = reinterpret_cast<Block*>(p + bsize);
    reinterpret_cast<Block*>(p)->next = nullptr;
    page->free = reinterpret_cast<Block*>(first);
  }
  page->free_is_zero = page->is_zero_init;
  page->capacity += static_cast<uint32_t>(count);
  const size_t used_bytes = size_t{page->capacity} * bsize;
  if (used_bytes > page->dirty_size) page->dirty_size = used_bytes;
}

namespace {

void thread_free_collect(Page* page) {
  uintptr_t tf = page->xthread_free.load(std::memory_order_relaxed);
  uintptr_t mode_only;
  do {
    if (!tf_block(tf)) return;
    mode_only = tf & kDelayedMask;
  } while (!page->xthread_free.compare_exchange_weak(tf, mode_only, std::memory_order_acq_rel, std::memory_order_relaxed));

  // Walk to the tail; a list longer than the page can hold is corruption.
  Block* head = tf_block(tf);
  Block* tail = head;
  uint32_t count = 1;
  for (Block* next; (next = block_next(page, tail)) != nullptr; tail = next) {
    if (++count > page->capacity) {
      secure::report_attack(secure::kErrCorrupted, "corrupted thread-free list (longer than its page)", head, page->block_size);
    }
  }
  block_set_next(page, tail, page->local_free);
  page->local_free = head;
  page->used -= count;
}

}  // namespace

void page_collect(Page* page, bool force) {
  thread_free_collect(page);
  if (!page->local_free) return;
  if (!page->free) {
    page->free = page->local_free;
    page->local_free = nullptr;
    page->free_is_zero = false;
  } else if (force) {
    Block* tail = page->local_free;
    for (Block* next; (next = block_next(page, tail)) != nullptr;) tail = next;
    block_set_next(page, tail, page->free);
    page->free = page->local_free;
    page->local_free = nullptr;
    page->free_is_zero = false;
  }
}

void page_free(Page* page, PageQueue* pq) {
  // Blocks still live (a destroyed heap) are the program's no longer.
  track::no_access(page_start(page), size_t{page->capacity} * page->block_size);
  Heap* heap = page_heap(page);
  queue_remove(heap, pq, page);
  page->xheap.store(nullptr, std::memory_order_relaxed);
  segment_page_free(page, heap->tld);
}

void page_retire(Page* page) {
  Heap* heap = page_heap(page);
  PageQueue* pq = heap_queue_of(heap, page);
  // The only page of a bin stays for a few slow paths, so a bin that empties
  // and refills does not go back and forth to the OS. Not a large page (a
  // whole segment), nor with purge delay 0, which asks for memory back at once.
  if (page->block_size <= kMediumObjMax && !page_has(page, kPageInFull) && pq->first == page && pq->last == page &&
      purge::delay_ms() != 0) {
    page->retire_expire = kRetireCycles;
    stats::page_sync(page);
    const size_t bin = static_cast<size_t>(pq - heap->pages);
    if (bin < heap->retired_min) heap->retired_min = bin;
    if (bin > heap->retired_max) heap->retired_max = bin;
    return;
  }
  page_free(page, pq);
}

void page_to_full(Page* page, PageQueue* pq) {
  stats::page_sync(page);  // statistics: a page that filled up is accounted
  if (page_has(page, kPageInFull)) return;
  Heap* heap = page_heap(page);
  page_set_delayed(page, kUseDelayedFree, false);
  queue_move(heap, pq, &heap->pages[kBinFull], page);
  page_add_flag(page, kPageInFull);
  // A free from another thread may have landed just before the mode changed;
  // if so, the page is not full after all.
  page_collect(page, false);
  if (page->free) page_unfull(page);
}

void page_unfull(Page* page) {
  if (!page_has(page, kPageInFull)) return;
  Heap* heap = page_heap(page);
  page_drop_flag(page, kPageInFull);
  queue_move(heap, &heap->pages[kBinFull], heap_queue_of(heap, page), page);
}

bool page_try_set_delayed(Page* page, DelayedMode mode, bool override_never) {
  uintptr_t tf = page->xthread_free.load(std::memory_order_relaxed);
  for (;;) {
    const DelayedMode old = tf_mode(tf);
    if (old == kDelayedFreeing) return false;
    if (old == mode || (old == kNeverDelayedFree && !override_never)) return true;
    const uintptr_t next = (tf & ~kDelayedMask) | mode;
    if (page->xthread_free.compare_exchange_weak(tf, next, std::memory_order_acq_rel, std::memory_order_relaxed)) return true;
  }
}

void page_set_delayed(Page* page, DelayedMode mode, bool override_never) {
  // A delayed free holds kDelayedFreeing for a few instructions. One that is
  // still held after many yields in a forked child belongs to a thread that
  // did not survive the fork: take the page over (its block is lost to the
  // child, which is all that is lost).
  for (int spins = 0; !page_try_set_delayed(page, mode, override_never); spins++) {
    if (spins >= 1000 && process_is_fork_child()) {
      uintptr_t tf = page->xthread_free.load(std::memory_order_relaxed);
      if (tf_mode(tf) == kDelayedFreeing) {
        page->xthread_free.compare_exchange_strong(tf, (tf & ~kDelayedMask) | kNoDelayedFree, std::memory_order_acq_rel);
      }
    }
    sched_yield();
  }
}

}  // namespace shardguard
