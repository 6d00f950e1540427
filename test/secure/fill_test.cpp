// secure/fill.h: the fixed, overlapping 16-byte chunks cover exactly the
// fill window of every block size (built where fill_check is on).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/bins.h"
#include "core/types.h"
#include "secure/fill.h"

// The library's reporter is internal (hidden); fill.h is tested alone, with
// a reporter of the same contract: one line, then abort.
namespace shardguard::secure {
void report_attack(int, const char* what, const void* address, size_t size_class) noexcept {
  fprintf(stderr, "shardguard: %s at %p (size class %zu)\n", what, address, size_class);
  abort();
}
}  // namespace shardguard::secure

namespace shardguard {
namespace {

using secure::kFillBytes;
using secure::kFillChunk;
using secure::kFillChunks;
using secure::kFillHeader;

size_t window_of(size_t block_size) { return block_size < kFillBytes ? block_size : kFillBytes; }

void init(Page& page, size_t block_size) {
  page.block_size = block_size;
  secure::fill_page_init(&page);
}

// What free() zeroes: the first chunk and every other chunk.
std::vector<bool> zeroed(const Page& page) {
  std::vector<bool> bytes(page.block_size, false);
  for (size_t i = 0; i < kFillChunks; i++) {
    const size_t at = i == 0 ? 0 : page.fill_at[i];
    for (size_t b = at; b < at + kFillChunk; b++) bytes.at(b) = true;
  }
  return bytes;
}

// What allocation verifies: every chunk, through the mask.
std::vector<bool> verified(const Page& page) {
  std::vector<bool> bytes(page.block_size, false);
  for (size_t i = 0; i < kFillChunks; i++) {
    for (size_t b = 0; b < kFillChunk; b++) {
      if (page.fill_mask[b / 8] != 0) bytes.at(page.fill_at[i] + b) = true;
    }
  }
  return bytes;
}

TEST(Fill, FreeZeroesExactlyTheWindowOfEveryBlockSize) {
  for (size_t bin = 2; bin < kBinHuge && kBinSizes[bin] <= secure::kFillMaxBlock; bin++) {
    Page page{};
    init(page, kBinSizes[bin]);
    const std::vector<bool> bytes = zeroed(page);
    for (size_t b = 0; b < page.block_size; b++) {
      EXPECT_EQ(bytes[b], b < window_of(page.block_size)) << "block size " << page.block_size << ", byte " << b;
    }
  }
}

TEST(Fill, AllocationVerifiesTheWindowPastTheHeaderOfEveryBlockSize) {
  for (size_t bin = 2; bin < kBinHuge && kBinSizes[bin] <= secure::kFillMaxBlock; bin++) {
    Page page{};
    init(page, kBinSizes[bin]);
    const std::vector<bool> bytes = verified(page);
    for (size_t b = 0; b < page.block_size; b++) {
      const bool expected = b >= kFillHeader && b < window_of(page.block_size);
      EXPECT_EQ(bytes[b], expected) << "block size " << page.block_size << ", byte " << b;
    }
  }
}

TEST(Fill, AByteWrittenInTheWindowOfAFreedBlockIsReported) {
  alignas(16) static uint8_t block[256];
  for (size_t size : {size_t{16}, size_t{24}, size_t{32}, size_t{48}, size_t{80}, size_t{256}}) {
    Page page{};
    init(page, size);
    for (size_t b = kFillHeader; b < window_of(size); b++) {
      memset(block, 0xee, sizeof block);
      secure::fill_freed(&page, reinterpret_cast<Block*>(block));
      block[b] = 1;
      EXPECT_DEATH(secure::fill_verify(&page, reinterpret_cast<Block*>(block)), "write after free") << size << " byte " << b;
    }
  }
}

// Blocks above kFillMaxBlock are not filled: free() writes only their
// header words, and nothing of them is verified.
TEST(Fill, ABlockAboveTheFillLimitHasNoWindow) {
  Page page{};
  init(page, secure::kFillMaxBlock + 16);
  const std::vector<bool> bytes = zeroed(page);
  for (size_t b = 0; b < page.block_size; b++) EXPECT_EQ(bytes[b], b < kFillChunk) << "byte " << b;
  EXPECT_EQ(page.fill_mask[0] | page.fill_mask[1], 0u);
  alignas(16) static uint8_t block[256];
  memset(block, 0xee, sizeof block);
  secure::fill_verify(&page, reinterpret_cast<Block*>(block));
}

TEST(Fill, TheHeaderWordsOfAFreedBlockAreNotVerified) {
  alignas(16) static uint8_t block[256];
  for (size_t size : {size_t{16}, size_t{24}, size_t{32}, size_t{256}}) {
    Page page{};
    init(page, size);
    secure::fill_freed(&page, reinterpret_cast<Block*>(block));
    memset(block, 0xee, kFillHeader);  // the link and the mark
    secure::fill_verify(&page, reinterpret_cast<Block*>(block));
  }
}

}  // namespace
}  // namespace shardguard
