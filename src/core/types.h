// The plain structs of the core: blocks, pages, page queues, segments,
// heaps and per-thread data. Behaviour lives in the files named after them.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/bins.h"
#include "core/config.h"
#include "secure/quarantine_ring.h"

namespace shardguard {

struct Heap;
struct ThreadData;

// A free block: its first word links to the next free block of its list.
struct Block {
  Block* next;
};

// What a free from another thread does when it finds a page (low 2 bits of
// Page::xthread_free; see page_delayed.h for the protocol).
enum DelayedMode : uintptr_t {
  kUseDelayedFree = 0,    // hand the block to the owning heap's delayed list
  kDelayedFreeing = 1,    // a freeing thread is doing that right now
  kNoDelayedFree = 2,     // push onto the page's thread_free list
  kNeverDelayedFree = 3,  // the page has no heap (abandoned/being moved): thread_free only
};
inline constexpr uintptr_t kDelayedMask = 3;

// Page::flags: any bit set sends free() off the fast path.
inline constexpr uint8_t kPageInFull = 1;      // in the heap's full queue
inline constexpr uint8_t kPageHasAligned = 2;  // some block was handed out at an interior offset
inline constexpr uint8_t kPageNotInUse = 4;    // slot is free: a free() into it is invalid

// A page: blocks of one size, and three free lists.
//  free        - allocation pops here (owner thread only)
//  local_free  - the owner's frees push here (owner only, no atomics)
//  thread_free - other threads push here with one CAS (xthread_free)
struct Page {
  Block* free;
  uint32_t used;      // blocks handed out and not yet collected back
  // kPage* bits; 0 on the free fast path. Written by the owner only, read by
  // any thread (relaxed: a stale in-full bit only sends a free to the slow path).
  std::atomic<uint8_t> flags;
  bool free_is_zero;  // every block on `free` is fresh, zeroed memory (but its link word)
  bool is_zero_init;  // the page's memory was zero when the page was initialized
  uint8_t retire_expire;
  Block* local_free;
  size_t block_size;
  uint32_t capacity;  // blocks threaded into the lists so far
  uint32_t reserved;  // blocks that fit in the page
  std::atomic<uintptr_t> xthread_free;  // Block* | DelayedMode
  std::atomic<Heap*> xheap;             // owning heap; nullptr while abandoned
  Page* next;  // in the page queue
  Page* prev;
  uint32_t slot;  // index in the segment
  uint32_t stat_used;  // `used` when the statistics last accounted the page
  // Bytes from the page start that may be dirty: the high-water mark of all
  // uses of the slot since its last purge (a reuse with smaller blocks must
  // not hide what an earlier use touched).
  size_t dirty_size;
  // A free slot whose memory is still dirty: when to purge it (0: nothing pending).
  int64_t purge_at;
  // Hardening state, set at page_init and read only by the layers that are
  // on (secure/): the first block, a reciprocal of block_size (a block index
  // by one multiply), and the page's secret free-list keys.
  uint8_t* area;
  size_t area_used;  // reserved * block_size: the bytes blocks may start in
  uint64_t block_recip;
  uintptr_t keys[2];
  // fill_check (secure/fill.h): the offsets of the fill window's 16-byte
  // chunks, and the mask that keeps the header out of the verification.
  uint64_t fill_mask[2];
  uint16_t fill_at[config::fill_check ? config::fill_bytes / 16 : 1];
  // quarantine (secure/quarantine.h): blocks of `used` that are freed and
  // held in their owner's quarantine (always 0 without the layer).
  uint32_t held;
};

// Blocks of the page the program still has (not freed): the statistics and
// the analysis functions count these.
inline uint32_t page_live_blocks(const Page* page) {
  if constexpr (config::quarantine) {
    return page->used - page->held;
  } else {
    return page->used;
  }
}

inline uint8_t page_flags(const Page* page) { return page->flags.load(std::memory_order_relaxed); }
inline bool page_has(const Page* page, uint8_t flag) { return (page_flags(page) & flag) != 0; }
inline void page_set_flags(Page* page, uint8_t flags) { page->flags.store(flags, std::memory_order_relaxed); }
inline void page_add_flag(Page* page, uint8_t flag) { page_set_flags(page, page_flags(page) | flag); }
inline void page_drop_flag(Page* page, uint8_t flag) { page_set_flags(page, page_flags(page) & static_cast<uint8_t>(~flag)); }

struct PageQueue {
  Page* first;
  Page* last;
  size_t block_size;
};

enum class SegmentKind : uint8_t { kSmall, kMedium, kLarge, kHuge };

// A segment: kSegmentSize-aligned OS memory; its header (this struct and the
// page array) sits at its start, followed by the pages' blocks.
struct Segment {
  std::atomic<uintptr_t> thread_id;  // owner; 0 while abandoned
  SegmentKind kind;
  bool in_free_queue;  // in the owner's queue of segments with a free slot
  bool abandoned;      // in the global abandoned list (guarded by its lock)
  uint8_t page_shift;
  uint32_t capacity;  // page slots
  uint32_t used;      // page slots in use
  uint32_t purge_pending;  // free slots waiting to be purged
  size_t segment_size;
  size_t info_size;  // bytes of header (and its guard page) before slot 0's blocks
  size_t span_size;  // large and huge: bytes of the one page's area
  int arena_id;      // the arena whose heaps use it (0: any heap)
  bool from_arena;   // its memory belongs to an arena (returned there, never cached)
  const void* subproc;  // abandoned: the sub-process of the thread that left it (guarded by abandoned's lock)
  Segment* next;     // in the owner's list of segments, or the abandoned list
  Segment* prev;
  Segment* free_next;  // in the owner's queue of segments with a free slot
  Segment* free_prev;
  Page pages[1];  // `capacity` entries
};

struct SegmentList {
  Segment* first;
  Segment* last;
};

extern Page page_empty;  // defined in page_queue.cpp

// The malloc fast path's table: for each word size up to kDirectWsizeMax,
// the first page of its bin (page_empty when the bin has none). It covers
// every small request plus the bytes the canaries add to it (kBlockExtra,
// block_state.h), so the fast path needs no test of the size.
inline constexpr size_t kDirectWsizeMax = kSmallWsizeMax + (config::canaries ? 2 : 0);
struct DirectPages {
  Page* at[kDirectWsizeMax + 1];
  constexpr DirectPages() : at{} {
    for (auto& p : at) p = &page_empty;
  }
};

// A heap: page queues per size bin. Used by one thread only; blocks may be
// freed from anywhere.
struct Heap {
  ThreadData* tld;  // nullptr only for the static empty heap
  DirectPages pages_free_direct;
  PageQueue pages[kBinCount];
  std::atomic<Block*> thread_delayed_free;  // blocks freed by others into full pages
  size_t retired_min;  // range of bins that may hold a retired page
  size_t retired_max;
  Heap* next;  // in tld->heaps
  bool is_backing;
  // Set by mi_heap_new_ex / mi_heap_new_in_arena / mi_heap_guarded_set_*
  // (zero for every other heap); never read on an allocation path.
  bool no_destroy;  // mi_heap_destroy acts as mi_heap_delete
  int tag;
  int arena_id;     // 0: any memory
  size_t guarded_sample_rate;
  size_t guarded_size_min;
  size_t guarded_size_max;
};

// Allocated-block counts of one size bin that a thread has accounted and
// not yet merged into the process totals (see stats.h).
struct BinStatDelta {
  int64_t blocks;     // net change of live blocks
  int64_t bytes;      // net change of their bytes
  int64_t allocated;  // blocks seen allocated
  int64_t freed;      // blocks seen freed
};

struct ThreadStats {
  BinStatDelta bins[kBinCount];
  int64_t pending_bytes;  // |sum of bytes| since the last merge, to bound the drift
};

// Per-thread data: the backing heap, the thread's heaps and segments.
struct ThreadData {
  uintptr_t thread_id;
  uint64_t rng;  // the thread's random state (randomize, per-page keys); seeded from the kernel
  Heap* heaps;  // all heaps of this thread, the backing heap included
  SegmentList segments;     // every segment this thread owns
  // Segments with a free slot, by page kind and by arena (index 0: memory
  // of no arena in particular; i: arena i, for heaps made in that arena).
  SegmentList small_free[kArenaQueues];
  SegmentList medium_free[kArenaQueues];
  // Free slots still resident, oldest first (linked through Page::next/prev,
  // unused while a slot is free): purging pops from the front, so finding
  // what is due never walks the thread's segments.
  Page* purge_first;
  Page* purge_last;
  uint64_t heartbeat;       // slow-path allocations so far (mi_register_deferred_free)
  uint32_t generic_count;   // slow-path allocations since the last periodic collect
  bool in_deferred_free;    // the deferred-free callback is running on this thread
  ThreadStats stats;
  [[no_unique_address]] secure::Quarantine quarantine;
  Heap backing;
};

}  // namespace shardguard
