// daemon_profile — a long-running server in miniature, printing its RSS
// over time and the latency of its malloc and free calls.
//
// Plain C++ against malloc/free: run it with an allocator preloaded
// (LD_PRELOAD=.../libshardguard.so bench/daemon_profile). It must never link
// shardguard (it looks up mi_stats_print_out at run time, for the metadata
// figure, when the preloaded allocator is shardguard).
//
// Worker threads serve "requests": each allocates 20..60 objects of mixed
// sizes (70% 16..256 B, 25% ..4 KiB, 4.5% ..64 KiB, 0.5% ..1 MiB), writes
// them, frees two thirds at the end of the request and keeps one third in
// a shared cache (sessions, buffers) that evicts the oldest entries — often
// allocated by another thread — beyond its cap. The load alternates: busy
// phases (no pause between requests, cache cap 160 MiB) and quiet ones (one
// request per ms, cap 16 MiB), as a daemon's traffic does over a day. Every
// worker exits after 3000 requests and a fresh thread takes its place
// (thread-pool churn). What a long-running process wants: RSS that follows
// the live bytes down in the quiet phases, and no stalls.
//
// Usage: daemon_profile [seconds=24] [workers=2] [sample_ms=500]
// Output: "sample <t_s> <rss_mib> <live_mib>" lines, then a summary, the
// malloc/free latency percentiles and (shardguard only) metadata overhead.

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "latency_histogram.h"
#include "xorshift.h"

