// The global list of segments whose owner thread has exited. A slow-path
// lock guards it; segments leave it when a live thread reclaims them.
#pragma once
#include "core/types.h"

namespace shardguard::abandoned {

void push(Segment* s);
// Some abandoned segment, unlinked, or nullptr.
Segment* pop();
// Unlinks s if it is still abandoned; false if another thread took it.
bool remove(Segment* s);
// Cheap, racy hint: is there anything to reclaim?
bool any();
// Calls fn on each abandoned segment while holding the list's lock (no
// segment can be reclaimed meanwhile); stops when fn returns false.
void for_each(bool (*fn)(Segment* s, void* arg), void* arg);

void lock_before_fork();
void unlock_after_fork(bool in_child);

}  // namespace shardguard::abandoned
