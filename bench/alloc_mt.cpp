// alloc_mt — multi-threaded allocation benchmark (Larson-like + producer/consumer).
//
// Plain C++ against malloc/free: run it with an allocator preloaded
// (LD_PRELOAD=.../libshardguard.so bench/alloc_mt). It must never link shardguard.
//
// Phase 1 (Larson-like): each thread owns an array of slots and replaces random
//   slots with new blocks (fixed-seed xorshift per thread). After every round the
//   threads meet at a barrier and the upper halves of their arrays are rotated to
//   the next thread, so blocks are later freed by a thread that did not allocate
//   them (cross-thread frees).
// Phase 2 (producer/consumer): threads are paired; one allocates blocks in batches
//   and hands them over a bounded lock-free SPSC ring, the other verifies and frees
//   them. With an odd thread count the last thread does both roles itself.
// Every block starts with a header (sequence number, size, check word) and is
// filled with a pattern; both are verified before every free. A mismatch prints
// a diagnostic and exits 1.
//
// Usage: alloc_mt [threads] [rounds]   (defaults: 2 threads, rounds calibrated to
//        ~1 s under glibc on a 2-core machine)

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "xorshift.h"

namespace {

constexpr unsigned kDefaultThreads = 2;
constexpr uint64_t kDefaultRounds = 95;
constexpr size_t kSlots = 4096;               // slots per thread
constexpr uint64_t kStepsPerRound = 40000;    // replacements per thread per round
constexpr uint64_t kBatchesPerRound = 300;    // producer/consumer batches per pair per round
constexpr size_t kBatchSize = 64;             // blocks per batch
constexpr size_t kRingCap = 64;               // SPSC ring capacity (power of two)

struct Header {
  uint64_t seq;
  uint64_t size;
  uint64_t check;
};

inline uint64_t mix(uint64_t seq, uint64_t size) {
  uint64_t x = seq * 0x9E3779B97F4A7C15ull ^ (size << 32 | size);
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  return x ^ (x >> 32);
}
inline uint8_t fill_byte(uint64_t seq) { return static_cast<uint8_t>(seq * 131u + 17u); }

size_t pick_size(XorShift64& rng) {
  uint64_t r = rng.below(100);
  if (r < 70) return sizeof(Header) + rng.below(104);     // 24..127
  if (r < 99) return 128 + rng.below(897);                 // 128..1024
  return 1025 + rng.below(16384 - 1024);                   // 1 KiB..16 KiB
}

void* make_block(size_t size, uint64_t seq) {
  void* p = std::malloc(size);
  if (!p) {
    std::fprintf(stderr, "alloc_mt: malloc(%zu) returned NULL\n", size);
    std::exit(1);
  }
  Header h{seq, size, mix(seq, size)};
  std::memcpy(p, &h, sizeof h);
  std::memset(static_cast<char*>(p) + sizeof h, fill_byte(seq), size - sizeof h);
  return p;
}

[[noreturn]] void corrupt(const char* what, const void* p, const Header& h) {
  std::fprintf(stderr, "alloc_mt: CORRUPTION: %s (block %p, seq %" PRIu64 ", size %" PRIu64 ")\n", what, p,
               h.seq, h.size);
  std::exit(1);
}

// Verifies a block and frees it; returns its sequence number for the checksum.
uint64_t check_and_free(void* p) {
  Header h;
  std::memcpy(&h, p, sizeof h);
  if (h.size < sizeof(Header) || h.size > (1u << 20) || h.check != mix(h.seq, h.size))
    corrupt("header overwritten", p, h);
  const auto* b = static_cast<const uint8_t*>(p);
  uint8_t fb = fill_byte(h.seq);
  for (size_t i = sizeof h; i < h.size; i += 53)
    if (b[i] != fb) corrupt("fill byte overwritten", p, h);
  if (h.size > sizeof h && b[h.size - 1] != fb) corrupt("last byte overwritten", p, h);
  std::free(p);
  return h.seq;
}

struct alignas(64) Batch {
  size_t n;
  void* blocks[kBatchSize];
};

// Bounded single-producer single-consumer ring of batch pointers.
struct SpscRing {
  alignas(64) std::atomic<size_t> head{0};  // next slot to pop (consumer)
  alignas(64) std::atomic<size_t> tail{0};  // next slot to push (producer)
  alignas(64) Batch* items[kRingCap];

  void push(Batch* b) {
    size_t t = tail.load(std::memory_order_relaxed);
    while (t - head.load(std::memory_order_acquire) == kRingCap) std::this_thread::yield();
    items[t % kRingCap] = b;
    tail.store(t + 1, std::memory_order_release);
  }
  Batch* pop() {
    size_t h = head.load(std::memory_order_relaxed);
    while (tail.load(std::memory_order_acquire) == h) std::this_thread::yield();
    Batch* b = items[h % kRingCap];
    head.store(h + 1, std::memory_order_release);
    return b;
  }
};

struct alignas(64) ThreadStats {
  uint64_t allocs = 0, frees = 0, checksum = 0;
};

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = kDefaultThreads;
  uint64_t rounds = kDefaultRounds;
  auto usage = [&] {
    std::fprintf(stderr, "usage: %s [threads] [rounds]   (defaults %u, %" PRIu64 ")\n", argv[0], kDefaultThreads,
                 kDefaultRounds);
    return 2;
  };
  if (argc > 3) return usage();
  if (argc > 1) {
    char* end = nullptr;
    unsigned long v = std::strtoul(argv[1], &end, 10);
    if (!end || *end || v == 0 || v > 256) return usage();
    threads = static_cast<unsigned>(v);
  }
  if (argc > 2) {
    char* end = nullptr;
    rounds = std::strtoull(argv[2], &end, 10);
    if (!end || *end || rounds == 0) return usage();
  }

