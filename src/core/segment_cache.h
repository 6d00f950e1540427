// A small, bounded, process-wide cache of empty standard-size segments.
// A segment enters it still dirty (its memory resident) and is purged only
// when it has waited kPurgeDelayMs unused: a thread that needs a segment soon
// after another thread emptied one (thread churn, phases of a workload)
// reuses warm memory, with no system call and no page fault.
#pragma once
#include <cstddef>

namespace shardguard::segment_cache {

// A cached segment, or nullptr. `*dirty` tells whether its memory past the
// header may hold old data (false: it reads as zero).
void* pop(bool* dirty);
// Takes an empty segment (`dirty`: its memory may hold old data); false when
// the cache is full (the caller unmaps it).
bool push(void* segment, bool dirty);

void lock_before_fork();
void unlock_after_fork(bool in_child);

}  // namespace shardguard::segment_cache