namespace {

constexpr size_t MiB = 1024 * 1024;
constexpr size_t kBusyCap = 160 * MiB;
constexpr size_t kQuietCap = 16 * MiB;
constexpr int kRequestsPerThread = 3000;
constexpr size_t kCacheSlots = 1 << 20;

uint64_t timer_cost = 0;

size_t rss_bytes() {
  int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char* s = std::strchr(buf, ' ');
  return s ? std::strtoull(s, nullptr, 10) * static_cast<size_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

struct Entry {
  void* p;
  size_t size;
  uint8_t fill;  // the byte the whole block was set to
};

// A block is checked (first, middle and last byte) before it is freed: the
// profile must not measure an allocator that hands out a live block twice.
void check_entry(const Entry& e) {
  const auto* b = static_cast<const uint8_t*>(e.p);
  if (b[0] != e.fill || b[e.size / 2] != e.fill || b[e.size - 1] != e.fill) {
    std::fprintf(stderr, "daemon_profile: SELF-CHECK FAILED: block %p of %zu bytes changed while live\n", e.p, e.size);
    std::exit(2);
  }
}

// The shared cache: a FIFO ring under a mutex.
struct Cache {
  std::mutex m;
  std::unique_ptr<Entry[]> ring{new Entry[kCacheSlots]};
  size_t head = 0, count = 0;
  std::atomic<size_t> live{0};  // bytes in the cache
  std::atomic<size_t> cap{kBusyCap};
};

Cache cache;
std::atomic<size_t> request_live{0};  // bytes held by requests in flight
std::atomic<bool> quiet{false};
std::atomic<bool> stop{false};
std::mutex hist_mutex;
LatencyHistogram all_malloc, all_free;

size_t pick_size(XorShift64& rng) {
  const uint64_t r = rng.below(1000);
  if (r < 700) return 16 + rng.below(241);
  if (r < 950) return 257 + rng.below(4096 - 256);
  if (r < 995) return 4097 + rng.below(60 * 1024);
  return 64 * 1024 + rng.below(960 * 1024);
}

struct Timed {
  LatencyHistogram m, f;
  void* malloc(size_t size) {
    const uint64_t t0 = ticks_now();
    void* p = ::malloc(size);
    const uint64_t t1 = ticks_now();
    m.add(t1 - t0 > timer_cost ? t1 - t0 - timer_cost : 0);
    if (!p) {
      std::fprintf(stderr, "daemon_profile: malloc(%zu) failed\n", size);
      std::exit(1);
    }
    return p;
  }
  void free(void* p) {
    const uint64_t t0 = ticks_now();
    ::free(p);
    const uint64_t t1 = ticks_now();
    f.add(t1 - t0 > timer_cost ? t1 - t0 - timer_cost : 0);
  }
};

void cache_put(Timed& t, const Entry& entry) {
  const size_t size = entry.size;
  std::lock_guard<std::mutex> lock(cache.m);
  const size_t cap = cache.cap.load(std::memory_order_relaxed);
  while (cache.count > 0 && (cache.live + size > cap || cache.count == kCacheSlots)) {
    Entry& e = cache.ring[cache.head];
    check_entry(e);
    t.free(e.p);
    cache.live -= e.size;
    cache.head = (cache.head + 1) % kCacheSlots;
    cache.count--;
  }
  cache.ring[(cache.head + cache.count) % kCacheSlots] = entry;
  cache.count++;
  cache.live += size;
}

void worker(int id, std::atomic<bool>* done) {
  auto t = std::make_unique<Timed>();
  XorShift64 rng(0xda3a0 + static_cast<uint64_t>(id) * 104729);
  std::vector<Entry> request;
  request.reserve(64);
  for (int r = 0; r < kRequestsPerThread && !stop.load(std::memory_order_relaxed); r++) {
    const int objects = 20 + static_cast<int>(rng.below(41));
    size_t held = 0;
    for (int i = 0; i < objects; i++) {
      const size_t size = pick_size(rng);
      void* p = t->malloc(size);
      std::memset(p, static_cast<int>(i), size);  // all of it: live bytes are resident bytes
      request.push_back({p, size, static_cast<uint8_t>(i)});
      held += size;
    }
    request_live += held;
    for (size_t i = 0; i < request.size(); i++) {
      check_entry(request[i]);
      if (i % 3 == 0) cache_put(*t, request[i]);
      else t->free(request[i].p);
    }
    request_live -= held;
    request.clear();
    if (quiet.load(std::memory_order_relaxed)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  {
    std::lock_guard<std::mutex> lock(hist_mutex);
    all_malloc.merge(t->m);
    all_free.merge(t->f);
  }
  done->store(true, std::memory_order_release);
}

// Metadata and reserved bytes from shardguard's statistics report, when the
// preloaded allocator is shardguard. The callback must not allocate.
using StatsPrintOut = void(void (*)(const char*, void*), void*);
char stats_text[8192];
size_t stats_len = 0;

void collect_stats(const char* msg, void*) {
  const size_t n = std::strlen(msg);
  if (stats_len + n < sizeof stats_text) {
    std::memcpy(stats_text + stats_len, msg, n + 1);
    stats_len += n;
  }
}

// The first number after `name` on its line: the current value, in MiB.
double stats_mib(const char* name) {
  const char* p = std::strstr(stats_text, name);
  if (!p) return -1;
  p += std::strlen(name);
  while (*p && *p != '\n' && (*p < '0' || *p > '9')) p++;
  return (*p >= '0' && *p <= '9') ? std::strtod(p, nullptr) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 24.0;
  const int workers = argc > 2 ? std::max(1, std::atoi(argv[2])) : 2;
  const int sample_ms = argc > 3 ? std::max(10, std::atoi(argv[3])) : 500;
  timer_cost = timer_overhead();
  const double tpn = ticks_per_ns();
  auto* stats_print = reinterpret_cast<StatsPrintOut*>(dlsym(RTLD_DEFAULT, "mi_stats_print_out"));

  std::printf("# daemon_profile: %.0f s, %d workers, phases of %.1f s (busy/quiet, cache cap %zu/%zu MiB)\n", seconds,
              workers, seconds / 4, kBusyCap / MiB, kQuietCap / MiB);
  std::printf("# sample t_s rss_mib live_mib\n");
  struct Slot {
    std::thread t;
    std::unique_ptr<std::atomic<bool>> done;
  };
  std::vector<Slot> pool(static_cast<size_t>(workers));
  int next_id = 0, threads_started = 0;
  auto start_worker = [&](Slot& s) {
    s.done = std::make_unique<std::atomic<bool>>(false);
    s.t = std::thread(worker, next_id++, s.done.get());
    threads_started++;
  };
  for (auto& s : pool) start_worker(s);

  const auto t0 = std::chrono::steady_clock::now();
  const double phase = seconds / 4;
  double peak_rss = 0, quiet_rss_sum = 0, busy_rss_sum = 0, meta_at_peak = -1, reserved_at_peak = -1;
  double live_at_peak = 0, rss_at_peak_live = 0;
  int quiet_samples = 0, busy_samples = 0;
  auto next_sample = t0 + std::chrono::milliseconds(sample_ms);
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    const double t = std::chrono::duration<double>(now - t0).count();
    if (t >= seconds) break;
    const bool is_quiet = static_cast<int>(t / phase) % 2 == 1;
    quiet.store(is_quiet, std::memory_order_relaxed);
    cache.cap.store(is_quiet ? kQuietCap : kBusyCap, std::memory_order_relaxed);
    for (auto& s : pool) {
      if (s.done->load(std::memory_order_acquire)) {
        s.t.join();
        start_worker(s);
      }
    }
    if (now >= next_sample) {
      next_sample += std::chrono::milliseconds(sample_ms);
      const double rss = static_cast<double>(rss_bytes()) / MiB;
      const double live = static_cast<double>(cache.live.load() + request_live.load()) / MiB;
      std::printf("sample %.2f %.1f %.1f\n", t, rss, live);
      std::fflush(stdout);
      peak_rss = std::max(peak_rss, rss);
      // The second half of each phase: the steady state of that load.
      const double in_phase = t - phase * static_cast<int>(t / phase);
      if (in_phase > phase / 2) {
        if (is_quiet) {
          quiet_rss_sum += rss;
          quiet_samples++;
        } else {
          busy_rss_sum += rss;
          busy_samples++;
        }
      }
      if (live > live_at_peak) {
        live_at_peak = live;
        rss_at_peak_live = rss;
        if (stats_print) {
          stats_len = 0;
          stats_text[0] = 0;
          stats_print(collect_stats, nullptr);
          if (std::strstr(stats_text, "shardguard")) {
            meta_at_peak = stats_mib("metadata");
            reserved_at_peak = stats_mib("reserved");
          }
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop.store(true);
  for (auto& s : pool) s.t.join();

  std::printf("summary peak_rss_mib=%.1f busy_rss_mib=%.1f quiet_rss_mib=%.1f threads=%d\n", peak_rss,
              busy_samples ? busy_rss_sum / busy_samples : 0.0, quiet_samples ? quiet_rss_sum / quiet_samples : 0.0,
              threads_started);
  print_latency("malloc", all_malloc, tpn);
  print_latency("free", all_free, tpn);
  if (meta_at_peak >= 0) {
    std::printf("metadata %.2f MiB at the peak of live data (%.1f MiB live, %.1f MiB RSS, %.1f MiB reserved): "
                "%.3f%% of live, %.3f%% of RSS\n",
                meta_at_peak, live_at_peak, rss_at_peak_live, reserved_at_peak, 100.0 * meta_at_peak / live_at_peak,
                100.0 * meta_at_peak / rss_at_peak_live);
  }
  return 0;
}
