// A small, bounded cache of purged standard-size segments, so that a
// workload that frees and re-allocates its last segment does not map and
// unmap 4 MiB each time.
#pragma once
#include "core/types.h"

namespace shardguard::segment_cache {

// A cached segment (its pages purged), or nullptr.
void* pop();
// Takes a segment whose memory beyond the header has been purged; false
// when the cache is full (the caller unmaps it).
bool push(void* segment);

void lock_before_fork();
void unlock_after_fork(bool in_child);

}  // namespace shardguard::segment_cache
