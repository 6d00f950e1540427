#include "core/segment_cache.h"

#include <cstdint>

#include "core/config.h"
#include "core/os.h"
#include "core/purge_queue.h"
#include "core/spinlock.h"
#include "core/stats.h"

namespace shardguard::segment_cache {

namespace {

struct Entry {
  void* segment;
  size_t size;
  int64_t purge_at;  // 0: purged; INT64_MAX: only a forced purge
  size_t purged;     // bytes from the start already purged (a purge goes in chunks)
  uint8_t guards;    // the layout of its guard pages (a purge leaves them)
};

// entries[0] is the oldest; pop takes the newest (the warmest). No system
// call is made under the lock: a segment being purged or unmapped is out
// of the array meanwhile, so other threads never wait for the kernel.
SpinLock lock;
Entry entries[kSegmentCacheMax];
size_t count = 0;
size_t bytes = 0;  // the sizes of the entries, summed

int64_t purge_time(int64_t now) { return purge::due_at(now); }

void remove_at(size_t i) {
  bytes -= entries[i].size;
  for (size_t j = i + 1; j < count; j++) entries[j - 1] = entries[j];
  count--;
}

// Under the lock: takes the oldest entry that is due at `now` out of the
// array; false if there is none.
bool take_due(int64_t now, Entry* out) {
  for (size_t i = 0; i < count; i++) {
    if (entries[i].purge_at != 0 && entries[i].purge_at <= now) {
      *out = entries[i];
      remove_at(i);
      return true;
    }
  }
  return false;
}

// Under the lock: puts a partly or wholly purged entry back, at the old
// end (a cold segment is the last one pop should hand out); false when
// the cache filled up meanwhile.
bool put_back(const Entry& e) {
  if (count == kSegmentCacheMax || bytes + e.size > kSegmentCacheMaxBytes) return false;
  for (size_t j = count; j > 0; j--) entries[j] = entries[j - 1];
  entries[0] = e;
  count++;
  bytes += e.size;
  return true;
}

// Purges up to `chunks` chunks of kPurgeBudgetBytes of due segments (all
// of them with force); the kernel calls run outside the lock.
void purge_chunks(int64_t now, size_t chunks) {
  while (chunks-- > 0) {
    Entry e;
    {
      SpinGuard guard(lock);
      if (!take_due(now, &e)) return;
    }
    size_t size = e.size - e.purged;
    if (size > kPurgeBudgetBytes && now != INT64_MAX) size = kPurgeBudgetBytes;
    os::purge(static_cast<uint8_t*>(e.segment) + e.purged, size);
    e.purged += size;
    if (e.purged == e.size) e.purge_at = 0;
    bool kept;
    {
      SpinGuard guard(lock);
      kept = put_back(e);
    }
    if (!kept) os::free(e.segment, e.size);
  }
}

}  // namespace

void* pop(size_t* size, size_t max_size, uint8_t want_guards, bool* dirty, uint8_t* guards) {
  Entry e;
  {
    SpinGuard guard(lock);
    // The smallest that fits; among those, one whose guard pages are already
    // where the new layout wants them (no mprotect), the newest first.
    size_t best = count;
    for (size_t i = count; i-- > 0;) {
      const Entry& c = entries[i];
      if (c.size < *size || c.size > max_size) continue;
      if (best == count || c.size < entries[best].size ||
          (c.size == entries[best].size && want_guards != 0 && c.guards == want_guards &&
           entries[best].guards != want_guards)) {
        best = i;
      }
    }
    if (best == count) return nullptr;
    e = entries[best];
    remove_at(best);
  }
  *size = e.size;
  stats::add(stats::cache_hits, 1);
  *dirty = e.purge_at != 0;
  *guards = e.guards;
  purge_due(false);
  return e.segment;
}

bool push(void* segment, size_t size, bool dirty, uint8_t guards) {
  if (size > kSegmentCacheLargest) return false;
  const int64_t now = os::now_ms();
  if (dirty && purge::delay_ms() == 0) {  // purge delay 0: at once, whole
    os::purge(segment, size);
    dirty = false;
  }
  const Entry e{segment, size, dirty ? purge_time(now) : 0, dirty ? size_t{0} : size, guards};
  // Full: make room by unmapping the oldest purged segments (cheap: no
  // resident page); if that is not enough, the caller unmaps this one.
  Entry evicted[kSegmentCacheLargest / kSegmentSize];
  size_t n_evicted = 0;
  bool taken = true;
  {
    SpinGuard guard(lock);
    size_t i = 0;
    while ((count == kSegmentCacheMax || bytes + size > kSegmentCacheMaxBytes) && i < count &&
           n_evicted < sizeof evicted / sizeof evicted[0]) {
      if (entries[i].purge_at != 0) {
        i++;
        continue;
      }
      evicted[n_evicted++] = entries[i];
      remove_at(i);
    }
    if (count == kSegmentCacheMax || bytes + size > kSegmentCacheMaxBytes) {
      taken = false;
    } else {
      entries[count++] = e;
      bytes += size;
    }
  }
  for (size_t k = 0; k < n_evicted; k++) os::free(evicted[k].segment, evicted[k].size);
  if (!taken) return false;
  purge_due(false);
  return true;
}

void purge_due(bool force) {
  if (force) purge_chunks(INT64_MAX, kSegmentCacheMax);
  else purge_chunks(os::now_ms(), 1);
}

void release(size_t keep_bytes) {
  for (;;) {
    Entry oldest;
    {
      SpinGuard guard(lock);
      if (count == 0 || bytes <= keep_bytes) return;
      oldest = entries[0];
      remove_at(0);
    }
    os::free(oldest.segment, oldest.size);  // outside the lock: takes a while if resident
  }
}

void lock_before_fork() { lock.lock(); }
void unlock_after_fork(bool in_child) {
  if (in_child) lock.reset();
  else lock.unlock();
}

}  // namespace shardguard::segment_cache
