#include "core/os.h"

#include <cerrno>
#include <cstdint>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/error.h"
#include "core/stats.h"
#include "core/track.h"

namespace shardguard::os {

namespace {

class ErrnoKeeper {
 public:
  ErrnoKeeper() : saved_(errno) {}
  ~ErrnoKeeper() { errno = saved_; }

 private:
  int saved_;
};

constinit thread_local uintptr_t placement_hint __attribute__((tls_model("initial-exec"))) = 0;

void* map(size_t size) {
  void* hint = reinterpret_cast<void*>(placement_hint);
  placement_hint = 0;
  void* p = mmap(hint, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

}  // namespace

void init() {
  long ps = sysconf(_SC_PAGESIZE);
  if (ps != static_cast<long>(kOsPageSize)) fatal("the OS page size is %ld bytes; this build expects %zu", ps, kOsPageSize);
}

void* alloc(size_t size) {
  ErrnoKeeper keep;
  void* p = map(size);
  if (p) stats::add(stats::reserved, size);
  return p;
}

void* alloc_aligned(size_t size, size_t alignment) {
  ErrnoKeeper keep;
  if (alignment <= kOsPageSize) return alloc(size);
  // Map with room to spare and trim both ends to the aligned range.
  const size_t over = size + alignment;
  if (over < size) return nullptr;
  auto* raw = static_cast<char*>(map(over));
  if (!raw) return nullptr;
  const uintptr_t start = (reinterpret_cast<uintptr_t>(raw) + alignment - 1) & ~(alignment - 1);
  auto* aligned = reinterpret_cast<char*>(start);
  const size_t head = static_cast<size_t>(aligned - raw);
  const size_t tail = over - head - size;
  if (head) munmap(raw, head);
  if (tail) munmap(aligned + size, tail);
  stats::add(stats::reserved, size);
  return aligned;
}

void free(void* p, size_t size) {
  ErrnoKeeper keep;
  track::reset(p, size);
  if (munmap(p, size) != 0) warning("munmap(%p, %zu) failed with errno %d", p, size, errno);
  stats::sub(stats::reserved, size);
}

void protect(void* p, size_t size, bool accessible) {
  ErrnoKeeper keep;
  if (accessible) track::reset(p, size);
  else track::no_access(p, size);
  if (mprotect(p, size, accessible ? PROT_READ | PROT_WRITE : PROT_NONE) != 0) {
    // A guard that cannot be set (vm.max_map_count reached) is a protection
    // silently lost: say so, once per process at most a few times.
    warning("mprotect(%p, %zu) failed with errno %d (vm.max_map_count too low for the guard pages?)", p, size, errno);
  }
}

void set_placement_hint(uintptr_t hint) { placement_hint = hint; }

void purge(void* p, size_t size) {
  ErrnoKeeper keep;
  if (size == 0) return;
  madvise(p, size, MADV_DONTNEED);
  stats::add(stats::purges, 1);
}

void* alloc_huge_1g(size_t size) {
  ErrnoKeeper keep;
#if defined(MAP_HUGETLB) && defined(MAP_HUGE_SHIFT)
  constexpr int kHuge1G = 30 << MAP_HUGE_SHIFT;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | kHuge1G, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  stats::add(stats::reserved, static_cast<int64_t>(size));
  return p;
#else
  (void)size;
  return nullptr;
#endif
}

int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace shardguard::os
