// Layer fill_check: a write into a freed block is caught when the block is
// handed out again.
//
// Invariant: the fill window of every block on a free list, its first
// min(block size, kFillBytes) bytes, is zero past the block's header words
// (the link, and the double-free mark when that layer is on): free() zeroes
// the window before it writes the header, page_extend zeroes fresh blocks of
// dirty memory, and allocation verifies the zeroes before handing the block
// out, then clears the header. The window keeps the cost of a free and a
// malloc independent of the block size (SHARDGUARD_FILL_BYTES: a write after
// free lands in the first bytes of an object, its header and pointers, far
// more often than deep in a big buffer); blocks of more than kFillMaxBlock
// bytes are not filled.
//
// The window is covered by a fixed number of 16-byte loads or stores whose
// offsets are clamped to the window's last 16 bytes (they overlap in small
// blocks): no loop, and no branch on the block size, which the mix of sizes
// in a real program would mispredict.
#pragma once
#include <cstdint>
#include <cstring>
#include <emmintrin.h>

#include <shardguard/config.h>

#include "core/config.h"
#include "core/types.h"
#include "secure/report.h"
#include "core/track.h"

namespace shardguard::secure {

inline constexpr size_t kFillBytes = config::fill_bytes;
inline constexpr size_t kFillChunk = 16;
inline constexpr size_t kFillChunks = kFillBytes / kFillChunk;
inline constexpr size_t kFillMaxBlock = kMediumObjMax;
inline constexpr size_t kFillHeader = config::double_free ? 2 * kWordSize : kWordSize;
static_assert(kFillBytes % kFillChunk == 0 && kFillBytes >= 2 * kFillChunk && kFillBytes <= 4096,
              "SHARDGUARD_FILL_BYTES: a multiple of 16, from 32 to 4096");

// page_init: where the chunks go (chunk 0 of the verification starts right
// after the header; every other chunk i at 16 i, clamped to the window's
// last 16 bytes) and which 8-byte halves of the verified chunks lie past
// the header: in a block of less than 32 bytes every verified chunk is the
// same 16 bytes, which overlap the header. Needs block_size >= 16 (bins.h).
//
// Blocks of more than kFillMaxBlock bytes get no window: every chunk at 0
// (free() zeroes the header words, which it writes again anyway) and a mask
// that verifies nothing, so the fast paths need no test of the block size.
inline void fill_page_init(Page* page) {
  if (page->block_size > kFillMaxBlock) {
    for (size_t i = 0; i < kFillChunks; i++) page->fill_at[i] = 0;
    page->fill_mask[0] = page->fill_mask[1] = 0;
    return;
  }
  const size_t window = page->block_size < kFillBytes ? page->block_size : kFillBytes;
  const size_t last = window - kFillChunk;
  for (size_t i = 0; i < kFillChunks; i++) {
    const size_t at = i == 0 ? kFillHeader : i * kFillChunk;
    page->fill_at[i] = static_cast<uint16_t>(at < last ? at : last);
  }
  page->fill_mask[0] = page->fill_at[0] >= kFillHeader ? ~uint64_t{0} : 0;
  page->fill_mask[1] = page->fill_at[0] + kWordSize >= kFillHeader ? ~uint64_t{0} : 0;
}

// Zeroes the window, header words included: the caller writes the mark and
// the link afterwards.
SHARDGUARD_INTERNAL_ACCESS inline void fill_freed(const Page* page, Block* block) {
  track::Internal internal;
  auto* b = reinterpret_cast<uint8_t*>(block);
  const __m128i zero = _mm_setzero_si128();
  _mm_storeu_si128(reinterpret_cast<__m128i*>(b), zero);
  for (size_t i = 1; i < kFillChunks; i++) _mm_storeu_si128(reinterpret_cast<__m128i*>(b + page->fill_at[i]), zero);
}

// Verifies the window past the header; the caller then clears the header
// (the link and the mark), and the block leaves with its whole window zero.
SHARDGUARD_INTERNAL_ACCESS inline void fill_verify(const Page* page, Block* block) {
  track::Internal internal;
  const auto* b = reinterpret_cast<const uint8_t*>(block);
  __m128i any = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + page->fill_at[0]));
  for (size_t i = 1; i < kFillChunks; i++) {
    any = _mm_or_si128(any, _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + page->fill_at[i])));
  }
  any = _mm_and_si128(any, _mm_loadu_si128(reinterpret_cast<const __m128i*>(page->fill_mask)));
  if (_mm_movemask_epi8(_mm_cmpeq_epi8(any, _mm_setzero_si128())) != 0xffff) [[unlikely]] {
    report_attack(kErrCorrupted, "write after free (a freed block was modified)", block, page->block_size);
  }
}

// The header words of a block being handed out (fill_check on).
SHARDGUARD_INTERNAL_ACCESS inline void fill_clear_header(Block* block) {
  track::Internal internal;
  _mm_storeu_si128(reinterpret_cast<__m128i*>(block), _mm_setzero_si128());
}

}  // namespace shardguard::secure
