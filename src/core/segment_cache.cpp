#include "core/segment_cache.h"

#include <cstdint>

#include "core/config.h"
#include "core/os.h"
#include "core/spinlock.h"
#include "core/stats.h"

namespace shardguard::segment_cache {

namespace {

struct Entry {
  void* segment;
  int64_t purge_at;  // 0: already purged
};

SpinLock lock;
Entry entries[kSegmentCacheMax];
size_t count = 0;

// Under the lock. A purge of a whole segment is one madvise; the ranges
// never touched cost the kernel next to nothing.
void purge_due(int64_t now) {
  for (size_t i = 0; i < count; i++) {
    Entry& e = entries[i];
    if (e.purge_at != 0 && e.purge_at <= now) {
      os::purge(e.segment, kSegmentSize);
      e.purge_at = 0;
    }
  }
}

}  // namespace

void* pop(bool* dirty) {
  SpinGuard guard(lock);
  if (count == 0) return nullptr;
  purge_due(os::now_ms());
  stats::add(stats::cache_hits, 1);
  const Entry e = entries[--count];  // the most recently emptied: the warmest
  *dirty = e.purge_at != 0;
  return e.segment;
}

bool push(void* segment, bool dirty) {
  const int64_t now = os::now_ms();
  SpinGuard guard(lock);
  purge_due(now);
  if (count == kSegmentCacheMax) return false;
  entries[count++] = Entry{segment, dirty ? now + kPurgeDelayMs : 0};
  return true;
}

void lock_before_fork() { lock.lock(); }
void unlock_after_fork(bool in_child) {
  if (in_child) lock.reset();
  else lock.unlock();
}

}  // namespace shardguard::segment_cache
