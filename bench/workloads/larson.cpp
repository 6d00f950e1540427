// larson — a server simulation: every thread keeps a table of live blocks and
// replaces random entries (free the old block, allocate a new one of a random
// size). Between rounds the threads pass their tables on to the next thread,
// so most frees are of blocks another thread allocated, as when a server's
// worker frees what the acceptor made.
//
// SIZE: replacements per thread (spread over 20 rounds).
#include <barrier>
#include <thread>
#include <vector>

#include "workload.h"

namespace {

constexpr const char* kName = "larson";
constexpr size_t kSlotsPerThread = 2000;
constexpr int kRounds = 20;

struct Block {
  void* p = nullptr;
  size_t size = 0;
  uint64_t tag = 0;
};

using Table = std::vector<Block>;

size_t random_size(XorShift64& rng) { return 16 + rng.below(rng.below(8) == 0 ? 2048 : 256); }

}  // namespace

int main(int argc, char** argv) {
  const wl::Args a = wl::parse_args(argc, argv, kName, 2, 400000);
  const uint64_t steps_per_round = a.size / kRounds + 1;
  std::vector<Table> tables(a.threads, Table(kSlotsPerThread));
  std::vector<uint64_t> checksums(a.threads, 0), checks(a.threads, 0), made(a.threads, 0);
  // Table i is worked by thread (i + round) % threads: a pass-the-table rotation.
  std::barrier sync(a.threads);

  wl::Stopwatch clock;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < a.threads; ++t) {
    pool.emplace_back([&, t] {
      XorShift64 rng(0x1A2503 + t);
      for (int round = 0; round < kRounds; ++round) {
        Table& table = tables[(t + round) % a.threads];
        for (uint64_t s = 0; s < steps_per_round; ++s) {
          Block& b = table[rng.below(kSlotsPerThread)];
          if (b.p) {
            checksums[t] += wl::verify(kName, b.p, b.size, b.tag);
            ++checks[t];
            std::free(b.p);
          }
          b.size = random_size(rng);
          b.tag = (uint64_t{t} << 48) | ++made[t];
          b.p = std::malloc(b.size);
          if (!b.p) wl::fail(kName, "malloc returned NULL", nullptr, b.size);
          wl::stamp(b.p, b.size, b.tag);
        }
        sync.arrive_and_wait();
      }
    });
  }
  for (auto& th : pool) th.join();
  uint64_t checksum = 0, checked = 0, allocated = 0;
  for (unsigned t = 0; t < a.threads; ++t) {
    checksum += checksums[t];
    checked += checks[t];
    allocated += made[t];
  }
  for (Table& table : tables) {
    for (Block& b : table) {
      if (!b.p) continue;
      checksum += wl::verify(kName, b.p, b.size, b.tag);
      ++checked;
      std::free(b.p);
    }
  }
  const double elapsed = clock.seconds();
  wl::expect_equal(kName, "blocks checked before free", checked, allocated);
  wl::report(kName, a, elapsed, checked, checksum);
  return 0;
}
