// latency — the distribution of the time of single malloc and free calls
// over millions of calls: p50, p99, p99.9, p99.99 and the maximum.
//
// Plain C++ against malloc/free: run it with an allocator preloaded
// (LD_PRELOAD=.../libshardguard.so bench/latency). It must never link shardguard.
//
// Each thread keeps a working set whose target size swings between 4 Ki and
// 64 Ki blocks every 256 Ki operations, so pages fill, empty, get purged and
// come back: the slow paths run, not only the free lists. Sizes: 85% 8..256,
// 10% ..4 KiB, 4% ..64 KiB, 0.9% ..512 KiB, 0.1% ..2 MiB. With 2+ threads,
// one block in 16 is freed by the next thread (cross-thread frees).
// Every call is timed alone with the TSC (lfence-serialized; the cost of an
// empty measurement is subtracted); histograms do not allocate.
//
// Usage: latency [million_calls_per_thread=5] [threads=1]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "latency_histogram.h"
#include "xorshift.h"

namespace {

constexpr size_t kSlots = 64 * 1024;
constexpr uint64_t kSwingEvery = 256 * 1024;

size_t pick_size(XorShift64& rng) {
  const uint64_t r = rng.below(1000);
  if (r < 850) return 8 + rng.below(249);
  if (r < 950) return 257 + rng.below(4096 - 256);
  if (r < 990) return 4097 + rng.below(64 * 1024 - 4096);
  if (r < 999) return 64 * 1024 + 1 + rng.below(448 * 1024);
  return 512 * 1024 + 1 + rng.below(1536 * 1024);
}

struct Mailbox {
  std::mutex m;
  std::vector<void*> blocks;
};

struct Worker {
  LatencyHistogram malloc_h;
  LatencyHistogram free_h;
};

uint64_t overhead = 0;

void* timed_malloc(LatencyHistogram& h, size_t size) {
  const uint64_t t0 = ticks_now();
  void* p = malloc(size);
  const uint64_t t1 = ticks_now();
  h.add(t1 - t0 > overhead ? t1 - t0 - overhead : 0);
  if (!p) {
    std::fprintf(stderr, "latency: malloc(%zu) failed\n", size);
    std::exit(1);
  }
  static_cast<volatile char*>(p)[0] = 1;  // touch it, as a program would (not timed)
  return p;
}

void timed_free(LatencyHistogram& h, void* p) {
  const uint64_t t0 = ticks_now();
  free(p);
  const uint64_t t1 = ticks_now();
  h.add(t1 - t0 > overhead ? t1 - t0 - overhead : 0);
}

void run(Worker& w, uint64_t calls, int id, Mailbox* inbox, Mailbox* outbox, bool measure) {
  XorShift64 rng(0x1234 + static_cast<uint64_t>(id) * 7919);
  std::vector<void*> slots(kSlots, nullptr);
  std::vector<uint32_t> used;  // indices of live slots
  used.reserve(kSlots);
  std::vector<uint32_t> free_idx;
  for (uint32_t i = 0; i < kSlots; i++) free_idx.push_back(kSlots - 1 - i);
  std::vector<void*> incoming;
  LatencyHistogram scratch_m, scratch_f;
  LatencyHistogram& mh = measure ? w.malloc_h : scratch_m;
  LatencyHistogram& fh = measure ? w.free_h : scratch_f;
  uint64_t done = 0, op = 0;
  while (done < calls) {
    const size_t target = ((op / kSwingEvery) % 2 == 0) ? kSlots : kSlots / 16;
    op++;
    const bool grow = used.size() < target && (used.size() + 1 < target || rng.below(2));
    if (grow && !free_idx.empty()) {
      const uint32_t i = free_idx.back();
      free_idx.pop_back();
      slots[i] = timed_malloc(mh, pick_size(rng));
      used.push_back(i);
    } else if (!used.empty()) {
      const size_t k = rng.below(used.size());
      const uint32_t i = used[k];
      used[k] = used.back();
      used.pop_back();
      if (outbox && rng.below(16) == 0) {
        std::lock_guard<std::mutex> lock(outbox->m);
        outbox->blocks.push_back(slots[i]);
      } else {
        timed_free(fh, slots[i]);
      }
      slots[i] = nullptr;
      free_idx.push_back(i);
    }
    done++;
    if (inbox && (op & 1023) == 0) {
      {
        std::lock_guard<std::mutex> lock(inbox->m);
        incoming.swap(inbox->blocks);
      }
      for (void* p : incoming) timed_free(fh, p);
      incoming.clear();
    }
  }
  for (uint32_t i : used) free(slots[i]);
}

}  // namespace

int main(int argc, char** argv) {
  const double millions = argc > 1 ? std::atof(argv[1]) : 5.0;
  const int threads = argc > 2 ? std::max(1, std::atoi(argv[2])) : 1;
  const auto calls = static_cast<uint64_t>(millions * 1e6);
  overhead = timer_overhead();
  const double tpn = ticks_per_ns();

  std::vector<Worker*> workers;
  std::vector<Mailbox> boxes(static_cast<size_t>(threads));
  for (int i = 0; i < threads; i++) workers.push_back(new Worker());
  // Warm-up (not measured): the first use of each size class, thread start-up.
  run(*workers[0], 200000, 99, nullptr, nullptr, false);

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; i++) {
    Mailbox* in = threads > 1 ? &boxes[static_cast<size_t>(i)] : nullptr;
    Mailbox* out = threads > 1 ? &boxes[static_cast<size_t>((i + 1) % threads)] : nullptr;
    pool.emplace_back(run, std::ref(*workers[static_cast<size_t>(i)]), calls, i, in, out, true);
  }
  for (auto& t : pool) t.join();
  for (auto& b : boxes)
    for (void* p : b.blocks) free(p);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  LatencyHistogram m, f;
  for (Worker* w : workers) {
    m.merge(w->malloc_h);
    f.merge(w->free_h);
  }
  std::printf("latency: threads=%d calls/thread=%llu time=%.2fs tsc=%.3f ticks/ns timer_overhead=%llu ticks\n", threads,
              static_cast<unsigned long long>(calls), secs, tpn, static_cast<unsigned long long>(overhead));
  print_latency("malloc", m, tpn);
  print_latency("free", f, tpn);
  for (Worker* w : workers) delete w;
  return 0;
}
