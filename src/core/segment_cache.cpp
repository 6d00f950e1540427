#include "core/segment_cache.h"

#include "core/spinlock.h"
#include "core/stats.h"

namespace shardguard::segment_cache {

namespace {
SpinLock lock;
void* entries[kSegmentCacheMax];
size_t count = 0;
}  // namespace

void* pop() {
  SpinGuard guard(lock);
  if (count == 0) return nullptr;
  stats::add(stats::cache_hits, 1);
  return entries[--count];
}

bool push(void* segment) {
  SpinGuard guard(lock);
  if (count == kSegmentCacheMax) return false;
  entries[count++] = segment;
  return true;
}

void lock_before_fork() { lock.lock(); }
void unlock_after_fork(bool in_child) {
  if (in_child) lock.reset();
  else lock.unlock();
}

}  // namespace shardguard::segment_cache
