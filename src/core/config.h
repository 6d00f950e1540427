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
inline constexpr int64_t kPurgeDelayMs = 50;

// Segments of the standard size kept mapped (purged) for reuse.
inline constexpr size_t kSegmentCacheMax = 16;

// Abandoned segments a thread adopts when it needs a new page.
inline constexpr size_t kReclaimBatch = 8;

}  // namespace shardguard
