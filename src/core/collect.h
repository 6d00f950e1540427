// Giving memory back on request (mi_collect, mi_heap_collect, malloc_trim)
// and the bounded housekeeping of every allocation slow path.
#pragma once
#include <cstddef>

#include "core/deferred_free.h"
#include "core/types.h"

namespace shardguard {

// The rarer part of collect_on_slow_path.
void collect_periodic(Heap* heap);

// Run by malloc_generic: the deferred-free heartbeat, a bounded part of the
// delayed-free list, and every kGenericCollectPeriod calls the due purges
// of the thread and of the segment cache. Never walks anything unbounded.
inline void collect_on_slow_path(Heap* heap) {
  ThreadData* tld = heap->tld;
  deferred::run(tld, false);
  if (heap->thread_delayed_free.load(std::memory_order_relaxed) || ++tld->generic_count >= kGenericCollectPeriod)
      [[unlikely]] {
    collect_periodic(heap);
  }
}

// Frees the heap's empty pages (retired ones too) and the blocks other
// threads handed over, then the thread's due purges. With force: every
// pending purge of the thread, the abandoned segments of exited threads
// are adopted (their empty pages freed), and the segment cache is emptied.
void heap_collect(Heap* heap, bool force);
// heap_collect for every heap of the calling thread.
void thread_collect(bool force);
// thread_collect(true), except that up to `keep_cached_bytes` of empty
// (purged) segments stay cached for reuse.
void thread_collect_reduce(size_t keep_cached_bytes);

}  // namespace shardguard
