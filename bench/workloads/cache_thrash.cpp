// cache-thrash — active false sharing: each thread allocates, writes and frees
// its own small objects. An allocator that serves concurrent threads from one
// cache line makes the threads fight over it.
//
// SIZE: objects per thread (each written 200 times).
#include <atomic>
#include <thread>
#include <vector>

#include "false_sharing.h"

int main(int argc, char** argv) {
  constexpr const char* kName = "cache-thrash";
  const wl::Args a = wl::parse_args(argc, argv, kName, 2, 2000000);
  std::atomic<uint64_t> checked{0};
  wl::Stopwatch clock;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < a.threads; ++t) {
    pool.emplace_back([&, t] { checked += wl::write_own_objects(kName, a.size, uint64_t{t} << 40); });
  }
  for (auto& th : pool) th.join();
  const double elapsed = clock.seconds();
  wl::expect_equal(kName, "objects checked", checked, a.size * a.threads);
  wl::report(kName, a, elapsed, checked, checked);
  return 0;
}
