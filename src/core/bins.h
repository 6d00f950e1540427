// Size bins: exact for sizes up to 64 bytes, then four bins per doubling
// (about 12.5% apart), up to kLargeObjMax. Everything larger is huge.
#pragma once
#include <array>
#include <bit>

#include <shardguard/config.h>

#include "core/config.h"

namespace shardguard {

inline constexpr size_t kBinHuge = 61;  // queue of huge pages (one block each)
inline constexpr size_t kBinFull = 62;  // queue of pages with no free block
inline constexpr size_t kBinCount = kBinFull + 1;

constexpr size_t bin_of(size_t size) {
  size_t wsize = (size + kWordSize - 1) / kWordSize;
  // The double_free layer keeps a mark in a free block's second word, and
  // fill_check works in 16-byte chunks: no 8-byte blocks then (bin 1 stays
  // unused).
  if (wsize <= 1) return config::double_free || config::fill_check ? 2 : 1;
  // Up to 64 bytes, sizes round to 16: every block of 16 bytes or more is
  // 16-byte aligned, as glibc's are (programs rely on it). Bins 3, 5 and 7
  // stay unused.
  if (wsize <= 8) return (wsize + 1) & ~size_t{1};
  if (size > kLargeObjMax) return kBinHuge;
  wsize--;
  const size_t b = std::bit_width(wsize) - 1;  // b >= 3 here
  return ((b << 2) + ((wsize >> (b - 2)) & 3)) - 3;
}

namespace detail {
constexpr std::array<size_t, kBinCount> make_bin_sizes() {
  std::array<size_t, kBinCount> sizes{};
  for (size_t w = 1; w <= 8; w++) sizes[bin_of(w * kWordSize)] = w * kWordSize;
  // Above 64 bytes, bin (4b + q - 3) ends at word size 2^b + (q+1) * 2^(b-2).
  for (size_t b = 3; (size_t{1} << b) * kWordSize < kLargeObjMax; b++) {
    for (size_t q = 0; q < 4; q++) sizes[4 * b + q - 3] = ((size_t{1} << b) + ((q + 1) << (b - 2))) * kWordSize;
  }
  sizes[0] = kWordSize;
  for (size_t bin = 1; bin < kBinHuge; bin++) {
    if (sizes[bin] == 0) sizes[bin] = sizes[bin - 1];  // unused bins: keeps direct-table ranges contiguous
  }
  sizes[kBinHuge] = kLargeObjMax + kWordSize;      // sentinels: never used as block sizes
  sizes[kBinFull] = kLargeObjMax + 2 * kWordSize;
  return sizes;
}
}  // namespace detail

inline constexpr std::array<size_t, kBinCount> kBinSizes = detail::make_bin_sizes();

// The block size a request of `size` bytes gets (size <= kLargeObjMax).
constexpr size_t bin_block_size(size_t bin) { return kBinSizes[bin]; }

static_assert(bin_of(kLargeObjMax) == kBinHuge - 1, "bins must end exactly at kLargeObjMax");
// Each bin's size is the largest size that maps to it.
static_assert([] {
  for (size_t bin = 9; bin < kBinHuge; bin++) {
    if (bin_of(kBinSizes[bin]) != bin || bin_of(kBinSizes[bin] + 1) != bin + 1) return false;
  }
  return true;
}());
static_assert(bin_of(kLargeObjMax + 1) == kBinHuge);
static_assert(kBinSizes[2] == 16 && kBinSizes[4] == 32 && kBinSizes[8] == 64 && kBinSizes[9] == 80 && kBinSizes[kBinHuge - 1] == kLargeObjMax);

}  // namespace shardguard
