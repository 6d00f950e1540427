// glibc's malloc introspection and tuning calls: malloc_trim, malloc_stats,
// mallinfo/mallinfo2, malloc_info and mallopt, answered from the core's own
// counters. Programs (and glibc-aware libraries) call them on any allocator,
// so each must work and tell the truth about this one.
#include <malloc.h>

#include <cerrno>
#include <climits>
#include <cstdio>

#include "core/stats.h"
#include "mimalloc.h"

using namespace shardguard;

#define SG_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

int64_t now(const stats::Counter& c) { return c.current.load(std::memory_order_relaxed); }
int64_t total(const stats::Counter& c) { return c.total.load(std::memory_order_relaxed); }
size_t bytes(int64_t v) { return v > 0 ? static_cast<size_t>(v) : 0; }

// glibc's fields, in this allocator's terms (all memory is mapped, so the
// in-use bytes are in uordblks and hblkhd stays 0):
//   arena     bytes mapped from the OS now (segments, huge ones included)
//   uordblks  bytes in allocated blocks (other threads' latest changes may
//             still be pending in their counters); fordblks: arena - uordblks
//   usmblks   peak of uordblks
//   ordblks   pages in use;  hblks: huge blocks in use (a segment each)
struct mallinfo2 snapshot() {
  struct mallinfo2 mi {};
  const stats::Snapshot allocated = stats::allocated_snapshot();
  mi.arena = bytes(now(stats::reserved));
  mi.ordblks = bytes(now(stats::pages));
  mi.hblks = bytes(now(stats::huge));
  mi.uordblks = allocated.current;
  mi.usmblks = allocated.peak;
  mi.fordblks = mi.arena > mi.uordblks ? mi.arena - mi.uordblks : 0;
  return mi;
}

int clamp(size_t v) { return v > INT_MAX ? INT_MAX : static_cast<int>(v); }

}  // namespace

SG_EXPORT struct mallinfo2 mallinfo2() noexcept { return snapshot(); }

SG_EXPORT struct mallinfo mallinfo() noexcept {
  const struct mallinfo2 m = snapshot();
  struct mallinfo mi {};
  mi.arena = clamp(m.arena);
  mi.ordblks = clamp(m.ordblks);
  mi.hblks = clamp(m.hblks);
  mi.hblkhd = clamp(m.hblkhd);
  mi.usmblks = clamp(m.usmblks);
  mi.uordblks = clamp(m.uordblks);
  mi.fordblks = clamp(m.fordblks);
  mi.keepcost = clamp(m.keepcost);
  return mi;
}

// Returns 1 when memory went back to the OS, as glibc does; `pad` (bytes to
// keep at the top of the heap) has no meaning without an sbrk heap.
SG_EXPORT int malloc_trim(size_t) noexcept {
  const int64_t purged = total(stats::purges);
  const int64_t mapped = now(stats::reserved);
  mi_collect(true);
  return total(stats::purges) > purged || now(stats::reserved) < mapped ? 1 : 0;
}

SG_EXPORT void malloc_stats() noexcept { mi_stats_print(nullptr); }

// glibc's XML shape (one <heap>, totals), so tools that parse it find their
// fields. options must be 0 (glibc: EINVAL otherwise).
SG_EXPORT int malloc_info(int options, FILE* fp) noexcept {
  if (options != 0 || fp == nullptr) {
    errno = EINVAL;
    return -1;
  }
  const struct mallinfo2 m = snapshot();
  fprintf(fp,
          "<malloc version=\"shardguard-1\">\n"
          "<heap nr=\"0\">\n<sizes>\n</sizes>\n"
          "<total type=\"fast\" count=\"0\" size=\"0\"/>\n"
          "<total type=\"rest\" count=\"%zu\" size=\"%zu\"/>\n"
          "<system type=\"current\" size=\"%zu\"/>\n<system type=\"max\" size=\"%zu\"/>\n"
          "<aspace type=\"total\" size=\"%zu\"/>\n<aspace type=\"mprotect\" size=\"%zu\"/>\n"
          "</heap>\n"
          "<total type=\"fast\" count=\"0\" size=\"0\"/>\n"
          "<total type=\"rest\" count=\"%zu\" size=\"%zu\"/>\n"
          "<total type=\"mmap\" count=\"%zu\" size=\"%zu\"/>\n"
          "<system type=\"current\" size=\"%zu\"/>\n<system type=\"max\" size=\"%zu\"/>\n"
          "<aspace type=\"total\" size=\"%zu\"/>\n<aspace type=\"mprotect\" size=\"%zu\"/>\n"
          "</malloc>\n",
          m.ordblks, m.fordblks, m.arena, m.usmblks, m.arena, m.arena, m.ordblks, m.fordblks, m.hblks, m.hblkhd,
          m.arena, m.usmblks, m.arena, m.arena);
  return 0;
}

// Every glibc tuning parameter is accepted (1) and ignored: none of them
// (arena count, mmap and trim thresholds, fastbin size, perturb byte, check
// action) has a counterpart in this design. An unknown parameter fails (0),
// as in glibc.
SG_EXPORT int mallopt(int param, int) noexcept {
  switch (param) {
    case M_MXFAST:
    case M_TRIM_THRESHOLD:
    case M_TOP_PAD:
    case M_MMAP_THRESHOLD:
    case M_MMAP_MAX:
    case M_CHECK_ACTION:
    case M_PERTURB:
    case M_ARENA_TEST:
    case M_ARENA_MAX:
      return 1;
    default:
      return 0;
  }
}

// glibc's internal names of the two.
SG_EXPORT struct mallinfo __libc_mallinfo() noexcept __attribute__((alias("mallinfo")));
SG_EXPORT int __libc_mallopt(int param, int value) noexcept __attribute__((alias("mallopt")));
