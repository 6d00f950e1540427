// What every workload program shares: its command line, the stamping and
// checking of the blocks it writes, and the one line of results it prints.
//
// A workload is a plain program against malloc/free/new/delete, run with an
// allocator preloaded, so it must never link shardguard. Each is called as
//
//   wl_NAME THREADS SIZE
//
// where SIZE scales the work (its unit is the workload's own: operations,
// nodes, requests) and prints, on success, one line
//
//   result NAME threads=T size=S elapsed_s=X checks=N checksum=C
//
// The checks are the point: a benchmark that measures a bug is worse than none,
// so every block a workload frees was verified first, and a mismatch ends the
// program with status 2 and a line naming what was wrong.
#pragma once

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "../xorshift.h"

namespace wl {

struct Args {
  unsigned threads;
  uint64_t size;
};

inline Args parse_args(int argc, char** argv, const char* name, unsigned default_threads, uint64_t default_size) {
  Args a{default_threads, default_size};
  if (argc > 1) a.threads = static_cast<unsigned>(std::strtoul(argv[1], nullptr, 10));
  if (argc > 2) a.size = std::strtoull(argv[2], nullptr, 10);
  if (argc > 3 || a.threads == 0 || a.size == 0) {
    std::fprintf(stderr, "usage: %s [threads>0] [size>0]\n", name);
    std::exit(64);
  }
  return a;
}

[[noreturn]] inline void fail(const char* workload, const char* what, const void* p, uint64_t detail) {
  std::fprintf(stderr, "%s: SELF-CHECK FAILED: %s (block %p, detail %" PRIu64 ")\n", workload, what, p, detail);
  std::exit(2);
}

inline uint8_t fill_byte(uint64_t tag) { return static_cast<uint8_t>(tag * 0x2Fu + (tag >> 11) + 1); }

// Writes the whole block: the tag at both ends (when it fits) and a fill byte
// derived from the tag in between, so a block handed out twice, or written by
// the allocator while live, shows up at the check.
inline void stamp(void* p, size_t size, uint64_t tag) {
  auto* b = static_cast<uint8_t*>(p);
  std::memset(b, fill_byte(tag), size);
  if (size >= 16) {
    std::memcpy(b, &tag, 8);
    const uint64_t inverted = ~tag;
    std::memcpy(b + size - 8, &inverted, 8);
  }
}

// Checks what stamp() wrote: both ends and every 32nd byte in between.
// Returns a value to fold into the workload's checksum.
inline uint64_t verify(const char* workload, const void* p, size_t size, uint64_t tag) {
  const auto* b = static_cast<const uint8_t*>(p);
  const uint8_t fb = fill_byte(tag);
  size_t lo = 0, hi = size;
  if (size >= 16) {
    uint64_t head, tail;
    std::memcpy(&head, b, 8);
    std::memcpy(&tail, b + size - 8, 8);
    if (head != tag) fail(workload, "head of block overwritten", p, tag);
    if (tail != ~tag) fail(workload, "tail of block overwritten", p, tag);
    lo = 8;
    hi = size - 8;
  }
  for (size_t i = lo; i < hi; i += 32) {
    if (b[i] != fb) fail(workload, "inside of block overwritten", p, tag);
  }
  if (hi > lo && b[hi - 1] != fb) fail(workload, "last byte of block overwritten", p, tag);
  return tag ^ size;
}

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

inline void report(const char* workload, const Args& a, double seconds, uint64_t checks, uint64_t checksum) {
  std::printf("result %s threads=%u size=%" PRIu64 " elapsed_s=%.6f checks=%" PRIu64 " checksum=%016" PRIx64 "\n",
              workload, a.threads, a.size, seconds, checks, checksum);
}

// A workload's checks must have seen exactly what it made.
inline void expect_equal(const char* workload, const char* what, uint64_t got, uint64_t want) {
  if (got != want) {
    std::fprintf(stderr, "%s: SELF-CHECK FAILED: %s: %" PRIu64 ", expected %" PRIu64 "\n", workload, what, got, want);
    std::exit(2);
  }
}

// The end of a workload whose threads each kept a tally (made, checked,
// sum): every object made was checked, then the result line.
template <typename Tally, typename Tallies>
void finish(const char* workload, const Args& a, double seconds, const Tallies& tallies) {
  uint64_t made = 0, checked = 0, sum = 0;
  for (const Tally& t : tallies) {
    made += t.made;
    checked += t.checked;
    sum += t.sum;
  }
  expect_equal(workload, "objects checked", checked, made);
  report(workload, a, seconds, checked, sum);
}

}  // namespace wl
