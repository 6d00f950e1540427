// mimalloc API: arenas and OS memory reserved up front.
#include <cerrno>
#include <ctime>

#include "core/arena.h"
#include "core/config.h"
#include "core/os.h"
#include "mimalloc.h"

using namespace shardguard;

namespace {

constexpr size_t kGiB = size_t{1} << 30;

void set_id(mi_arena_id_t* out, int id) {
  if (out) *out = id;
}

// Reserves `pages` 1 GiB huge pages as one arena. ENOMEM when the system
// has none (no hugetlbfs 1 GiB pool: the common case) or the timeout passed.
int reserve_huge(size_t pages, int numa_node, size_t timeout_msecs, bool exclusive, mi_arena_id_t* arena_id,
                 size_t* reserved) {
  set_id(arena_id, 0);
  if (reserved) *reserved = 0;
  if (pages == 0) return 0;
  size_t bytes;
  if (__builtin_mul_overflow(pages, kGiB, &bytes)) return ENOMEM;
  const int64_t deadline = timeout_msecs ? os::now_ms() + static_cast<int64_t>(timeout_msecs) : INT64_MAX;
  void* p = os::alloc_huge_1g(bytes);
  if (!p || os::now_ms() > deadline) {
    if (p) os::free(p, bytes);
    return ENOMEM;
  }
  const int id = arena::add(p, bytes, exclusive, true, true, numa_node);
  if (id == 0) {
    os::free(p, bytes);
    return ENOMEM;
  }
  set_id(arena_id, id);
  if (reserved) *reserved = pages;
  return 0;
}

}  // namespace

extern "C" {

int mi_reserve_os_memory_ex(size_t size, bool commit, bool allow_large, bool exclusive, mi_arena_id_t* arena_id) noexcept {
  (void)commit;  // memory is mapped read-write; Linux commits it on first touch
  set_id(arena_id, 0);
  if (size == 0) return EINVAL;
  // Room for at least one whole, aligned segment.
  size_t bytes = (size + kSegmentMask) & ~size_t{kSegmentMask};
  if (bytes < size) return ENOMEM;
  void* p = os::alloc_aligned(bytes, kSegmentSize);
  if (!p) return ENOMEM;
  // allow_large: large OS pages are not used (transparent huge pages may back the range).
  (void)allow_large;
  const int id = arena::add(p, bytes, exclusive, false, true, -1);
  if (id == 0) {
    os::free(p, bytes);
    return ENOMEM;
  }
  set_id(arena_id, id);
  return 0;
}

int mi_reserve_os_memory(size_t size, bool commit, bool allow_large) noexcept {
  return mi_reserve_os_memory_ex(size, commit, allow_large, false, nullptr);
}

bool mi_manage_os_memory_ex(void* start, size_t size, bool is_committed, bool is_large, bool is_zero, int numa_node,
                            bool exclusive, mi_arena_id_t* arena_id) noexcept {
  (void)is_committed;
  set_id(arena_id, 0);
  const int id = arena::add(start, size, exclusive, is_large, is_zero, numa_node);
  if (id == 0) return false;
  set_id(arena_id, id);
  return true;
}

bool mi_manage_os_memory(void* start, size_t size, bool is_committed, bool is_large, bool is_zero, int numa_node) noexcept {
  return mi_manage_os_memory_ex(start, size, is_committed, is_large, is_zero, numa_node, false, nullptr);
}

int mi_reserve_huge_os_pages_at_ex(size_t pages, int numa_node, size_t timeout_msecs, bool exclusive,
                                   mi_arena_id_t* arena_id) noexcept {
  return reserve_huge(pages, numa_node, timeout_msecs, exclusive, arena_id, nullptr);
}

int mi_reserve_huge_os_pages_at(size_t pages, int numa_node, size_t timeout_msecs) noexcept {
  return reserve_huge(pages, numa_node, timeout_msecs, false, nullptr, nullptr);
}

int mi_reserve_huge_os_pages_interleave(size_t pages, size_t numa_nodes, size_t timeout_msecs) noexcept {
  // One NUMA node is assumed: the pages are reserved together.
  (void)numa_nodes;
  return reserve_huge(pages, -1, timeout_msecs, false, nullptr, nullptr);
}

int mi_reserve_huge_os_pages(size_t pages, double max_secs, size_t* pages_reserved) noexcept {
  const size_t timeout = max_secs <= 0 ? 0 : static_cast<size_t>(max_secs * 1000.0);
  return reserve_huge(pages, -1, timeout, false, nullptr, pages_reserved);
}

void* mi_arena_area(mi_arena_id_t arena_id, size_t* size) { return arena::area(arena_id, size); }

void mi_arenas_print(void) noexcept { arena::print(); }

void mi_debug_show_arenas(void) noexcept { arena::print(); }

}  // extern "C"
