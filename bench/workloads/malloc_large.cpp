// malloc-large — many large blocks, 1 to 10 MiB, of which a handful stay live
// at a time (a decoder's frame buffers, a database's sort runs): each new block
// is written page by page, and checked before it is freed. Most of the time is
// the allocator's dealing with the OS (mmap, munmap, reuse, purging).
//
// SIZE: large blocks per thread.
#include <thread>
#include <vector>

#include "workload.h"

namespace {

constexpr const char* kName = "malloc-large";
constexpr size_t kMiB = 1024 * 1024;
constexpr size_t kLive = 8;

struct Large {
  uint8_t* p = nullptr;
  size_t size = 0;
  uint8_t mark = 0;
};

uint64_t check_and_free(Large& b) {
  uint64_t pages = 0;
  for (size_t i = 0; i < b.size; i += 4096, ++pages) {
    if (b.p[i] != static_cast<uint8_t>(b.mark + (i >> 12))) wl::fail(kName, "large block content changed", b.p + i, i);
  }
  std::free(b.p);
  b.p = nullptr;
  return pages;
}

}  // namespace

int main(int argc, char** argv) {
  const wl::Args a = wl::parse_args(argc, argv, kName, 1, 2000);
  std::vector<uint64_t> written(a.threads, 0), checked(a.threads, 0);
  wl::Stopwatch clock;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < a.threads; ++t) {
    pool.emplace_back([&, t] {
      XorShift64 rng(0x1A26E + t);
      std::vector<Large> live(kLive);
      for (uint64_t i = 0; i < a.size; ++i) {
        Large& b = live[rng.below(kLive)];
        if (b.p) checked[t] += check_and_free(b);
        b.size = kMiB + rng.below(9 * kMiB);
        b.mark = static_cast<uint8_t>(rng.next());
        b.p = static_cast<uint8_t*>(std::malloc(b.size));
        if (!b.p) wl::fail(kName, "malloc returned NULL", nullptr, b.size);
        for (size_t off = 0; off < b.size; off += 4096, ++written[t]) b.p[off] = static_cast<uint8_t>(b.mark + (off >> 12));
      }
      for (Large& b : live) {
        if (b.p) checked[t] += check_and_free(b);
      }
    });
  }
  for (auto& th : pool) th.join();
  const double elapsed = clock.seconds();
  uint64_t w = 0, c = 0;
  for (unsigned t = 0; t < a.threads; ++t) {
    w += written[t];
    c += checked[t];
  }
  wl::expect_equal(kName, "pages checked", c, w);
  wl::report(kName, a, elapsed, c, w);
  return 0;
}
