// A small, bounded, process-wide cache of empty standard-size segments.
// A segment enters it still dirty (its memory resident) and is purged only
// when it has waited the purge delay unused: a thread that needs a segment
// soon after another thread emptied one (thread churn, phases of a
// workload) reuses warm memory, with no system call and no page fault.
// At most kSegmentCacheMax segments wait here, so an emptied heap never
// holds more than that much address space, and none of it resident once
// the delay has passed.
#pragma once
#include <cstddef>
#include <cstdint>

namespace shardguard::segment_cache {

// A cached segment, or nullptr. `*dirty` tells whether its memory past the
// header may hold old data (false: it reads as zero); `*guards` is what
// push was told of its guard pages.
void* pop(bool* dirty, uint8_t* guards);
// Takes an empty segment (`dirty`: its memory may hold old data; `guards`:
// a tag of the guard pages it still has, secure/guard_pages.h); false when
// the cache is full (the caller unmaps it).
bool push(void* segment, bool dirty, uint8_t guards);

// Purges cached segments whose delay has passed: at most kPurgeBudgetBytes
// (pop and push call it too); with force, every cached segment, due or not.
void purge_due(bool force);
// Unmaps cached segments, the oldest first, until at most `keep_bytes` of
// them stay mapped (0: the cache is emptied).
void release(size_t keep_bytes);

void lock_before_fork();
void unlock_after_fork(bool in_child);

}  // namespace shardguard::segment_cache
