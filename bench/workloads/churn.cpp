// churn — the single-threaded mixed-size churn of programs like cfrac and
// espresso: many small objects that live for a short while, a few that live
// long, and strings that grow. Each thread (THREADS of them) runs its own
// copy with its own random stream; nothing is shared.
//
// SIZE: allocations per thread.
#include <atomic>
#include <thread>
#include <vector>

#include "workload.h"

namespace {

constexpr const char* kName = "churn";
constexpr size_t kShortLived = 64;    // a small window of recent objects
constexpr size_t kLongLived = 4096;   // a larger pool replaced slowly

struct Obj {
  void* p = nullptr;
  size_t size = 0;
  uint64_t tag = 0;
};

// Mostly tiny (numbers, list cells), sometimes a line of text, rarely a table.
size_t churn_size(XorShift64& rng) {
  const uint64_t r = rng.below(100);
  if (r < 70) return 8 + rng.below(40);
  if (r < 95) return 48 + rng.below(208);
  if (r < 99) return 256 + rng.below(1792);
  return 2048 + rng.below(14336);
}

struct Totals {
  uint64_t made = 0, checked = 0, sum = 0, strings = 0;
};

void release(Obj& o, Totals& tot) {
  if (!o.p) return;
  tot.sum += wl::verify(kName, o.p, o.size, o.tag);
  ++tot.checked;
  std::free(o.p);
  o.p = nullptr;
}

void renew(Obj& o, XorShift64& rng, Totals& tot, uint64_t tag_base) {
  release(o, tot);
  o.size = churn_size(rng);
  o.tag = tag_base | ++tot.made;
  o.p = std::malloc(o.size);
  if (!o.p) wl::fail(kName, "malloc returned NULL", nullptr, o.size);
  wl::stamp(o.p, o.size, o.tag);
}

// A string grown by realloc a piece at a time, as a parser builds a token.
void grow_string(XorShift64& rng, Totals& tot) {
  size_t len = 0, cap = 16;
  auto* s = static_cast<char*>(std::malloc(cap));
  if (!s) wl::fail(kName, "malloc returned NULL", nullptr, cap);
  const size_t target = 32 + rng.below(480);
  while (len < target) {
    if (len + 1 > cap) {
      cap = cap * 3 / 2;
      s = static_cast<char*>(std::realloc(s, cap));
      if (!s) wl::fail(kName, "realloc returned NULL", nullptr, cap);
    }
    s[len] = static_cast<char>('a' + len % 26);
    ++len;
  }
  for (size_t i = 0; i < len; ++i) {
    if (s[i] != static_cast<char>('a' + i % 26)) wl::fail(kName, "realloc lost the string", s, i);
  }
  ++tot.strings;
  tot.sum += len;
  std::free(s);
}

Totals run(uint64_t allocations, uint64_t seed) {
  XorShift64 rng(seed);
  std::vector<Obj> recent(kShortLived), pool(kLongLived);
  Totals tot;
  const uint64_t tag_base = seed << 40;
  while (tot.made < allocations) {
    renew(recent[rng.below(kShortLived)], rng, tot, tag_base);
    if (rng.below(8) == 0) renew(pool[rng.below(kLongLived)], rng, tot, tag_base);
    if (rng.below(64) == 0) grow_string(rng, tot);
  }
  for (Obj& o : recent) release(o, tot);
  for (Obj& o : pool) release(o, tot);
  return tot;
}

}  // namespace

int main(int argc, char** argv) {
  const wl::Args a = wl::parse_args(argc, argv, kName, 1, 5000000);
  std::vector<Totals> totals(a.threads);
  wl::Stopwatch clock;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < a.threads; ++t) pool.emplace_back([&, t] { totals[t] = run(a.size, 0xC4F2AC + t); });
  for (auto& th : pool) th.join();
  wl::finish<Totals>(kName, a, clock.seconds(), totals);
  return 0;
}
