// realloc-grow — large blocks grown by realloc, as a buffer that receives a
// stream (an HTTP body, a log, a vector) grows: from 64 KiB up to 8 MiB in
// steps of 64 KiB, then freed. The content written so far must survive every
// move, so the prefix is checked at each step (three pages) and in full (every
// page) at the end. Each thread grows its own buffers.
//
// SIZE: buffers grown per thread.
#include <initializer_list>
#include <thread>
#include <vector>

#include "workload.h"

namespace {

constexpr const char* kName = "realloc-grow";
constexpr size_t kStep = 64 * 1024;
constexpr size_t kMaxBytes = 8 * 1024 * 1024;

inline uint8_t byte_at(size_t i, uint64_t salt) { return static_cast<uint8_t>((i >> 12) * 131 + salt); }

uint64_t grow_one(uint64_t salt) {
  uint8_t* buf = nullptr;
  size_t size = 0;
  uint64_t checks = 0;
  while (size < kMaxBytes) {
    const size_t grown = size + kStep;
    buf = static_cast<uint8_t*>(std::realloc(buf, grown));
    if (!buf) wl::fail(kName, "realloc returned NULL", nullptr, grown);
    // The first, a middle and the last page written so far: enough to catch a
    // move that lost content, without making the check quadratic.
    if (size > 0) {
      for (size_t i : {size_t{0}, (size / 2) & ~size_t{4095}, size - 4096}) {
        if (buf[i] != byte_at(i, salt)) wl::fail(kName, "realloc lost content", buf + i, i);
        ++checks;
      }
    }
    // Write the new part page by page (a page touched is a page paid for).
    for (size_t i = size; i < grown; i += 4096) buf[i] = byte_at(i, salt);
    size = grown;
  }
  for (size_t i = 0; i < size; i += 4096, ++checks) {
    if (buf[i] != byte_at(i, salt)) wl::fail(kName, "final content wrong", buf + i, i);
  }
  std::free(buf);
  return checks;
}

}  // namespace

int main(int argc, char** argv) {
  const wl::Args a = wl::parse_args(argc, argv, kName, 1, 40);
  std::vector<uint64_t> checks(a.threads, 0);
  wl::Stopwatch clock;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < a.threads; ++t) {
    pool.emplace_back([&, t] {
      for (uint64_t b = 0; b < a.size; ++b) checks[t] += grow_one(b * 7 + t);
    });
  }
  for (auto& th : pool) th.join();
  const double elapsed = clock.seconds();
  uint64_t total = 0;
  for (uint64_t c : checks) total += c;
  // Per buffer: three pages at every step but the first, then every page.
  const uint64_t steps = kMaxBytes / kStep;
  wl::expect_equal(kName, "pages checked", total, a.threads * a.size * (3 * (steps - 1) + kMaxBytes / 4096));
  wl::report(kName, a, elapsed, total, total);
  return 0;
}
