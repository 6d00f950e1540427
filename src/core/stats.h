// Statistics, cheap enough to stay on in every build:
// - process-wide gauges and event counters (reserved memory, segments,
//   pages, threads, ...), touched only on slow paths (OS calls, page and
//   segment changes);
// - per-size-bin counts of allocated blocks, derived from pages' `used`
//   counts: a page's change since it was last looked at is accounted when
//   the page fills up, retires or is freed (a huge page: when allocated),
//   and for all of a thread's pages when it prints or merges statistics or
//   exits; never on the malloc/free fast path. The deltas collect in
//   per-thread counters, merged into the process totals when they grow
//   past a bound, on mi_stats_merge/print and at thread exit. So a thread's
//   counts are exact once it merged; "allocated"/"freed" totals count what
//   was seen between two looks at a page (a lower bound).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/bins.h"
#include "core/types.h"

namespace shardguard::stats {

struct Counter {
  std::atomic<int64_t> current{0};
  std::atomic<int64_t> peak{0};
  std::atomic<int64_t> total{0};  // everything ever added
};

extern Counter reserved;    // bytes mapped from the OS
extern Counter segments;    // segments in use
extern Counter pages;       // pages in use
extern Counter huge;        // huge blocks in use
extern Counter purges;      // ranges given back to the OS
extern Counter threads;     // threads with a heap
extern Counter abandoned;   // segments waiting for a new owner
extern Counter reclaimed;   // segments adopted by another thread
extern Counter cache_hits;  // segments reused from the segment cache
extern Counter metadata;    // bytes of allocator metadata: segment headers, heap and thread records

void add(Counter& c, int64_t amount);
void sub(Counter& c, int64_t amount);

// ---- allocated blocks, per size bin ----

// Accounts the change of page->used since the page was last accounted.
void page_sync(Page* page);
// The page's blocks are all gone (its slot is being given back), whatever
// `used` says (mi_heap_destroy frees live blocks with their page).
void page_release(Page* page);
// A huge block grew or shrank in place from old_size to page->block_size.
void page_resized(Page* page, size_t old_size);

// Moves the calling thread's pending counts into the process totals.
void merge_thread();
// Accounts every page of the calling thread's heaps, then merge_thread().
void sync_and_merge_thread();
// Sets totals and peaks back to the current values (mi_stats_reset).
void reset();

struct Snapshot {
  size_t current;
  size_t peak;
};
// Bytes committed to the process (mapped read-write): reserved here, as
// Linux commits anonymous memory on first touch.
Snapshot committed_snapshot();
// Bytes in allocated blocks (process totals, after merging the caller's counts).
Snapshot allocated_snapshot();

using OutputFn = void(const char* msg, void* arg);
// The process-wide report (merges the calling thread's counts first).
void print(OutputFn* out, void* arg);
// The calling thread's own counts since its last merge.
void print_thread(OutputFn* out, void* arg);

}  // namespace shardguard::stats
