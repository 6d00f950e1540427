// demo — the workload `scripts/shardguard run` runs when it is given no command.
//
// An allocation-heavy program written against plain malloc/free/new/delete (it
// never links shardguard; the script preloads the library): a few threads doing
// mixed-size allocations, cross-thread frees through a shared queue, aligned
// allocations (posix_memalign, aligned_alloc, aligned operator new), calloc and
// realloc growth/shrink. Every block is checked before it is freed.
//
// It prints which allocator served it, what it did, the wall time and the peak
// RSS, and then — if the loaded allocator exports mi_stats_print_out (the
// mimalloc API) — the allocator's own statistics.
//
// Usage: demo [iterations-per-thread] [threads]   (defaults 300000, 3)

#include <dlfcn.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "xorshift.h"

namespace {

enum Kind : uint8_t { kMalloc, kCalloc, kPosixMemalign, kAlignedAlloc, kNewAligned, kNewPlain };

struct Block {
  void* p;
  size_t size;
  size_t align;
  uint8_t fill;
  Kind kind;
};

struct Counters {
  std::atomic<uint64_t> malloc_{0}, calloc_{0}, aligned{0}, new_{0}, realloc_{0}, free_local{0}, free_remote{0};
  std::atomic<uint64_t> bytes{0};
};
Counters g_count;

[[noreturn]] void die(const char* what, const Block& b) {
  std::fprintf(stderr, "demo: CORRUPTION: %s (block %p, size %zu, align %zu)\n", what, b.p, b.size, b.align);
  std::exit(1);
}

void check(const Block& b) {
  if (b.align && (reinterpret_cast<uintptr_t>(b.p) & (b.align - 1)) != 0) die("misaligned block", b);
  const auto* c = static_cast<const uint8_t*>(b.p);
  for (size_t i = 0; i < b.size; i += 31)
    if (c[i] != b.fill) die("contents changed", b);
  if (b.size && c[b.size - 1] != b.fill) die("last byte changed", b);
}

void release(const Block& b, bool remote) {
  check(b);
  switch (b.kind) {
    case kNewAligned: ::operator delete(b.p, std::align_val_t{b.align}); break;
    case kNewPlain: ::operator delete(b.p); break;
    default: std::free(b.p); break;
  }
  (remote ? g_count.free_remote : g_count.free_local).fetch_add(1, std::memory_order_relaxed);
}

size_t pick_size(XorShift64& rng) {
  uint64_t r = rng.below(100);
  if (r < 80) return 1 + rng.below(256);
  if (r < 99) return 257 + rng.below(8192 - 256);
  return 8193 + rng.below(size_t{1} << 19);  // up to ~512 KiB: large/huge spans
}

Block make(XorShift64& rng) {
  Block b{};
  b.size = pick_size(rng);
  b.fill = static_cast<uint8_t>(rng.next() | 1);
  uint64_t r = rng.below(100);
  if (r < 60) {
    b.kind = kMalloc;
    b.p = std::malloc(b.size);
    g_count.malloc_.fetch_add(1, std::memory_order_relaxed);
  } else if (r < 70) {
    b.kind = kCalloc;
    b.p = std::calloc(1, b.size);
    g_count.calloc_.fetch_add(1, std::memory_order_relaxed);
    if (b.p) {
      const auto* c = static_cast<const uint8_t*>(b.p);
      for (size_t i = 0; i < b.size; i += 17)
        if (c[i] != 0) die("calloc memory is not zeroed", b);
    }
  } else if (r < 78) {
    b.kind = kPosixMemalign;
    b.align = size_t{16} << rng.below(9);  // 16..4096
    if (posix_memalign(&b.p, b.align, b.size) != 0) b.p = nullptr;
    g_count.aligned.fetch_add(1, std::memory_order_relaxed);
  } else if (r < 84) {
    b.kind = kAlignedAlloc;
    b.align = size_t{64} << rng.below(4);  // 64..512
    b.size = (b.size + b.align - 1) / b.align * b.align;  // C11: size a multiple of align
    b.p = std::aligned_alloc(b.align, b.size);
    g_count.aligned.fetch_add(1, std::memory_order_relaxed);
  } else if (r < 90) {
    b.kind = kNewAligned;
    b.align = size_t{32} << rng.below(7);  // 32..2048
    b.p = ::operator new(b.size, std::align_val_t{b.align});
    g_count.new_.fetch_add(1, std::memory_order_relaxed);
  } else {
    b.kind = kNewPlain;
    b.p = ::operator new(b.size);
    g_count.new_.fetch_add(1, std::memory_order_relaxed);
  }
  if (!b.p) {
    std::fprintf(stderr, "demo: allocation of %zu bytes failed\n", b.size);
    std::exit(1);
  }
  std::memset(b.p, b.fill, b.size);
  g_count.bytes.fetch_add(b.size, std::memory_order_relaxed);
  return b;
}

// Cross-thread hand-off: thread i pushes blocks into mailbox (i+1) % n.
struct Mailbox {
  std::mutex m;
  std::vector<Block> items;
};

void worker(unsigned id, unsigned nthreads, uint64_t iterations, std::vector<Mailbox>& boxes) {
  XorShift64 rng(0xC0FFEE1234567ull * (id + 1));
  std::vector<Block> live(2048, Block{});
  std::vector<Block> outgoing;
  std::vector<Block> incoming;
  Mailbox& next = boxes[(id + 1) % nthreads];
  Mailbox& mine = boxes[id];

  for (uint64_t it = 0; it < iterations; ++it) {
    Block& slot = live[rng.below(live.size())];
    if (slot.p) {
      uint64_t r = rng.below(100);
      if (r < 25 && nthreads > 1) {
        outgoing.push_back(slot);  // freed later by another thread
      } else if (r < 35 && slot.kind == kMalloc) {
        // realloc grow or shrink, contents must survive up to the smaller size
        size_t nsz = ((rng.next() & 1) && slot.size < 65536) ? slot.size * 2 + 1 : slot.size / 2 + 1;
        void* np = std::realloc(slot.p, nsz);
        if (!np) {
          std::fprintf(stderr, "demo: realloc(%zu) failed\n", nsz);
          std::exit(1);
        }
        g_count.realloc_.fetch_add(1, std::memory_order_relaxed);
        size_t keep = nsz < slot.size ? nsz : slot.size;
        Block moved = slot;
        moved.p = np;
        moved.size = keep;
        check(moved);
        std::memset(np, slot.fill, nsz);
        slot.p = np;
        slot.size = nsz;
        continue;
      } else {
        release(slot, false);
      }
    }
    slot = make(rng);

    if (outgoing.size() >= 64) {
      std::lock_guard<std::mutex> g(next.m);
      next.items.insert(next.items.end(), outgoing.begin(), outgoing.end());
      outgoing.clear();
    }
    if ((it & 255) == 0) {
      {
        std::lock_guard<std::mutex> g(mine.m);
        incoming.swap(mine.items);
      }
      for (const Block& b : incoming) release(b, true);
      incoming.clear();
    }
  }
  if (!outgoing.empty()) {
    std::lock_guard<std::mutex> g(next.m);
    next.items.insert(next.items.end(), outgoing.begin(), outgoing.end());
  }
  for (const Block& b : live)
    if (b.p) release(b, false);
}

void print_allocator() {
  void* sym = dlsym(RTLD_DEFAULT, "mi_malloc");
  if (!sym) {
    std::printf("allocator: libc malloc (no mi_malloc symbol in the process)\n");
    return;
  }
  Dl_info info{};
  const char* path = (dladdr(sym, &info) && info.dli_fname) ? info.dli_fname : "?";
  const char* name = std::strstr(path, "shardguard") ? "shardguard" : "mimalloc-API allocator";
  std::string version;
  if (void* v = dlsym(RTLD_DEFAULT, "mi_version")) {
    int ver = reinterpret_cast<int (*)()>(v)();
    version = " version " + std::to_string(ver);
  }
  std::printf("allocator: %s%s (%s)\n", name, version.c_str(), path);
}

void print_stats() {
  using out_fun = void(const char*, void*);
  void* sym = dlsym(RTLD_DEFAULT, "mi_stats_print_out");
  if (!sym) {
    std::printf("allocator statistics: not available (mi_stats_print_out is not exported)\n");
    return;
  }
  std::printf("---- allocator statistics (mi_stats_print_out) ----\n");
  std::fflush(stdout);
  auto print_out = reinterpret_cast<void (*)(out_fun*, void*)>(sym);
  print_out([](const char* msg, void* arg) { std::fputs(msg, static_cast<FILE*>(arg)); }, stdout);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t iterations = 300000;
  unsigned nthreads = 3;
  if (argc > 1) iterations = std::strtoull(argv[1], nullptr, 10);
  if (argc > 2) nthreads = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
  if (iterations == 0 || nthreads == 0 || nthreads > 64 || argc > 3) {
    std::fprintf(stderr, "usage: %s [iterations-per-thread] [threads]   (defaults 300000, 3)\n", argv[0]);
    return 2;
  }

  print_allocator();
  auto t0 = std::chrono::steady_clock::now();
  std::vector<Mailbox> boxes(nthreads);
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < nthreads; ++i) pool.emplace_back(worker, i, nthreads, iterations, std::ref(boxes));
  for (auto& t : pool) t.join();
  // Blocks still in mailboxes were sent by a thread that has exited: free them here.
  for (auto& box : boxes)
    for (const Block& b : box.items) release(b, true);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  uint64_t allocs = g_count.malloc_ + g_count.calloc_ + g_count.aligned + g_count.new_;
  uint64_t frees = g_count.free_local + g_count.free_remote;
  std::printf("threads: %u, iterations per thread: %" PRIu64 "\n", nthreads, iterations);
  std::printf("allocations: %" PRIu64 " (malloc %" PRIu64 ", calloc %" PRIu64 ", aligned %" PRIu64 ", new %" PRIu64
              "), %.1f MiB requested\n",
              allocs, g_count.malloc_.load(), g_count.calloc_.load(), g_count.aligned.load(), g_count.new_.load(),
              g_count.bytes.load() / 1048576.0);
  std::printf("reallocs: %" PRIu64 "\n", g_count.realloc_.load());
  std::printf("frees: %" PRIu64 " (same thread %" PRIu64 ", cross-thread %" PRIu64 ")\n", frees,
              g_count.free_local.load(), g_count.free_remote.load());
  std::printf("wall time: %.3f s (%.2f M alloc+free ops/s)\n", secs, (allocs + frees) / secs / 1e6);
  std::printf("peak RSS: %.1f MiB\n", ru.ru_maxrss / 1024.0);
  if (allocs != frees) {
    std::fprintf(stderr, "demo: MISMATCH: %" PRIu64 " allocations, %" PRIu64 " frees\n", allocs, frees);
    return 1;
  }
  std::printf("result: OK (every block verified before it was freed)\n");
  print_stats();
  return 0;
}
