// secure/block_check.h: the test "is this pointer the start of a block" that
// the invalid-free and encrypted-link layers rely on, against plain division.
#include <gtest/gtest.h>

#include "core/bins.h"
#include "core/config.h"
#include "core/types.h"
#include "secure/block_check.h"

namespace shardguard {
namespace {

void init(Page& page, uint8_t* area, size_t block_size, uint32_t blocks) {
  page.area = area;
  page.block_size = block_size;
  page.reserved = blocks;
  page.area_used = size_t{blocks} * block_size;
  page.block_recip = secure::block_reciprocal(block_size, blocks);
}

// For every bin's block size, across a whole segment: every byte of the
// first 64 KiB, and around every block boundary after it.
TEST(BlockCheck, OffsetsOfEveryBinAreJudgedAsDivisionWould) {
  auto* area = reinterpret_cast<uint8_t*>(uintptr_t{1} << 40);
  for (size_t bin = 1; bin < kBinHuge; bin++) {
    const size_t size = kBinSizes[bin];
    const auto blocks = static_cast<uint32_t>(kSegmentSize / size);
    Page page{};
    init(page, area, size, blocks);
    size_t wrong = 0;
    auto judge = [&](size_t offset) {
      const bool expected = offset < page.area_used && offset % size == 0;
      if (secure::page_is_block_start(&page, area + offset) != expected) wrong++;
      if (offset < page.area_used && secure::page_block_index(&page, offset) != offset / size) wrong++;
    };
    for (size_t offset = 0; offset < 64 * 1024; offset++) judge(offset);
    for (size_t k = 1; k <= blocks; k++) {
      for (size_t offset : {k * size - 8, k * size - 1, k * size, k * size + 1, k * size + 8, k * size + size / 2}) judge(offset);
    }
    EXPECT_EQ(wrong, 0u) << "block size " << size;
  }
}

TEST(BlockCheck, APointerBeforeTheAreaIsNotABlock) {
  auto* area = reinterpret_cast<uint8_t*>(uintptr_t{1} << 40);
  Page page{};
  init(page, area, 48, 1000);
  EXPECT_FALSE(secure::page_is_block_start(&page, area - 48));
  EXPECT_FALSE(secure::page_is_block_start(&page, area - 1));
}

// A huge block may be larger than 4 GiB: only its first byte starts a block.
TEST(BlockCheck, AHugeBlockStartsOnlyAtItsFirstByte) {
  auto* area = reinterpret_cast<uint8_t*>(uintptr_t{1} << 44);
  for (size_t size : {size_t{3} << 20, (size_t{5} << 30) + 4096, (size_t{1} << 33) - 4096}) {
    Page page{};
    init(page, area, size, 1);
    EXPECT_TRUE(secure::page_is_block_start(&page, area));
    for (size_t offset : {size_t{1}, size_t{4096}, size / 2, size - 4096, size - 1}) {
      EXPECT_FALSE(secure::page_is_block_start(&page, area + offset)) << size << " at " << offset;
      EXPECT_EQ(secure::page_block_index(&page, offset), 0u);
    }
    EXPECT_FALSE(secure::page_is_block_start(&page, area + size));
  }
}

}  // namespace
}  // namespace shardguard
