// Zero-initialized re-allocation: mi_rezalloc, mi_recalloc, their aligned
// and heap forms: the contents are kept and the grown part reads as zero.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "test_util.h"

using namespace sgtest;

namespace {

// Dirties blocks of many sizes and frees them, so that later allocations
// get reused memory (a fresh page would read as zero by itself).
void dirty_the_heap(mi_heap_t* heap) {
  for (size_t size : size_ladder<std::vector<size_t>>(300 * KiB)) {
    void* p = heap ? mi_heap_malloc(heap, size) : mi_malloc(size);
    if (p) std::memset(p, 0xA5, mi_usable_size(p));
    mi_free(p);
  }
}

}  // namespace

TEST(ApiRezalloc, RezallocGrowsWithTheNewPartZero) {
  dirty_the_heap(nullptr);
  for (size_t from : {size_t{8}, size_t{100}, size_t{5000}, size_t{70000}}) {
    for (size_t to : {from * 2, from * 10 + 3, from + 1}) {
      auto* p = static_cast<unsigned char*>(mi_zalloc(from));
      ASSERT_NE(p, nullptr);
      fill_pattern(p, from, from);
      p = static_cast<unsigned char*>(mi_rezalloc(p, to));
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(check_pattern(p, from, from), npos) << from << " -> " << to;
      EXPECT_EQ(first_nonzero(p + from, to - from), npos) << from << " -> " << to;
      mi_free(p);
    }
  }
}

TEST(ApiRezalloc, RezallocShrinkThenGrowInPlaceReadsZeroBeyondTheShrunkSize) {
  auto* p = static_cast<unsigned char*>(mi_zalloc(1000));
  ASSERT_NE(p, nullptr);
  std::memset(p, 0x77, 1000);
  p = static_cast<unsigned char*>(mi_rezalloc(p, 900));  // kept in place
  ASSERT_NE(p, nullptr);
  p = static_cast<unsigned char*>(mi_rezalloc(p, 1000));
  ASSERT_NE(p, nullptr);
  for (size_t i = 0; i < 900; i++) ASSERT_EQ(p[i], 0x77) << i;
  EXPECT_EQ(first_nonzero(p + 900, 100), npos);
  mi_free(p);
}

TEST(ApiRezalloc, RezallocOfNullActsAsZalloc) {
  dirty_the_heap(nullptr);
  auto* p = static_cast<unsigned char*>(mi_rezalloc(nullptr, 3000));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(first_nonzero(p, 3000), npos);
  mi_free(p);
}

TEST(ApiRezalloc, RecallocGrowsToCountElementsWithTheNewOnesZero) {
  dirty_the_heap(nullptr);
  auto* p = static_cast<uint32_t*>(mi_calloc(10, sizeof(uint32_t)));
  ASSERT_NE(p, nullptr);
  for (uint32_t i = 0; i < 10; i++) p[i] = i + 1;
  p = static_cast<uint32_t*>(mi_recalloc(p, 20000, sizeof(uint32_t)));
  ASSERT_NE(p, nullptr);
  for (uint32_t i = 0; i < 10; i++) EXPECT_EQ(p[i], i + 1);
  EXPECT_EQ(first_nonzero(p + 10, (20000 - 10) * sizeof(uint32_t)), npos);
  mi_free(p);
}

TEST(ApiRezalloc, RecallocWithOverflowingCountFailsAndKeepsTheBlock) {
  auto* p = static_cast<char*>(mi_calloc(4, 4));
  ASSERT_NE(p, nullptr);
  p[0] = 'k';
  errno = 0;
  EXPECT_EQ(mi_recalloc(p, opaque(SIZE_MAX / 2), 4), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_EQ(p[0], 'k');
  mi_free(p);
}

TEST(ApiRezalloc, RezallocAlignedKeepsAlignmentAndZeroesTheGrowth) {
  dirty_the_heap(nullptr);
  auto* p = static_cast<unsigned char*>(mi_zalloc_aligned(100, 256));
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 100, 1);
  p = static_cast<unsigned char*>(mi_rezalloc_aligned(p, 50000, 256));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(is_aligned(p, 256));
  EXPECT_EQ(check_pattern(p, 100, 1), npos);
  EXPECT_EQ(first_nonzero(p + 100, 50000 - 100), npos);
  mi_free(p);
}

TEST(ApiRezalloc, RezallocAlignedAtAlignsPointerPlusOffset) {
  auto* p = static_cast<unsigned char*>(mi_zalloc_aligned_at(64, 128, 16));
  ASSERT_NE(p, nullptr);
  p = static_cast<unsigned char*>(mi_rezalloc_aligned_at(p, 4000, 128, 16));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(is_aligned(p + 16, 128));
  EXPECT_EQ(first_nonzero(p, 4000), npos);
  mi_free(p);
}

