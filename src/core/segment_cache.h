// A small, bounded, process-wide cache of empty segments: standard-size
// ones, and huge ones up to kSegmentCacheLargest (reused for a segment of
// their size or a little less).
// A segment enters it still dirty (its memory resident) and is purged only
// when it has waited the purge delay unused: a thread that needs a segment
// soon after another thread emptied one (thread churn, phases of a
// workload) reuses warm memory, with no system call and no page fault.
// At most kSegmentCacheMax segments and kSegmentCacheMaxBytes wait here, so
// an emptied heap never holds more than that much address space, and none
// of it resident once the delay has passed.
#pragma once
#include <cstddef>
#include <cstdint>

namespace shardguard::segment_cache {

// A cached segment of `*size` bytes up to `max_size` (the smallest such;
// of those, one pushed with `want_guards` if any, else the newest; `*size`
// becomes its size), or nullptr. `*dirty` tells whether its memory past the
// header may hold old data (false: it reads as zero); `*guards` is what
// push was told of its guard pages.
void* pop(size_t* size, size_t max_size, uint8_t want_guards, bool* dirty, uint8_t* guards);
// Takes an empty segment of `size` bytes (`dirty`: its memory may hold old
// data; `guards`: a tag of the guard pages it still has,
// secure/guard_pages.h); false when the cache is full or the size is not
// cached (the caller unmaps it).
bool push(void* segment, size_t size, bool dirty, uint8_t guards);

// Purges cached segments whose delay has passed: at most kPurgeBudgetBytes
// (pop and push call it too); with force, every cached segment, due or not.
void purge_due(bool force);
// Unmaps cached segments, the oldest first, until at most `keep_bytes` of
// them stay mapped (0: the cache is emptied).
void release(size_t keep_bytes);

void lock_before_fork();
void unlock_after_fork(bool in_child);

}  // namespace shardguard::segment_cache
