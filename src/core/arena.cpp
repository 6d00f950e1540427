#include "core/arena.h"

#include <cstdint>
#include <cstdio>

#include "core/config.h"
#include "core/output.h"
#include "core/spinlock.h"

namespace shardguard::arena {

namespace {

// A chunk is one standard segment; an arena tracks up to kMaxChunks of them
// in a bitmap (8 GiB per arena with 4 MiB segments).
inline constexpr size_t kMaxChunks = 2048;
inline constexpr size_t kWordBits = 64;

struct Arena {
  uintptr_t start;  // as registered
  size_t size;
  uintptr_t first_chunk;  // first segment-aligned address inside
  size_t chunks;
  bool exclusive;
  bool is_large;
  bool is_zero;  // chunks never handed out read as zero
  int numa_node;
  uint64_t in_use[kMaxChunks / kWordBits];
  uint64_t dirty[kMaxChunks / kWordBits];  // handed out at least once
};

SpinLock lock;
Arena arenas[kMaxArenas];
int count = 0;

bool bit(const uint64_t* map, size_t i) { return (map[i / kWordBits] >> (i % kWordBits)) & 1; }
void set_bit(uint64_t* map, size_t i, bool on) {
  const uint64_t mask = uint64_t{1} << (i % kWordBits);
  if (on) map[i / kWordBits] |= mask;
  else map[i / kWordBits] &= ~mask;
}

// First run of n free chunks; kMaxChunks when there is none.
size_t find_run(const Arena& a, size_t n) {
  size_t run = 0;
  for (size_t i = 0; i < a.chunks; i++) {
    run = bit(a.in_use, i) ? 0 : run + 1;
    if (run == n) return i + 1 - n;
  }
  return kMaxChunks;
}

void* take(Arena& a, size_t n, bool* is_zero) {
  const size_t first = find_run(a, n);
  if (first == kMaxChunks) return nullptr;
  bool zero = a.is_zero;
  for (size_t i = first; i < first + n; i++) {
    if (bit(a.dirty, i)) zero = false;
    set_bit(a.in_use, i, true);
    set_bit(a.dirty, i, true);
  }
  *is_zero = zero;
  return reinterpret_cast<void*>(a.first_chunk + first * kSegmentSize);
}

}  // namespace

bool any() { return __atomic_load_n(&count, __ATOMIC_ACQUIRE) > 0; }

void lock_before_fork() { lock.lock(); }
void unlock_after_fork(bool in_child) {
  if (in_child) lock.reset();
  else lock.unlock();
}

int add(void* start, size_t size, bool exclusive, bool is_large, bool is_zero, int numa_node) {
  const auto s = reinterpret_cast<uintptr_t>(start);
  if (!start || size == 0 || s + size < s) return 0;
  const uintptr_t first = (s + kSegmentSize - 1) & ~uintptr_t{kSegmentMask};
  const uintptr_t end = (s + size) & ~uintptr_t{kSegmentMask};
  if (end <= first) return 0;
  size_t chunks = (end - first) / kSegmentSize;
  if (chunks > kMaxChunks) chunks = kMaxChunks;
  SpinGuard guard(lock);
  if (count == kMaxArenas) return 0;
  Arena& a = arenas[count];
  a = Arena{};
  a.start = s;
  a.size = size;
  a.first_chunk = first;
  a.chunks = chunks;
  a.exclusive = exclusive;
  a.is_large = is_large;
  a.is_zero = is_zero;
  a.numa_node = numa_node;
  __atomic_store_n(&count, count + 1, __ATOMIC_RELEASE);  // any() reads it without the lock
  return count;
}

bool exists(int id) {
  SpinGuard guard(lock);
  return id >= 1 && id <= count;
}

void* area(int id, size_t* size) {
  SpinGuard guard(lock);
  if (id < 1 || id > count) {
    if (size) *size = 0;
    return nullptr;
  }
  if (size) *size = arenas[id - 1].size;
  return reinterpret_cast<void*>(arenas[id - 1].start);
}

bool contains(const void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  SpinGuard guard(lock);
  for (int i = 0; i < count; i++) {
    if (a >= arenas[i].start && a - arenas[i].start < arenas[i].size) return true;
  }
  return false;
}

void* alloc(int id, size_t size, bool* is_zero) {
  const size_t n = (size + kSegmentSize - 1) / kSegmentSize;
  SpinGuard guard(lock);
  if (id != 0) return id <= count && id >= 1 ? take(arenas[id - 1], n, is_zero) : nullptr;
  for (int i = 0; i < count; i++) {
    if (arenas[i].exclusive) continue;
    if (void* p = take(arenas[i], n, is_zero)) return p;
  }
  return nullptr;
}

bool free(void* p, size_t size) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  const size_t n = (size + kSegmentSize - 1) / kSegmentSize;
  SpinGuard guard(lock);
  for (int i = 0; i < count; i++) {
    Arena& ar = arenas[i];
    if (a < ar.first_chunk || a >= ar.first_chunk + ar.chunks * kSegmentSize) continue;
    const size_t first = (a - ar.first_chunk) / kSegmentSize;
    for (size_t c = first; c < first + n && c < ar.chunks; c++) set_bit(ar.in_use, c, false);
    return true;
  }
  return false;
}

void print() {
  char line[160];
  int n;
  {
    SpinGuard guard(lock);
    n = count;
  }
  snprintf(line, sizeof line, "arenas: %d\n", n);
  output::message(line);
  for (int i = 0; i < n; i++) {
    size_t used = 0;
    Arena copy;
    {
      SpinGuard guard(lock);
      copy = arenas[i];
    }
    for (size_t c = 0; c < copy.chunks; c++) used += bit(copy.in_use, c);
    snprintf(line, sizeof line, "  arena %d: %p, %zu KiB, %zu of %zu segments in use%s%s\n", i + 1,
             reinterpret_cast<void*>(copy.start), copy.size / 1024, used, copy.chunks, copy.exclusive ? ", exclusive" : "",
             copy.is_large ? ", large pages" : "");
    output::message(line);
  }
}

}  // namespace shardguard::arena