TEST(ApiRezalloc, RecallocAlignedAndAlignedAtZeroTheGrowth) {
  dirty_the_heap(nullptr);
  auto* a = static_cast<unsigned char*>(mi_recalloc_aligned(nullptr, 10, 100, 64));
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(is_aligned(a, 64));
  std::memset(a, 1, 1000);
  a = static_cast<unsigned char*>(mi_recalloc_aligned(a, 30, 100, 64));
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(is_aligned(a, 64));
  EXPECT_EQ(first_nonzero(a + 1000, 2000), npos);
  auto* b = static_cast<unsigned char*>(mi_recalloc_aligned_at(nullptr, 10, 10, 64, 8));
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(is_aligned(b + 8, 64));
  EXPECT_EQ(first_nonzero(b, 100), npos);
  mi_free(a);
  mi_free(b);
}

TEST(ApiRezalloc, RezallocAlignedWithAlignmentNotAPowerOfTwoFailsWithEinval) {
  void* p = mi_zalloc(10);
  ASSERT_NE(p, nullptr);
  errno = 0;
  EXPECT_EQ(mi_rezalloc_aligned(p, 100, opaque<size_t>(48)), nullptr);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(mi_rezalloc_aligned(p, 100, opaque<size_t>(0)), nullptr);
  EXPECT_EQ(errno, EINVAL);
  mi_free(p);
}

TEST(ApiRezalloc, HeapRezallocAndRecallocStayInTheHeapAndZeroTheGrowth) {
  mi_heap_t* h = mi_heap_new();
  ASSERT_NE(h, nullptr);
  dirty_the_heap(h);
  auto* p = static_cast<unsigned char*>(mi_heap_zalloc(h, 40));
  ASSERT_NE(p, nullptr);
  std::memset(p, 9, 40);
  p = static_cast<unsigned char*>(mi_heap_rezalloc(h, p, 9000));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(mi_heap_contains_block(h, p));
  EXPECT_EQ(first_nonzero(p + 40, 9000 - 40), npos);
  auto* q = static_cast<unsigned char*>(mi_heap_recalloc(h, nullptr, 100, 10));
  ASSERT_NE(q, nullptr);
  q = static_cast<unsigned char*>(mi_heap_recalloc(h, q, 300, 10));
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(mi_heap_contains_block(h, q));
  EXPECT_EQ(first_nonzero(q, 3000), npos);
  mi_heap_destroy(h);
}

TEST(ApiRezalloc, HeapAlignedRezallocAndRecallocKeepAlignment) {
  mi_heap_t* h = mi_heap_new();
  ASSERT_NE(h, nullptr);
  dirty_the_heap(h);
  void* a = mi_heap_rezalloc_aligned(h, nullptr, 100, 512);
  void* b = mi_heap_rezalloc_aligned_at(h, nullptr, 100, 512, 32);
  void* c = mi_heap_recalloc_aligned(h, nullptr, 5, 20, 1024);
  void* d = mi_heap_recalloc_aligned_at(h, nullptr, 5, 20, 1024, 24);
  ASSERT_TRUE(a && b && c && d);
  EXPECT_TRUE(is_aligned(a, 512));
  EXPECT_TRUE(is_aligned(static_cast<char*>(b) + 32, 512));
  EXPECT_TRUE(is_aligned(c, 1024));
  EXPECT_TRUE(is_aligned(static_cast<char*>(d) + 24, 1024));
  a = mi_heap_rezalloc_aligned(h, a, 20000, 512);
  c = mi_heap_recalloc_aligned(h, c, 500, 20, 1024);
  ASSERT_TRUE(a && c);
  EXPECT_TRUE(is_aligned(a, 512));
  EXPECT_TRUE(is_aligned(c, 1024));
  EXPECT_EQ(first_nonzero(a, 20000), npos);
  EXPECT_EQ(first_nonzero(c, 10000), npos);
  for (void* p : {a, b, c, d}) EXPECT_TRUE(mi_heap_contains_block(h, p));
  mi_heap_destroy(h);
}

TEST(ApiRezalloc, TypedRecallocMacroZeroesTheNewElements) {
  auto* p = mi_calloc_tp(uint16_t, 3);
  ASSERT_NE(p, nullptr);
  p[2] = 5;
  p = mi_recalloc_tp(p, uint16_t, 4000);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p[2], 5);
  EXPECT_EQ(first_nonzero(p + 3, (4000 - 3) * sizeof(uint16_t)), npos);
  mi_free(p);
}
