// Heaps: creation, the delayed-free list, retired pages, and the two ways a
// first-class heap ends (delete: live blocks move to the backing heap;
// destroy: every block is freed at once).
#pragma once
#include "core/types.h"

namespace shardguard {

// The heap of a thread that has not allocated yet: every bin is empty, so
// the fast path falls through to the slow path, which initializes the thread.
extern Heap heap_empty;

inline bool heap_is_initialized(const Heap* heap) { return heap != &heap_empty; }

void heap_init(Heap* heap, ThreadData* tld, bool is_backing);

// Pushes a block onto the heap's delayed list (any thread, one CAS).
inline void heap_delayed_push(Heap* heap, Block* block) {
  Block* head = heap->thread_delayed_free.load(std::memory_order_relaxed);
  do {
    block->next = head;
  } while (!heap->thread_delayed_free.compare_exchange_weak(head, block, std::memory_order_release, std::memory_order_relaxed));
}

// Frees the blocks other threads handed over through the delayed list.
void heap_delayed_free(Heap* heap);
// Frees retired pages whose grace period ran out (all of them with force).
void heap_collect_retired(Heap* heap, bool force);

Heap* heap_new();
void heap_delete(Heap* heap);
void heap_destroy(Heap* heap);

// Makes every page of the heap ignore the delayed-free protocol (free from
// other threads goes to the page itself), then drains the delayed list, so
// the heap struct can go away. Used by delete and thread exit.
void heap_stop_delayed_frees(Heap* heap);

template <typename Fn>
void heap_visit_pages(Heap* heap, Fn&& fn) {
  for (size_t bin = 0; bin < kBinCount; bin++) {
    PageQueue* pq = &heap->pages[bin];
    for (Page* page = pq->first; page;) {
      Page* next = page->next;  // fn may unlink page
      fn(page, pq);
      page = next;
    }
  }
}

}  // namespace shardguard
