// Randomized stress with cross-thread frees: under every policy (the secure
// one above all) millions of valid operations raise no false alarm, and
// every live block keeps its contents. Through the mi_* API, so sanitizer
// builds (which keep libc's malloc) stress shardguard too.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "test_util.h"

namespace {

uint64_t next(uint64_t& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

size_t random_size(uint64_t& rng) {
  const uint64_t r = next(rng);
  if (r % 256 == 0) return 600000 + (r >> 8) % 2500000;  // now and then huge
  if (r % 16 == 0) return 16 + (r >> 8) % 200000;        // medium and large
  return 16 + (r >> 8) % 1024;                           // mostly small
}

// A block records its size in its first word and a pattern after it.
void fill(uint8_t* p, size_t size) {
  memcpy(p, &size, sizeof size);
  const size_t n = size < 256 ? size : 256;
  memset(p + 8, static_cast<int>(size & 0xff), n - 8);
  p[size - 1] = static_cast<uint8_t>(size >> 3);
}

// The block is intact for its first `prefix` bytes (prefix <= its size).
bool intact(const uint8_t* p, size_t prefix) {
  size_t size;
  memcpy(&size, p, sizeof size);
  size_t n = prefix < 256 ? prefix : 256;
  if (n == size) n--;  // the last byte holds its own mark
  for (size_t i = 8; i < n; i++) {
    if (p[i] != static_cast<uint8_t>(size & 0xff)) return false;
  }
  return prefix < size || p[size - 1] == static_cast<uint8_t>(size >> 3);
}

size_t size_of(const uint8_t* p) {
  size_t size;
  memcpy(&size, p, sizeof size);
  return size;
}

TEST(SecureStress, MillionsOfOperationsWithCrossThreadFreesRaiseNoAlarm) {
  constexpr int kThreads = 4;
  constexpr size_t kSlots = 4096;  // shared: any thread frees what any other allocated
  const long ops_per_thread = static_cast<long>(sgtest::scaled(500000));
  std::vector<std::atomic<uint8_t*>> slots(kSlots);
  std::atomic<long> corrupted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      uint64_t rng = 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(t + 1);
      for (long i = 0; i < ops_per_thread; i++) {
        std::atomic<uint8_t*>& slot = slots[next(rng) % kSlots];
        uint8_t* p = slot.exchange(nullptr, std::memory_order_acq_rel);
        if (p) {
          const size_t size = size_of(p);
          if (!intact(p, size)) corrupted++;
          if (next(rng) % 4 != 0) {
            mi_free(p);
            continue;
          }
          const size_t n = random_size(rng);
          p = static_cast<uint8_t*>(mi_realloc(p, n));
          ASSERT_NE(p, nullptr);
          if (n >= size ? !intact(p, size) : !intact(p, n)) corrupted++;
          memcpy(p, &n, sizeof n);
        } else {
          const size_t n = random_size(rng);
          switch (next(rng) % 8) {
            case 0: p = static_cast<uint8_t*>(mi_malloc_aligned(n, size_t{16} << (next(rng) % 8))); break;
            case 1: p = static_cast<uint8_t*>(mi_calloc(1, n)); break;
            default: p = static_cast<uint8_t*>(mi_malloc(n));
          }
          ASSERT_NE(p, nullptr);
          memcpy(p, &n, sizeof n);
        }
        fill(p, size_of(p));
        uint8_t* expected = nullptr;
        if (!slot.compare_exchange_strong(expected, p, std::memory_order_acq_rel)) mi_free(p);  // taken meanwhile
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& slot : slots) mi_free(slot.load());
  EXPECT_EQ(corrupted.load(), 0);
}

}  // namespace
