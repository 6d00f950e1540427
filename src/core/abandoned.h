// The global list of segments whose owner thread has exited. A slow-path
// lock guards it; segments leave it when a live thread reclaims them.
#pragma once
#include "core/types.h"

namespace shardguard::abandoned {

// `subproc`: the sub-process of the exiting owner (kept in s, under the lock).
void push(Segment* s, const void* subproc);
// An abandoned segment of the sub-process, unlinked, or nullptr. Looks at
// the first kReclaimScanMax segments only (a bounded slow path).
Segment* pop(const void* subproc);
// Unlinks s if it is still abandoned and of `subproc`; false if another
// thread took it or it belongs to another sub-process.
bool remove(Segment* s, const void* subproc);
// Cheap, racy hint: is there anything to reclaim?
bool any();
// Calls fn on each abandoned segment while holding the list's lock (no
// segment can be reclaimed meanwhile); stops when fn returns false.
void for_each(bool (*fn)(Segment* s, void* arg), void* arg);

void lock_before_fork();
void unlock_after_fork(bool in_child);

}  // namespace shardguard::abandoned
