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

void lock_before_fork();
void unlock_after_fork(bool in_child);

}  // namespace shardguard::abandoned
