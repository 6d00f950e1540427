// Whether a pointer is the start of a block of a page, without a division:
// the index of a byte offset is (offset * block_recip) >> 64, exact for every
// offset inside a segment (offset < 2^32, block_size < 2^32).
#pragma once
#include <cstdint>

#include "core/types.h"

namespace shardguard::secure {

inline uint64_t block_reciprocal(size_t block_size) { return ~uint64_t{0} / block_size + 1; }

inline uint64_t page_block_index(const Page* page, uintptr_t offset) {
  return static_cast<uint64_t>((static_cast<__uint128_t>(offset) * page->block_recip) >> 64);
}

// p lies in the page's blocks area and at a block boundary.
inline bool page_is_block_start(const Page* page, const void* p) {
  const uintptr_t offset = reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(page->area);
  if (offset >= page->area_used) return false;  // also p < area
  return page_block_index(page, offset) * page->block_size == offset;
}

}  // namespace shardguard::secure
