// Sizes and shapes of the core: segments, pages, size limits.
#pragma once
#include <cstddef>
#include <cstdint>

namespace shardguard {

inline constexpr size_t KiB = 1024;
inline constexpr size_t MiB = 1024 * KiB;

inline constexpr size_t kWordSize = sizeof(void*);
inline constexpr size_t kOsPageSize = 4 * KiB;  // checked against sysconf at start-up

// A segment is an aligned chunk of OS memory carved into pages of one kind.
// Alignment lets a pointer find its segment by masking; the segment map says
// whether that segment is ours.
inline constexpr size_t kSegmentShift = 22;
inline constexpr size_t kSegmentSize = size_t{1} << kSegmentShift;  // 4 MiB
inline constexpr uintptr_t kSegmentMask = kSegmentSize - 1;

inline constexpr size_t kSmallPageShift = 16;   // 64 KiB pages
inline constexpr size_t kMediumPageShift = 19;  // 512 KiB pages
inline constexpr size_t kSmallPageSize = size_t{1} << kSmallPageShift;
inline constexpr size_t kMediumPageSize = size_t{1} << kMediumPageShift;

// Largest block of each page kind: at least 8 blocks per page, so the
// unusable tail of a page stays under 12.5%.
inline constexpr size_t kSmallObjMax = kSmallPageSize / 8;    // 8 KiB
inline constexpr size_t kMediumObjMax = kMediumPageSize / 8;  // 64 KiB
inline constexpr size_t kLargeObjMax = kSegmentSize / 8;      // 512 KiB; above: huge, one block per segment

// Sizes up to this go through the direct page table (no bin computation).
inline constexpr size_t kSmallSizeMax = 128 * kWordSize;  // 1 KiB, mimalloc's MI_SMALL_SIZE_MAX
inline constexpr size_t kSmallWsizeMax = kSmallSizeMax / kWordSize;

inline constexpr size_t kMaxAllocSize = PTRDIFF_MAX;

// A freshly initialized page gets at most this many bytes of blocks threaded
// onto its free list at a time, so a big page is not touched all at once.
inline constexpr size_t kMaxExtendBytes = 4 * KiB;

// How many allocation slow paths an empty page survives before it is freed,
// so that a bin that empties and refills does not ping-pong with the OS.
inline constexpr uint8_t kRetireCycles = 16;

// An empty small or medium page is purged (given back to the OS) this many
// milliseconds after it became empty, unless it is reused first: a page that
// empties and refills soon after costs no system call and no page faults.
// 10 ms (mimalloc 2.1's default) re-faulted 26k pages in bench/alloc_st,
// whose phases repeat about every 12 ms; 50 ms brought it to 4.9k (mimalloc
// 2.0: 3.6k) and still gives memory back well within a tenth of a second.
// It is the default of mi_option_purge_delay (0: at once, -1: never).
inline constexpr int64_t kPurgeDelayMs = 50;

// Empty segments of the standard size kept mapped for reuse: resident only
// until the purge delay passes, then address space alone. A live set that
// swings by a few hundred MiB reuses them instead of unmapping and mapping
// again (three system calls and the page faults, on the free and malloc
// paths): with 16, bench/latency made 847 munmap calls per million calls.
inline constexpr size_t kSegmentCacheMax = 64;
// Huge segments (one block above kLargeObjMax each) are cached too, up to
// this size, and the cache holds at most kSegmentCacheMax standard
// segments' worth of address space in all. Without it every free of a
// 1-10 MiB block was an munmap and every malloc a fresh mmap plus a page
// fault per page (bench/workloads/malloc_large: 100 times mimalloc's time,
// which keeps such blocks in its 32 MiB segments).
inline constexpr size_t kSegmentCacheLargest = 8 * kSegmentSize;
inline constexpr size_t kSegmentCacheMaxBytes = kSegmentCacheMax * kSegmentSize;

// Abandoned segments a thread adopts, at most, when it needs a new page
// (it stops at the first that has a free slot of the kind it needs).
inline constexpr size_t kReclaimBatch = 4;

// Bounds on the work of one allocation or free slow path, so that its
// worst-case time does not grow with the heap:
// - bytes of due purges given back to the OS (the rest waits for the next
//   slow path; a forced collect purges everything). A 1 MiB madvise takes
//   ~50 us here; 256 KiB did not lower free's p99.99 in bench/latency but
//   made daemon_profile's RSS take 1.5 s instead of 0.5 s to come down;
inline constexpr size_t kPurgeBudgetBytes = 1 * MiB;
// - pages of a bin examined for a free block before a fresh page is taken
//   (the examined full ones have moved to the full queue by then);
inline constexpr size_t kPageSearchMax = 16;
// - blocks taken from the heap's delayed-free list.
inline constexpr size_t kDelayedFreeBudget = 32;
// (The segment cache purges at most kPurgeBudgetBytes per operation too.)

// Abandoned segments looked at to find one of the caller's sub-process.
inline constexpr size_t kReclaimScanMax = 32;

// Free-slot queues a thread keeps: one for memory of no particular arena,
// one per arena (arena ids run from 1 to 64: core/arena.h).
inline constexpr size_t kArenaQueues = 65;

// Every this many allocation slow paths, the thread's due purges and the
// segment cache's run (bounded, as above), so a thread that keeps
// allocating from pages it already has still gives memory back in time.
inline constexpr uint32_t kGenericCollectPeriod = 64;

}  // namespace shardguard
