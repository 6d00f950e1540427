// Process-wide counters, touched only on slow paths (OS calls, page and
// segment changes), so they stay on in every build.
#pragma once
#include <atomic>
#include <cstdint>

namespace shardguard::stats {

struct Counter {
  std::atomic<int64_t> current{0};
  std::atomic<int64_t> peak{0};
  std::atomic<int64_t> total{0};  // everything ever added
};

extern Counter reserved;    // bytes mapped from the OS
extern Counter segments;    // segments in use
extern Counter pages;       // pages in use
extern Counter huge;        // huge blocks in use
extern Counter purges;      // ranges given back to the OS
extern Counter threads;     // threads with a heap
extern Counter abandoned;   // segments waiting for a new owner
extern Counter reclaimed;   // segments adopted by another thread
extern Counter cache_hits;  // segments reused from the segment cache

void add(Counter& c, int64_t amount);
void sub(Counter& c, int64_t amount);

using OutputFn = void(const char* msg, void* arg);
void print(OutputFn* out, void* arg);

}  // namespace shardguard::stats
