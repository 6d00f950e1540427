// Randomness for the hardening layers: a per-thread generator (wyrand: one
// multiply per draw, good enough to pick blocks and pages) seeded from the
// kernel, and process-wide secrets drawn from the kernel once.
#pragma once
#include <cstdint>

namespace shardguard::secure {

// 64 random bits from getrandom(); falls back to mixing the clock and
// addresses when the kernel cannot give them (very early boot only).
uint64_t os_random();

// `state` is ThreadData::rng for the calling thread.
inline uint64_t rng_next(uint64_t& state) {
  state += 0xa0761d6478bd642full;
  const __uint128_t m = static_cast<__uint128_t>(state) * (state ^ 0xe7037ed1a0b428dbull);
  return static_cast<uint64_t>(m >> 64) ^ static_cast<uint64_t>(m);
}

// A uniform draw in [0, n), n > 0 (multiply-shift: no division).
inline uint32_t rng_below(uint64_t& state, uint32_t n) {
  return static_cast<uint32_t>((static_cast<uint64_t>(static_cast<uint32_t>(rng_next(state))) * n) >> 32);
}

// A random, segment-aligned address in the middle of the 47-bit user
// address space, for mmap to try first.
inline uintptr_t random_placement(uint64_t& state, size_t alignment) {
  constexpr uintptr_t kLow = uintptr_t{1} << 40, kHigh = uintptr_t{0x5f} << 40;
  return (kLow + rng_next(state) % (kHigh - kLow)) & ~(alignment - 1);
}

}  // namespace shardguard::secure
