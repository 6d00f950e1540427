// A page's life: initialization, threading blocks onto its free list,
// collecting the local and thread free lists, the full queue, retirement.
#pragma once
#include "core/types.h"

namespace shardguard {

inline Heap* page_heap(const Page* page) { return page->xheap.load(std::memory_order_relaxed); }

inline Block* tf_block(uintptr_t tf) { return reinterpret_cast<Block*>(tf & ~kDelayedMask); }
inline DelayedMode tf_mode(uintptr_t tf) { return static_cast<DelayedMode>(tf & kDelayedMask); }

// Sets up a slot fresh from its segment for blocks of `block_size` in `heap`.
void page_init(Page* page, Heap* heap, size_t block_size);
// Threads up to kMaxExtendBytes of never-used blocks onto the empty free list.
void page_extend(Page* page);
// Moves thread_free into local_free, and local_free into free when free is
// empty (or always, with force).
void page_collect(Page* page, bool force);
// All blocks are free: keep the page a little while, or free it.
void page_retire(Page* page);
// Detaches the page from its heap queue and gives the slot back.
void page_free(Page* page, PageQueue* pq);
void page_to_full(Page* page, PageQueue* pq);
void page_unfull(Page* page);

// The delayed-free protocol (see free.cpp, free_block_mt): how frees from
// other threads reach a page. Waits while a freeing thread is in the middle
// of a delayed free, so the heap it read stays valid.
void page_set_delayed(Page* page, DelayedMode mode, bool override_never);
// As page_set_delayed, but gives up instead of waiting; false if it did.
bool page_try_set_delayed(Page* page, DelayedMode mode, bool override_never);

}  // namespace shardguard
