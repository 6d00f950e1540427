// Small helpers shared by the shardguard GoogleTest suite.
//
// Nothing here allocates: rss_bytes() reads /proc/self/statm with open/read
// into a stack buffer, so measuring memory does not disturb the allocator.
#ifndef SHARDGUARD_TEST_UTIL_H
#define SHARDGUARD_TEST_UTIL_H

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

// Multiplier for iteration counts of stress loops. CMake sets it below 1 for
// sanitizer builds; the environment variable of the same name overrides it.
#ifndef SHARDGUARD_TEST_SCALE
#define SHARDGUARD_TEST_SCALE 1.0
#endif

namespace sgtest {

inline constexpr size_t KiB = size_t{1} << 10;
inline constexpr size_t MiB = size_t{1} << 20;
inline constexpr size_t npos = SIZE_MAX;

inline double test_scale() {
  double s = SHARDGUARD_TEST_SCALE;
  if (const char* e = std::getenv("SHARDGUARD_TEST_SCALE")) {
    char* end = nullptr;
    double v = std::strtod(e, &end);
    if (end != e && v > 0) s = v;
  }
  return s;
}

// n scaled by the test scale, never below `at_least`.
inline size_t scaled(size_t n, size_t at_least = 1) {
  double v = static_cast<double>(n) * test_scale();
  size_t r = static_cast<size_t>(v);
  return r < at_least ? at_least : r;
}

// Resident set size of this process in bytes (second field of /proc/self/statm).
inline size_t rss_bytes() {
  int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char* s = buf;
  while (*s && *s != ' ') s++;  // skip total program size
  unsigned long long resident = std::strtoull(s, nullptr, 10);
  return static_cast<size_t>(resident) * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

// RSS measured under a sanitizer includes its shadow memory and metadata,
// which keep growing for a while as new addresses are touched. Bounds on RSS
// growth get this much extra room over `strict` there (a real leak still
// grows without bound and is still caught).
#ifndef SHARDGUARD_TEST_SANITIZED
#define SHARDGUARD_TEST_SANITIZED 0
#endif
// SHARDGUARD_TRACK=asan: the library poisons the blocks it does not hand
// out, so AddressSanitizer's shadow of the whole heap becomes resident (an
// eighth of it) and stays so after the heap's pages are purged.
#if defined(SHARDGUARD_TEST_TRACK_ASAN)
inline constexpr bool kTrackAsan = true;
#else
inline constexpr bool kTrackAsan = false;
#endif
// ThreadSanitizer keeps state of its own per thread and per mapping that
// dwarfs the allocator's: RSS bounds on thread churn mean nothing under it.
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kThreadSanitizer = true;
#else
inline constexpr bool kThreadSanitizer = false;
#endif
#else
inline constexpr bool kThreadSanitizer = false;
#endif

// Sanitizer runtimes keep memory of their own (shadow, quarantine, the
// test's std:: containers and thread stacks come from their malloc), and it
// grows with the run: their bounds are twice as loose, plus the baseline.
inline size_t rss_tolerance(size_t strict, size_t baseline) {
  return SHARDGUARD_TEST_SANITIZED ? 2 * strict + baseline : strict;
}

inline size_t page_size() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

inline bool is_aligned(const void* p, size_t alignment) {
  return (reinterpret_cast<uintptr_t>(p) & (alignment - 1)) == 0;
}

// Hides a value from the optimizer so that calls with impossible sizes are
// really made at run time (and no compile-time warning is triggered).
template <class T>
T opaque(T v) {
  volatile T x = v;
  return x;
}

// Makes a pointer escape so that an allocation cannot be elided.
inline void escape(const void* p) { asm volatile("" : : "g"(p) : "memory"); }

// ---- position-dependent byte patterns ----
// Byte i of the pattern for `seed` is byte (i % 8) of word(seed, i / 8); a copy
// to a wrong offset, a stale block or a zeroed block all fail the check.
inline uint64_t pattern_word(uint64_t seed, uint64_t index) {
  uint64_t x = (seed + 1) * 0x9E3779B97F4A7C15ull + index * 0xD1B54A32D192ED03ull;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  return x;
}

inline uint8_t pattern_byte(uint64_t seed, size_t i) {
  return static_cast<uint8_t>(pattern_word(seed, i / 8) >> (8 * (i % 8)));
}

// Fills bytes [from, to) of p with the pattern for seed (offsets are absolute).
inline void fill_pattern_range(void* p, size_t from, size_t to, uint64_t seed) {
  uint8_t* b = static_cast<uint8_t*>(p);
  size_t i = from;
  while (i < to && (i % 8) != 0) {
    b[i] = pattern_byte(seed, i);
    i++;
  }
  for (; i + 8 <= to; i += 8) {
    uint64_t w = pattern_word(seed, i / 8);
    std::memcpy(b + i, &w, 8);
  }
  for (; i < to; i++) b[i] = pattern_byte(seed, i);
}

// Index of the first byte in [from, to) that differs from the pattern, or npos.
inline size_t check_pattern_range(const void* p, size_t from, size_t to, uint64_t seed) {
  const uint8_t* b = static_cast<const uint8_t*>(p);
  size_t i = from;
  while (i < to && (i % 8) != 0) {
    if (b[i] != pattern_byte(seed, i)) return i;
    i++;
  }
  for (; i + 8 <= to; i += 8) {
    uint64_t w = pattern_word(seed, i / 8), got;
    std::memcpy(&got, b + i, 8);
    if (got != w) {
      for (size_t j = i; j < i + 8; j++)
        if (b[j] != pattern_byte(seed, j)) return j;
    }
  }
  for (; i < to; i++)
    if (b[i] != pattern_byte(seed, i)) return i;
  return npos;
}

inline void fill_pattern(void* p, size_t n, uint64_t seed) { fill_pattern_range(p, 0, n, seed); }
inline size_t check_pattern(const void* p, size_t n, uint64_t seed) {
  return check_pattern_range(p, 0, n, seed);
}

// Index of the first non-zero byte of p[0, n), or npos.
inline size_t first_nonzero(const void* p, size_t n) {
  const uint8_t* b = static_cast<const uint8_t*>(p);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, b + i, 8);
    if (w != 0) break;
  }
  for (; i < n; i++)
    if (b[i] != 0) return i;
  return npos;
}

// Small deterministic PRNG (splitmix64): identical sequences on every run.
struct Rng {
  uint64_t state;
  explicit Rng(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // uniform in [lo, hi]
  size_t range(size_t lo, size_t hi) { return lo + static_cast<size_t>(next() % (hi - lo + 1)); }
  bool chance(unsigned one_in) { return next() % one_in == 0; }
};

// Sizes 0..max stepping ~12.5% (so every size bin is visited), plus the
// neighbours of every power of two from 16 on, sorted and unique.
template <class Vec>
Vec size_ladder(size_t max) {
  Vec v;
  for (size_t s = 0; s <= max; s += (s / 8 > 0 ? s / 8 : 1)) v.push_back(s);
  for (size_t p = 16; p <= max; p *= 2) {
    v.push_back(p - 1);
    v.push_back(p);
    if (p + 1 <= max) v.push_back(p + 1);
  }
  v.push_back(max);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace sgtest

#endif  // SHARDGUARD_TEST_UTIL_H
