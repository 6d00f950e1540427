// Heaps: creation, the delayed-free list, retired pages, and the two ways a
// first-class heap ends (delete: live blocks move to the backing heap;
// destroy: every block is freed at once).
#pragma once
#include <shardguard/config.h>

#include "core/types.h"
#include "secure/encrypted_links.h"
#include "core/track.h"

namespace shardguard {

// The heap of a thread that has not allocated yet: every bin is empty, so
// the fast path falls through to the slow path, which initializes the thread.
extern Heap heap_empty;

inline bool heap_is_initialized(const Heap* heap) { return heap != &heap_empty; }

void heap_init(Heap* heap, ThreadData* tld, bool is_backing);

// Links of the delayed list (encoded with the encrypt_freelist layer; the
// reader checks each block it decodes: heap.cpp).
SHARDGUARD_INTERNAL_ACCESS inline void delayed_set_next(Block* block, Block* next) {
  track::Internal internal;
  if constexpr (config::encrypt_freelist) block->next = reinterpret_cast<Block*>(secure::delayed_encode(next));
  else block->next = next;
}
SHARDGUARD_INTERNAL_ACCESS inline Block* delayed_next(const Block* block) {
  track::Internal internal;
  if constexpr (config::encrypt_freelist) return static_cast<Block*>(secure::delayed_decode(reinterpret_cast<uintptr_t>(block->next)));
  else return block->next;
}

// Pushes a block onto the heap's delayed list (any thread, one CAS).
inline void heap_delayed_push(Heap* heap, Block* block) {
  Block* head = heap->thread_delayed_free.load(std::memory_order_relaxed);
  do {
    delayed_set_next(block, head);
  } while (!heap->thread_delayed_free.compare_exchange_weak(head, block, std::memory_order_release, std::memory_order_relaxed));
}

// Frees the blocks other threads handed over through the delayed list.
void heap_delayed_free(Heap* heap);
// As heap_delayed_free, for at most `max` blocks (the allocation slow path:
// its work must not grow with the number of full pages).
void heap_delayed_free_some(Heap* heap, size_t max);
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
