// Whether a pointer is the start of a block of a page, without a division.
// block_recip = ceil(2^64 / block_size): the index of a byte offset is
// (offset * block_recip) >> 64, and the offset is a multiple of block_size
// exactly when the low 64 bits of that product are below block_recip
// (Lemire's divisibility test). Both hold for every offset inside a segment
// (offset < 2^32, block_size < 2^32).
#pragma once
#include <cstdint>

#include "core/types.h"

namespace shardguard::secure {

// A page of one block (huge blocks may exceed 2^32 bytes) gets 1: every
// offset then has index 0, and only offset 0 starts a block.
inline uint64_t block_reciprocal(size_t block_size, uint32_t blocks) {
  return blocks == 1 ? 1 : ~uint64_t{0} / block_size + 1;
}

inline uint64_t page_block_index(const Page* page, uintptr_t offset) {
  return static_cast<uint64_t>((static_cast<__uint128_t>(offset) * page->block_recip) >> 64);
}

// p lies in the page's blocks area and at a block boundary.
inline bool page_is_block_start(const Page* page, const void* p) {
  const uintptr_t offset = reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(page->area);
  if (offset >= page->area_used) return false;  // also p < area
  return offset * page->block_recip < page->block_recip;
}

}  // namespace shardguard::secure
