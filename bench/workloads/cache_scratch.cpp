// cache-scratch — passive false sharing: the main thread allocates one small
// object per thread, side by side, and hands each to its thread, which frees
// it and then allocates, writes and frees its own objects. An allocator that
// reuses a freed block for the thread that freed it gives each thread a block
// in the cache line the others are writing.
//
// SIZE: objects per thread (each written 200 times).
#include <atomic>
#include <thread>
#include <vector>

#include "false_sharing.h"

int main(int argc, char** argv) {
  constexpr const char* kName = "cache-scratch";
  const wl::Args a = wl::parse_args(argc, argv, kName, 2, 2000000);
  std::vector<uint64_t*> handed(a.threads);
  for (unsigned t = 0; t < a.threads; ++t) {
    handed[t] = static_cast<uint64_t*>(std::malloc(wl::kSharedObjectSize));
    if (!handed[t]) wl::fail(kName, "malloc returned NULL", nullptr, t);
    *handed[t] = t;
  }
  std::atomic<uint64_t> checked{0};
  wl::Stopwatch clock;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < a.threads; ++t) {
    pool.emplace_back([&, t] {
      if (*handed[t] != t) wl::fail(kName, "handed object changed", handed[t], t);
      std::free(handed[t]);
      checked += 1 + wl::write_own_objects(kName, a.size, uint64_t{t} << 40);
    });
  }
  for (auto& th : pool) th.join();
  const double elapsed = clock.seconds();
  wl::expect_equal(kName, "objects checked", checked, (a.size + 1) * a.threads);
  wl::report(kName, a, elapsed, checked, checked);
  return 0;
}
