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
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Blocks of kFillBytes or more (most) get a fixed-size zeroing, which the
// compiler turns into a few inline vector stores; smaller ones a short loop
// that the compiler must not turn back into a memset call (the barrier).
inline void fill_freed(const Page* page, Block* block) {
  if (page->block_size > kFillMaxBlock) return;
  uint8_t* p = reinterpret_cast<uint8_t*>(block) + kFillHeader;
  if (page->block_size >= kFillBytes) [[likely]] {
    memset(p, 0, kFillBytes - kFillHeader);
    return;
  }
  uint8_t* const end = reinterpret_cast<uint8_t*>(block) + page->block_size;
  for (; p < end; p += 8) {
    __asm__("" : "+r"(p));
    *reinterpret_cast<uint64_t*>(p) = 0;
  }
}

inline void fill_verify(const Page* page, Block* block) {
  if (page->block_size > kFillMaxBlock) return;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(block) + kFillHeader;
  const uint8_t* const end = reinterpret_cast<const uint8_t*>(block) + fill_end(page);
  uint64_t any = 0;
#if defined(__SSE2__)
  __m128i acc = _mm_setzero_si128();
  for (; p + 16 <= end; p += 16) acc = _mm_or_si128(acc, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  any = static_cast<uint64_t>(_mm_cvtsi128_si64(acc)) | static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc)));
#endif
  for (; p < end; p += 8) any |= *reinterpret_cast<const uint64_t*>(p);
  if (any != 0) [[unlikely]] report_attack(kErrCorrupted, "write after free (a freed block was modified)", block, page->block_size);
}

}  // namespace shardguard::secure