  std::vector<std::vector<void*>> slots(threads, std::vector<void*>(kSlots, nullptr));
  std::vector<ThreadStats> stats(threads);
  std::atomic<uint64_t> exchanges{0};

  // Rotate the upper halves of the slot arrays one thread onwards (0 <- 1 <- ... <- T-1 <- 0).
  auto rotate_halves = [&]() noexcept {
    exchanges.fetch_add(1, std::memory_order_relaxed);
    if (threads < 2) return;
    const size_t half = kSlots / 2;
    std::vector<void*> first(slots[0].begin() + half, slots[0].end());
    for (unsigned i = 0; i + 1 < threads; ++i)
      std::copy(slots[i + 1].begin() + half, slots[i + 1].end(), slots[i].begin() + half);
    std::copy(first.begin(), first.end(), slots[threads - 1].begin() + half);
  };
  std::barrier sync(static_cast<std::ptrdiff_t>(threads), rotate_halves);

  const unsigned pairs = threads / 2;
  std::vector<SpscRing> rings(pairs > 0 ? pairs : 1);
  const uint64_t total_batches = rounds * kBatchesPerRound;

  auto worker = [&](unsigned id) {
    XorShift64 rng(0xD1B54A32D192ED03ull ^ (uint64_t(id + 1) * 0x9E3779B97F4A7C15ull));
    ThreadStats& st = stats[id];
    uint64_t seq = uint64_t(id) << 48;

    // ---- phase 1: Larson-like churn with cross-thread exchange ----
    for (uint64_t r = 0; r < rounds; ++r) {
      std::vector<void*>& mine = slots[id];
      for (uint64_t k = 0; k < kStepsPerRound; ++k) {
        void*& slot = mine[rng.below(kSlots)];
        if (slot) {
          st.checksum += check_and_free(slot);
          ++st.frees;
        }
        slot = make_block(pick_size(rng), ++seq);
        ++st.allocs;
      }
      sync.arrive_and_wait();  // completion: rotate halves to the next thread
    }
    for (void*& p : slots[id]) {
      if (p) {
        st.checksum += check_and_free(p);
        ++st.frees;
        p = nullptr;
      }
    }
    sync.arrive_and_wait();

    // ---- phase 2: producer/consumer ----
    auto produce_batch = [&]() {
      auto* b = static_cast<Batch*>(std::malloc(sizeof(Batch)));
      if (!b) { std::fprintf(stderr, "alloc_mt: malloc(Batch) returned NULL\n"); std::exit(1); }
      ++st.allocs;
      b->n = kBatchSize;
      for (size_t i = 0; i < kBatchSize; ++i) {
        b->blocks[i] = make_block(pick_size(rng), ++seq);
        ++st.allocs;
      }
      return b;
    };
    auto consume_batch = [&](Batch* b) {
      if (b->n != kBatchSize) {
        std::fprintf(stderr, "alloc_mt: CORRUPTION: batch %p has n=%zu\n", static_cast<void*>(b), b->n);
        std::exit(1);
      }
      for (size_t i = 0; i < b->n; ++i) {
        st.checksum += check_and_free(b->blocks[i]);
        ++st.frees;
      }
      std::free(b);
      ++st.frees;
    };
    if (id / 2 < pairs) {
      SpscRing& ring = rings[id / 2];
      if (id % 2 == 0) {
        for (uint64_t i = 0; i < total_batches; ++i) ring.push(produce_batch());
      } else {
        for (uint64_t i = 0; i < total_batches; ++i) consume_batch(ring.pop());
      }
    } else {
      // Odd one out: both roles in this thread (local frees).
      for (uint64_t i = 0; i < total_batches; ++i) consume_batch(produce_batch());
    }
  };

  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) pool.emplace_back(worker, i);
  for (auto& t : pool) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  uint64_t allocs = 0, frees = 0, checksum = 0;
  for (auto& s : stats) {
    allocs += s.allocs;
    frees += s.frees;
    checksum += s.checksum;
  }
  if (allocs != frees) {
    std::fprintf(stderr, "alloc_mt: MISMATCH: %" PRIu64 " allocations but %" PRIu64 " frees\n", allocs, frees);
    return 1;
  }
  std::printf("alloc_mt: OK threads=%u rounds=%" PRIu64 " mallocs=%" PRIu64 " frees=%" PRIu64 " exchanges=%" PRIu64
              " time=%.3fs (%.1f Mops/s) checksum=%016" PRIx64 "\n",
              threads, rounds, allocs, frees, exchanges.load(), secs, (allocs + frees) / secs / 1e6, checksum);
  return 0;
}
