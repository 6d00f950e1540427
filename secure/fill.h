// Layer fill_check: a write into a freed block is caught when the block is
// handed out again.
//
// Invariant: the first kFillBytes of every block on a free list are zero
// past the block's header words (the link, and the double-free mark when
// that layer is on): free() zeroes them, page_extend zeroes fresh blocks of
// dirty memory, and allocation verifies the zeroes before handing the block
// out. The bound keeps the cost of a free and a malloc independent of the
// block size (SHARDGUARD_FILL_BYTES: a write after free lands in the first
// bytes of an object, its header and pointers, far more often than deep in
// a big buffer); blocks of more than kFillMaxBlock bytes are not filled.
#pragma once
#include <cstdint>
#include <cstring>

#include <shardguard/config.h>

#include "core/config.h"
#include "core/types.h"
#include "secure/report.h"

namespace shardguard::secure {

inline constexpr size_t kFillBytes = config::fill_bytes;
inline constexpr size_t kFillMaxBlock = kMediumObjMax;
inline constexpr size_t kFillHeader = config::double_free ? 2 * kWordSize : kWordSize;
static_assert(kFillBytes % kWordSize == 0 && kFillBytes >= 4 * kWordSize, "SHARDGUARD_FILL_BYTES: a multiple of 8, at least 32");

// Bytes of the block (from its start) that are filled.
inline size_t fill_end(const Page* page) { return page->block_size < kFillBytes ? page->block_size : kFillBytes; }

inline void fill_freed(const Page* page, Block* block) {
  if (page->block_size > kFillMaxBlock) return;
  memset(reinterpret_cast<uint8_t*>(block) + kFillHeader, 0, fill_end(page) - kFillHeader);
}

inline void fill_verify(const Page* page, Block* block) {
  if (page->block_size > kFillMaxBlock) return;
  const auto* w = reinterpret_cast<const uint64_t*>(block);
  const size_t end = fill_end(page) / 8;
  uint64_t any = 0;
  for (size_t i = kFillHeader / 8; i < end; i++) any |= w[i];
  if (any != 0) [[unlikely]] report_attack(kErrCorrupted, "write after free (a freed block was modified)", block, page->block_size);
}

}  // namespace shardguard::secure
