#include "core/abandoned.h"

#include <atomic>

#include "core/spinlock.h"
#include "core/stats.h"

namespace shardguard::abandoned {

namespace {
SpinLock lock;
SegmentList list{};
std::atomic<size_t> count{0};

void unlink(Segment* s) {
  if (s->prev) s->prev->next = s->next;
  else list.first = s->next;
  if (s->next) s->next->prev = s->prev;
  else list.last = s->prev;
  s->next = s->prev = nullptr;
  s->abandoned = false;
  count.fetch_sub(1, std::memory_order_relaxed);
  stats::sub(stats::abandoned, 1);
}
}  // namespace

void push(Segment* s, const void* subproc) {
  SpinGuard guard(lock);
  s->abandoned = true;
  s->subproc = subproc;
  s->prev = list.last;
  s->next = nullptr;
  if (list.last) list.last->next = s;
  else list.first = s;
  list.last = s;
  count.fetch_add(1, std::memory_order_relaxed);
  stats::add(stats::abandoned, 1);
}

Segment* pop(const void* subproc) {
  if (!any()) return nullptr;
  SpinGuard guard(lock);
  size_t scanned = 0;
  for (Segment* s = list.first; s && scanned < kReclaimScanMax; s = s->next, scanned++) {
    if (s->subproc != subproc) continue;
    unlink(s);
    return s;
  }
  return nullptr;
}

bool remove(Segment* s, const void* subproc) {
  SpinGuard guard(lock);
  if (!s->abandoned || s->subproc != subproc) return false;
  unlink(s);
  return true;
}

bool any() { return count.load(std::memory_order_relaxed) != 0; }

void for_each(bool (*fn)(Segment* s, void* arg), void* arg) {
  SpinGuard guard(lock);
  for (Segment* s = list.first; s; s = s->next) {
    if (!fn(s, arg)) return;
  }
}

void lock_before_fork() { lock.lock(); }
void unlock_after_fork(bool in_child) {
  if (in_child) lock.reset();
  else lock.unlock();
}

}  // namespace shardguard::abandoned
