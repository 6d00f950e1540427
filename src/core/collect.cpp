#include "core/collect.h"

#include <cstdint>

#include "core/deferred_free.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/purge_queue.h"
#include "core/segment.h"
#include "core/segment_cache.h"
#include "core/thread.h"
#include "secure/quarantine.h"

namespace shardguard {

namespace {

void collect_pages(Heap* heap, bool force) {
  heap_delayed_free(heap);
  heap_collect_retired(heap, true);
  heap_visit_pages(heap, [force](Page* page, PageQueue* pq) {
    page_collect(page, force);
    if (page->used == 0) page_free(page, pq);
  });
}

// What belongs to the thread or the process rather than to one heap.
void collect_segments(ThreadData* tld, bool force, size_t keep_cached_bytes) {
  if (force) segments_reclaim_abandoned(&tld->backing, SIZE_MAX);
  purge::run(tld, force);
  segment_cache::purge_due(force);
  if (force) segment_cache::release(keep_cached_bytes);
}

void collect_thread(Heap* heap, bool force, size_t keep_cached_bytes) {
  ThreadData* tld = heap->tld;
  deferred::run(tld, force);
  if constexpr (config::quarantine) {
    if (force) secure::quarantine_flush(tld);
  }
  for (Heap* h = tld->heaps; h; h = h->next) collect_pages(h, force);
  collect_segments(tld, force, keep_cached_bytes);
}

}  // namespace

void collect_periodic(Heap* heap) {
  ThreadData* tld = heap->tld;
  if (heap->thread_delayed_free.load(std::memory_order_relaxed)) heap_delayed_free_some(heap, kDelayedFreeBudget);
  if (tld->generic_count >= kGenericCollectPeriod) {
    tld->generic_count = 0;
    purge::run(tld, false);
    segment_cache::purge_due(false);
  }
}

void heap_collect(Heap* heap, bool force) {
  if (!heap || !heap_is_initialized(heap)) return;
  deferred::run(heap->tld, force);
  if constexpr (config::quarantine) {
    if (force) secure::quarantine_flush(heap->tld);
  }
  collect_pages(heap, force);
  collect_segments(heap->tld, force, 0);
}

void thread_collect(bool force) {
  Heap* heap = thread_default_heap_initialized();
  if (heap) collect_thread(heap, force, 0);
}

void thread_collect_reduce(size_t keep_cached_bytes) {
  Heap* heap = thread_default_heap_initialized();
  if (heap) collect_thread(heap, true, keep_cached_bytes);
}

}  // namespace shardguard
