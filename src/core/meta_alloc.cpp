#include "core/meta_alloc.h"

#include <cstring>

#include "core/error.h"
#include "core/os.h"
#include "core/spinlock.h"
#include "core/stats.h"
#include "core/types.h"
#include "secure/guard_pages.h"

namespace shardguard::meta {

namespace {

constexpr size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }
constexpr size_t kSlotSize = round_up(sizeof(ThreadData) > sizeof(Heap) ? sizeof(ThreadData) : sizeof(Heap), 64);
constexpr size_t kChunkSize = 64 * KiB;

struct FreeSlot {
  FreeSlot* next;
};

SpinLock lock;
FreeSlot* free_slots = nullptr;

bool refill() {
  // guard_pages: a guard page on each side of the chunk.
  constexpr size_t guard = secure::kGuardSize;
  auto* mem = static_cast<char*>(os::alloc(kChunkSize + 2 * guard));
  if (!mem) return false;
  if constexpr (guard > 0) {
    os::protect(mem, guard, false);
    os::protect(mem + guard + kChunkSize, guard, false);
  }
  char* chunk = mem + guard;
  stats::add(stats::metadata, kChunkSize);
  for (size_t off = 0; off + kSlotSize <= kChunkSize; off += kSlotSize) {
    auto* slot = reinterpret_cast<FreeSlot*>(chunk + off);
    slot->next = free_slots;
    free_slots = slot;
  }
  return true;
}

}  // namespace

void* alloc(size_t size) {
  if (size > kSlotSize) fatal("internal error: metadata object of %zu bytes exceeds the slot size %zu", size, kSlotSize);
  FreeSlot* slot;
  {
    SpinGuard guard(lock);
    if (!free_slots && !refill()) return nullptr;
    slot = free_slots;
    free_slots = slot->next;
  }
  memset(slot, 0, kSlotSize);
  return slot;
}

void free(void* p) {
  if (!p) return;
  auto* slot = static_cast<FreeSlot*>(p);
  SpinGuard guard(lock);
  slot->next = free_slots;
  free_slots = slot;
}

void lock_before_fork() { lock.lock(); }
void unlock_after_fork(bool in_child) {
  if (in_child) lock.reset();
  else lock.unlock();
}

}  // namespace shardguard::meta
