// Per-call latency of malloc/free, in TSC ticks, kept in a fixed histogram
// (no allocation while measuring): exact below 1024 ticks, 64 sub-buckets
// per power of two above, so percentiles are within 1.6%.
#pragma once
#include <x86intrin.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>

struct LatencyHistogram {
  static constexpr int kExact = 1024;
  static constexpr int kSub = 64;
  static constexpr int kBuckets = kExact + (64 - 10) * kSub;
  uint64_t count[kBuckets] = {};
  uint64_t total = 0;
  uint64_t max = 0;

  static int bucket_of(uint64_t v) {
    if (v < kExact) return static_cast<int>(v);
    const int e = 63 - __builtin_clzll(v);  // >= 10
    return kExact + (e - 10) * kSub + static_cast<int>((v >> (e - 6)) & (kSub - 1));
  }
  static uint64_t bucket_low(int b) {
    if (b < kExact) return static_cast<uint64_t>(b);
    const int e = (b - kExact) / kSub + 10;
    const uint64_t m = static_cast<uint64_t>((b - kExact) % kSub);
    return (uint64_t{1} << e) | (m << (e - 6));
  }
  void add(uint64_t ticks) {
    count[bucket_of(ticks)]++;
    total++;
    if (ticks > max) max = ticks;
  }
  void merge(const LatencyHistogram& o) {
    for (int i = 0; i < kBuckets; i++) count[i] += o.count[i];
    total += o.total;
    if (o.max > max) max = o.max;
  }
  uint64_t percentile(double p) const {
    const uint64_t rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(total));
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; i++) {
      seen += count[i];
      if (seen > rank) return bucket_low(i);
    }
    return max;
  }
};

// Serialized TSC reads around the measured call (lfence keeps the call
// from moving across them).
inline uint64_t ticks_now() {
  _mm_lfence();
  const uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}

// TSC ticks per nanosecond, measured against steady_clock over 100 ms.
inline double ticks_per_ns() {
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t c0 = ticks_now();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const uint64_t c1 = ticks_now();
  const auto t1 = std::chrono::steady_clock::now();
  return static_cast<double>(c1 - c0) / static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
}

// The cost of an empty measurement (two ticks_now calls), subtracted from
// each sample.
inline uint64_t timer_overhead() {
  uint64_t best = ~uint64_t{0};
  for (int i = 0; i < 10000; i++) {
    const uint64_t a = ticks_now();
    const uint64_t b = ticks_now();
    if (b - a < best) best = b - a;
  }
  return best;
}

inline void print_latency(const char* what, const LatencyHistogram& h, double tpn) {
  auto ns = [&](uint64_t t) { return static_cast<double>(t) / tpn; };
  std::printf("%-7s calls=%llu p50=%.0fns p99=%.0fns p99.9=%.0fns p99.99=%.0fns max=%.1fus\n", what,
              static_cast<unsigned long long>(h.total), ns(h.percentile(50)), ns(h.percentile(99)),
              ns(h.percentile(99.9)), ns(h.percentile(99.99)), ns(h.max) / 1000.0);
}
