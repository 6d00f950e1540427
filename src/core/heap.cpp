#include "core/heap.h"

#include <shardguard/config.h>

#include "core/error.h"
#include "core/free.h"
#include "core/meta_alloc.h"
#include "core/page.h"
#include "core/page_queue.h"
#include "core/segment.h"
#include "core/segment_map.h"
#include "core/thread.h"
#include "secure/block_check.h"
#include "secure/report.h"
#include "secure/quarantine.h"

namespace shardguard {

constinit Heap heap_empty{};

void heap_init(Heap* heap, ThreadData* tld, bool is_backing) {
  heap->tld = tld;
  heap->pages_free_direct = DirectPages{};
  for (size_t bin = 0; bin < kBinCount; bin++) heap->pages[bin] = PageQueue{nullptr, nullptr, kBinSizes[bin]};
  heap->thread_delayed_free.store(nullptr, std::memory_order_relaxed);
  heap->retired_min = kBinCount;
  heap->retired_max = 0;
  heap->is_backing = is_backing;
  heap->next = tld->heaps;
  tld->heaps = heap;
}

namespace {

// A block handed over by another thread: free it as the owner. False when
// the page is in the middle of a delayed free (try again later).
bool free_delayed_block(Block* block) {
  Segment* s = segment_of(block);
  if constexpr (config::encrypt_freelist) {
    // The block came from a decoded link: it must be a block of ours.
    if (!s || page_has(segment_page_of(s, block), kPageNotInUse) || !secure::page_is_block_start(segment_page_of(s, block), block)) {
      secure::report_attack(secure::kErrCorrupted, "corrupted delayed-free list link", block, 0);
    }
  }
  Page* page = segment_page_of(s, block);
  if (!page_try_set_delayed(page, kUseDelayedFree, false)) return false;
  page_collect(page, false);
  free_block_local(page, block);
  return true;
}

void heap_unlink(Heap* heap) {
  ThreadData* tld = heap->tld;
  Heap** link = &tld->heaps;
  while (*link != heap) link = &(*link)->next;
  *link = heap->next;
  if (thread_default_heap() == heap) thread_set_default_heap(&tld->backing);
}

}  // namespace

void heap_delayed_free(Heap* heap) {
  Block* block = heap->thread_delayed_free.exchange(nullptr, std::memory_order_acquire);
  while (block) {
    Block* next = delayed_next(block);
    if (!free_delayed_block(block)) heap_delayed_push(heap, block);
    block = next;
  }
}

void heap_delayed_free_some(Heap* heap, size_t max) {
  // Only the owner pops, others only push: a block at the head stays there
  // (and its link stays valid) until this thread takes it, so no ABA.
  for (size_t i = 0; i < max; i++) {
    Block* block = heap->thread_delayed_free.load(std::memory_order_acquire);
    do {
      if (!block) return;
    } while (!heap->thread_delayed_free.compare_exchange_weak(block, delayed_next(block), std::memory_order_acquire,
                                                              std::memory_order_acquire));
    if (!free_delayed_block(block)) {
      heap_delayed_push(heap, block);  // mid-free by another thread: next time
      return;
    }
  }
}

void heap_collect_retired(Heap* heap, bool force) {
  size_t min = kBinCount, max = 0;
  for (size_t bin = heap->retired_min; bin <= heap->retired_max && bin < kBinCount; bin++) {
    PageQueue* pq = &heap->pages[bin];
    Page* page = pq->first;
    if (!page || page->retire_expire == 0) continue;
    if (page->used != 0) {
      page->retire_expire = 0;
      continue;
    }
    if (force || --page->retire_expire == 0) {
      page_free(page, pq);
    } else {
      if (bin < min) min = bin;
      if (bin > max) max = bin;
    }
  }
  heap->retired_min = min;
  heap->retired_max = max;
}

void heap_stop_delayed_frees(Heap* heap) {
  heap_visit_pages(heap, [](Page* page, PageQueue*) { page_set_delayed(page, kNeverDelayedFree, false); });
  // Nothing can be added to the list any more; drain it.
  heap_delayed_free(heap);
}

Heap* heap_new() {
  Heap* current = thread_default_heap_initialized();
  if (!current) return nullptr;
  auto* heap = static_cast<Heap*>(meta::alloc(sizeof(Heap)));
  if (!heap) return nullptr;
  heap_init(heap, current->tld, false);
  return heap;
}

void heap_delete(Heap* heap) {
  if (!heap || !heap_is_initialized(heap)) return;
  if (heap->is_backing) {
    warning("mi_heap_delete: the backing heap of a thread cannot be deleted; ignored");
    return;
  }
  Heap* backing = &heap->tld->backing;
  heap_stop_delayed_frees(heap);
  // Move every page to the backing heap, in the same bins.
  heap_visit_pages(heap, [&](Page* page, PageQueue* pq) {
    page_collect(page, false);
    if (page->used == 0) {
      page_free(page, pq);
      return;
    }
    queue_remove(heap, pq, page);
    page->xheap.store(backing, std::memory_order_release);
    queue_push_front(backing, heap_queue_of(backing, page), page);
    page_set_delayed(page, kUseDelayedFree, true);
  });
  heap_unlink(heap);
  meta::free(heap);
}

void heap_destroy(Heap* heap) {
  if (!heap || !heap_is_initialized(heap)) return;
  if (heap->is_backing) {
    warning("mi_heap_destroy: the backing heap of a thread cannot be destroyed; ignored");
    return;
  }
  // Held blocks of this heap's pages must reach their pages before the pages go.
  if constexpr (config::quarantine) secure::quarantine_flush(heap->tld);
  heap_visit_pages(heap, [](Page* page, PageQueue*) { page_set_delayed(page, kNeverDelayedFree, false); });
  // Pending delayed blocks all belong to this heap's pages: they go with them.
  heap->thread_delayed_free.store(nullptr, std::memory_order_relaxed);
  heap_visit_pages(heap, [](Page* page, PageQueue* pq) { page_free(page, pq); });
  heap_unlink(heap);
  meta::free(heap);
}

}  // namespace shardguard
