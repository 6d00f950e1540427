// The basic mimalloc API: mi_malloc, mi_calloc, mi_realloc, mi_expand, mi_free,
// mi_strdup, mi_strndup, mi_realpath, mi_mallocn, mi_reallocn, mi_reallocf,
// mi_zalloc, mi_malloc_small, mi_zalloc_small, mi_usable_size, mi_good_size.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "test_util.h"

using namespace sgtest;

namespace {

constexpr size_t kMaxLadder = 64 * MiB;
// PTRDIFF_MAX + 1: the smallest size no allocator may grant (objects must fit ptrdiff_t).
constexpr size_t kPtrdiffMaxPlus1 = static_cast<size_t>(PTRDIFF_MAX) + 1;

std::vector<size_t> ladder(size_t max = kMaxLadder) { return size_ladder<std::vector<size_t>>(max); }

// The sizes for which an allocation can never succeed.
std::vector<size_t> impossible_sizes() {
  return {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 4095, SIZE_MAX / 2, kPtrdiffMaxPlus1,
          static_cast<size_t>(PTRDIFF_MAX)};
}

// count * size pairs whose product overflows size_t.
std::vector<std::pair<size_t, size_t>> overflowing_products() {
  return {{SIZE_MAX / 2 + 1, 2},
          {2, SIZE_MAX / 2 + 1},
          {size_t{1} << 32, size_t{1} << 32},
          {SIZE_MAX, SIZE_MAX},
          {SIZE_MAX / 16 + 1, 16},
          {3, SIZE_MAX / 3 + 1}};
}

}  // namespace

// ---------------------------------------------------------------- mi_malloc

TEST(ApiBasic, MallocReturnsWritableBlockOfAtLeastRequestedSizeForEverySizeClass) {
  for (size_t size : ladder()) {
    void* p = mi_malloc(size);
    ASSERT_NE(p, nullptr) << "size " << size;
    const size_t usable = mi_usable_size(p);
    ASSERT_GE(usable, size) << "size " << size;
    // the whole usable size belongs to the caller
    fill_pattern(p, usable, size);
    ASSERT_EQ(check_pattern(p, usable, size), npos) << "size " << size;
    mi_free(p);
  }
}

TEST(ApiBasic, MallocZeroReturnsUniqueFreeableNonNullPointers) {
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; i++) {
    void* p = mi_malloc(opaque<size_t>(0));
    ASSERT_NE(p, nullptr);
    blocks.push_back(p);
  }
  std::set<void*> distinct(blocks.begin(), blocks.end());
  EXPECT_EQ(distinct.size(), blocks.size()) << "mi_malloc(0) handed out the same pointer twice";
  for (void* p : blocks) mi_free(p);
}

TEST(ApiBasic, MallocOfImpossibleSizeReturnsNullWithEnomem) {
  for (size_t size : impossible_sizes()) {
    errno = 0;
    EXPECT_EQ(mi_malloc(opaque(size)), nullptr) << "size " << size;
    EXPECT_EQ(errno, ENOMEM) << "size " << size;
  }
}

TEST(ApiBasic, ZallocOfImpossibleSizeReturnsNullWithEnomem) {
  for (size_t size : impossible_sizes()) {
    errno = 0;
    EXPECT_EQ(mi_zalloc(opaque(size)), nullptr) << "size " << size;
    EXPECT_EQ(errno, ENOMEM) << "size " << size;
  }
}

TEST(ApiBasic, AllocationAfterAFailedHugeRequestStillWorks) {
  void* huge = mi_malloc(opaque(SIZE_MAX));
  EXPECT_EQ(huge, nullptr);
  void* p = mi_malloc(100);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 100, 1);
  EXPECT_EQ(check_pattern(p, 100, 1), npos);
  mi_free(p);
}

TEST(ApiBasic, FreeOfNullIsANoOp) {
  for (int i = 0; i < 100; i++) mi_free(nullptr);
  void* p = mi_malloc(32);
  ASSERT_NE(p, nullptr);
  mi_free(p);
}

TEST(ApiBasic, UsableSizeOfNullIsZero) { EXPECT_EQ(mi_usable_size(nullptr), 0u); }

TEST(ApiBasic, BlocksOfAtLeast16BytesAre16ByteAligned) {
  for (size_t size : ladder(4 * MiB)) {
    if (size < 16) continue;
    // several live blocks so that different positions inside a page are seen
    std::vector<void*> live;
    const int count = size <= 64 * KiB ? 64 : 4;
    int misaligned = 0;
    void* example = nullptr;
    for (int i = 0; i < count; i++) {
      void* p = mi_malloc(size);
      ASSERT_NE(p, nullptr) << "size " << size;
      if (!is_aligned(p, 16)) {
        misaligned++;
        example = p;
      }
      live.push_back(p);
    }
    EXPECT_EQ(misaligned, 0) << "size " << size << ": " << misaligned << " of " << count
                             << " blocks not 16-byte aligned, e.g. " << example;
    for (void* p : live) mi_free(p);
  }
}

TEST(ApiBasic, EveryBlockIsAtLeast8ByteAligned) {
  for (size_t size = 0; size <= 2048; size++) {
    std::vector<void*> live;
    int misaligned = 0;
    void* example = nullptr;
    for (int i = 0; i < 16; i++) {
      void* p = mi_malloc(size);
      ASSERT_NE(p, nullptr) << "size " << size;
      if (!is_aligned(p, 8)) {
        misaligned++;
        example = p;
      }
      live.push_back(p);
    }
    EXPECT_EQ(misaligned, 0) << "size " << size << ": blocks not 8-byte aligned, e.g. " << example;
    for (void* p : live) mi_free(p);
  }
}

TEST(ApiBasic, DistinctLiveBlocksNeverOverlap) {
  Rng rng(42);
  std::vector<std::pair<uintptr_t, size_t>> blocks;  // address, usable size
  for (int i = 0; i < 4000; i++) {
    size_t size;
    if (rng.chance(100))
      size = rng.range(16 * KiB, 300 * KiB);
    else if (rng.chance(10))
      size = rng.range(1024, 16 * KiB);
    else
      size = rng.range(0, 1024);
    void* p = mi_malloc(size);
    ASSERT_NE(p, nullptr) << "size " << size;
    fill_pattern(p, size, static_cast<uint64_t>(i));
    blocks.emplace_back(reinterpret_cast<uintptr_t>(p), size);
  }
  std::vector<std::pair<uintptr_t, size_t>> sorted = blocks;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i + 1 < sorted.size(); i++) {
    const void* p = reinterpret_cast<const void*>(sorted[i].first);
    EXPECT_LE(sorted[i].first + mi_usable_size(p), sorted[i + 1].first)
        << "block " << p << " (usable " << mi_usable_size(p) << ") overlaps the next block "
        << reinterpret_cast<const void*>(sorted[i + 1].first);
  }
  // every block still holds what was written to it
  for (size_t i = 0; i < blocks.size(); i++) {
    void* p = reinterpret_cast<void*>(blocks[i].first);
    EXPECT_EQ(check_pattern(p, blocks[i].second, i), npos) << "block " << i << " was overwritten";
    mi_free(p);
  }
}

// ---------------------------------------------------------------- mi_calloc / mi_zalloc

TEST(ApiBasic, CallocReturnsZeroedMemoryOfCountTimesSize) {
  for (size_t count : {size_t{1}, size_t{3}, size_t{17}, size_t{1000}}) {
    for (size_t size : {size_t{1}, size_t{8}, size_t{24}, size_t{100}, size_t{4096}}) {
      auto* p = static_cast<uint8_t*>(mi_calloc(count, size));
      ASSERT_NE(p, nullptr) << count << " x " << size;
      EXPECT_GE(mi_usable_size(p), count * size);
      EXPECT_EQ(first_nonzero(p, count * size), npos) << count << " x " << size;
      mi_free(p);
    }
  }
}

TEST(ApiBasic, CallocWithOverflowingCountTimesSizeReturnsNullWithEnomem) {
  for (auto [count, size] : overflowing_products()) {
    errno = 0;
    EXPECT_EQ(mi_calloc(opaque(count), opaque(size)), nullptr) << count << " x " << size;
    EXPECT_EQ(errno, ENOMEM) << count << " x " << size;
  }
}

TEST(ApiBasic, CallocOfImpossibleSizeReturnsNullWithEnomem) {
  for (size_t size : impossible_sizes()) {
    errno = 0;
    EXPECT_EQ(mi_calloc(1, opaque(size)), nullptr) << "size " << size;
    EXPECT_EQ(errno, ENOMEM) << "size " << size;
  }
}

// Freed blocks are dirty; zeroing allocations must clear them when reused.
TEST(ApiBasic, ZeroingAllocationsReturnZeroedMemoryWhenReusingDirtyBlocks) {
  const std::vector<size_t> sizes = {1,    8,     16,     24,      48,      100,     256,
                                     1000, 4000,  10000,  65536,   100000,  300000,  1 * MiB,
                                     3 * MiB, 9 * MiB, 40 * MiB};
  for (size_t size : sizes) {
    const int count = size <= 64 * KiB ? 200 : (size <= 1 * MiB ? 8 : 2);
    for (int round = 0; round < 3; round++) {
      for (int variant = 0; variant < 3; variant++) {
        std::vector<void*> dirty;
        for (int i = 0; i < count; i++) {
          void* p = mi_malloc(size);
          ASSERT_NE(p, nullptr);
          std::memset(p, 0xAB, mi_usable_size(p));
          dirty.push_back(p);
        }
        for (void* p : dirty) mi_free(p);
        for (int i = 0; i < count; i++) {
          void* q = nullptr;
          const char* what = "";
          switch (variant) {
            case 0: q = mi_calloc(1, size); what = "mi_calloc"; break;
            case 1: q = mi_zalloc(size); what = "mi_zalloc"; break;
            default:
              q = (size % 4 == 0) ? mi_calloc(size / 4, 4) : mi_calloc(size, 1);
              what = "mi_calloc(count>1)";
              break;
          }
          ASSERT_NE(q, nullptr) << what << " size " << size;
          const size_t bad = first_nonzero(q, size);
          EXPECT_EQ(bad, npos) << what << "(" << size << ") returned a block with byte " << bad
                               << " not zero (round " << round << ", block " << i << ")";
          dirty[i] = q;
        }
        for (void* q : dirty) mi_free(q);
      }
    }
  }
}

TEST(ApiBasic, ZallocReturnsZeroedMemoryOfRequestedSize) {
  for (size_t size : ladder(8 * MiB)) {
    void* p = mi_zalloc(size);
    ASSERT_NE(p, nullptr) << "size " << size;
    EXPECT_GE(mi_usable_size(p), size);
    EXPECT_EQ(first_nonzero(p, size), npos) << "size " << size;
    mi_free(p);
  }
}

// ---------------------------------------------------------------- small-object API

TEST(ApiBasic, MallocSmallServesEverySizeUpToTheSmallLimit) {
  std::vector<void*> live;
  for (size_t size = 0; size <= MI_SMALL_SIZE_MAX; size++) {
    void* p = mi_malloc_small(size);
    ASSERT_NE(p, nullptr) << "size " << size;
    EXPECT_GE(mi_usable_size(p), size);
    EXPECT_TRUE(is_aligned(p, 8)) << "size " << size;
    fill_pattern(p, size, size);
    live.push_back(p);
  }
  for (size_t size = 0; size < live.size(); size++) {
    EXPECT_EQ(check_pattern(live[size], size, size), npos) << "size " << size;
    mi_free(live[size]);
  }
}

TEST(ApiBasic, ZallocSmallReturnsZeroedMemoryWhenReusingDirtyBlocks) {
  for (size_t size = 0; size <= MI_SMALL_SIZE_MAX; size += 7) {
    std::vector<void*> dirty;
    for (int i = 0; i < 50; i++) {
      void* p = mi_malloc_small(size);
      ASSERT_NE(p, nullptr);
      std::memset(p, 0xAB, mi_usable_size(p));
      dirty.push_back(p);
    }
    for (void* p : dirty) mi_free(p);
    for (int i = 0; i < 50; i++) {
      void* q = mi_zalloc_small(size);
      ASSERT_NE(q, nullptr) << "size " << size;
      EXPECT_EQ(first_nonzero(q, size), npos) << "size " << size;
      dirty[i] = q;
    }
    for (void* q : dirty) mi_free(q);
  }
}

// ---------------------------------------------------------------- mi_mallocn / mi_reallocn

TEST(ApiBasic, MallocnAllocatesCountTimesSize) {
  for (size_t count : {size_t{0}, size_t{1}, size_t{10}, size_t{1000}}) {
    for (size_t size : {size_t{1}, size_t{8}, size_t{100}, size_t{5000}}) {
      void* p = mi_mallocn(count, size);
      ASSERT_NE(p, nullptr) << count << " x " << size;
      EXPECT_GE(mi_usable_size(p), count * size);
      fill_pattern(p, count * size, count + size);
      EXPECT_EQ(check_pattern(p, count * size, count + size), npos);
      mi_free(p);
    }
  }
}

TEST(ApiBasic, MallocnWithOverflowingCountTimesSizeReturnsNullWithEnomem) {
  for (auto [count, size] : overflowing_products()) {
    errno = 0;
    EXPECT_EQ(mi_mallocn(opaque(count), opaque(size)), nullptr) << count << " x " << size;
    EXPECT_EQ(errno, ENOMEM) << count << " x " << size;
  }
}

TEST(ApiBasic, ReallocnResizesToCountTimesSizeAndPreservesContents) {
  auto* p = static_cast<uint64_t*>(mi_mallocn(100, sizeof(uint64_t)));
  ASSERT_NE(p, nullptr);
  for (uint64_t i = 0; i < 100; i++) p[i] = i * 7919;
  p = static_cast<uint64_t*>(mi_reallocn(p, 100000, sizeof(uint64_t)));
  ASSERT_NE(p, nullptr);
  EXPECT_GE(mi_usable_size(p), 100000 * sizeof(uint64_t));
  for (uint64_t i = 0; i < 100; i++) ASSERT_EQ(p[i], i * 7919) << "element " << i;
  p[99999] = 1;
  p = static_cast<uint64_t*>(mi_reallocn(p, 10, sizeof(uint64_t)));
  ASSERT_NE(p, nullptr);
  for (uint64_t i = 0; i < 10; i++) ASSERT_EQ(p[i], i * 7919) << "element " << i;
  mi_free(p);
}

TEST(ApiBasic, ReallocnWithOverflowReturnsNullWithEnomemAndKeepsTheBlock) {
  void* p = mi_malloc(200);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 200, 77);
  for (auto [count, size] : overflowing_products()) {
    errno = 0;
    EXPECT_EQ(mi_reallocn(p, opaque(count), opaque(size)), nullptr) << count << " x " << size;
    EXPECT_EQ(errno, ENOMEM) << count << " x " << size;
    EXPECT_EQ(check_pattern(p, 200, 77), npos) << "the original block changed";
  }
  mi_free(p);
}

// ---------------------------------------------------------------- mi_realloc

TEST(ApiBasic, ReallocOfNullActsAsMalloc) {
  for (size_t size : {size_t{1}, size_t{100}, size_t{5000}, size_t{200000}, size_t{20 * MiB}}) {
    void* p = mi_realloc(nullptr, size);
    ASSERT_NE(p, nullptr) << "size " << size;
    EXPECT_GE(mi_usable_size(p), size);
    fill_pattern(p, size, size);
    EXPECT_EQ(check_pattern(p, size, size), npos);
    mi_free(p);
  }
}

TEST(ApiBasic, ReallocPreservesContentsFromSmallToLargeToHugeAndBack) {
  const std::vector<size_t> chain = {10,      200,    5000,   70000,      300000,   3 * MiB,
                                     40 * MiB, 70 * MiB, 2 * MiB, 100000, 1000, 24, 10, 1};
  size_t cur = chain[0];
  void* p = mi_malloc(cur);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, cur, 5);
  for (size_t i = 1; i < chain.size(); i++) {
    const size_t next = chain[i];
    void* q = mi_realloc(p, next);
    ASSERT_NE(q, nullptr) << cur << " -> " << next;
    EXPECT_GE(mi_usable_size(q), next);
    const size_t keep = std::min(cur, next);
    const size_t bad = check_pattern(q, keep, 5);
    ASSERT_EQ(bad, npos) << "realloc " << cur << " -> " << next << " lost byte " << bad;
    fill_pattern_range(q, keep, next, 5);  // extend the pattern over the new part
    p = q;
    cur = next;
  }
  mi_free(p);
}

TEST(ApiBasic, ReallocGrowthAndShrinkPreservesContentsForEverySizeClass) {
  Rng rng(7);
  const std::vector<size_t> sizes = ladder(8 * MiB);
  for (size_t i = 0; i < sizes.size(); i++) {
    const size_t from = sizes[i];
    const size_t to = sizes[rng.range(0, sizes.size() - 1)];
    void* p = mi_malloc(from);
    ASSERT_NE(p, nullptr);
    fill_pattern(p, from, i);
    void* q = mi_realloc(p, to);
    ASSERT_NE(q, nullptr) << from << " -> " << to;
    EXPECT_GE(mi_usable_size(q), to);
    EXPECT_EQ(check_pattern(q, std::min(from, to), i), npos) << from << " -> " << to;
    mi_free(q);
  }
}

TEST(ApiBasic, ReallocToSmallerSizeInsideTheBlockKeepsContents) {
  void* p = mi_malloc(1000);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 1000, 3);
  for (size_t size = 999; size >= 600; size -= 50) {
    p = mi_realloc(p, size);
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(check_pattern(p, size, 3), npos) << "size " << size;
  }
  mi_free(p);
}

// mimalloc: realloc(p, 0) frees p and returns a fresh minimal block (never NULL
// on success), so that NULL always means failure and p is then untouched.
// A huge block's segment has room after it (segments are 4 MiB multiples):
// growing into it keeps the block where it is, in every policy (with guard
// pages, the guard moves along).
TEST(ApiBasic, ReallocGrowsAHugeBlockInPlaceWithinItsSegment) {
  constexpr size_t kOld = 5 * MiB, kNew = 5 * MiB + 300 * KiB;
  auto* p = static_cast<unsigned char*>(mi_malloc(kOld));
  ASSERT_NE(p, nullptr);
  for (size_t i = 0; i < kOld; i += 4096) p[i] = static_cast<unsigned char>(i >> 12);
  auto* q = static_cast<unsigned char*>(mi_realloc(p, kNew));
  ASSERT_EQ(q, p);
  for (size_t i = 0; i < kOld; i += 4096) ASSERT_EQ(q[i], static_cast<unsigned char>(i >> 12)) << i;
  memset(q + kOld, 0x5a, kNew - kOld);  // the grown part is writable, up to the end
  EXPECT_GE(mi_usable_size(q), kNew);
  mi_free(q);
}

TEST(ApiBasic, ReallocToZeroReturnsAFreeableMinimalBlock) {
  for (size_t size : {size_t{1}, size_t{100}, size_t{100000}, size_t{8 * MiB}}) {
    void* p = mi_malloc(size);
    ASSERT_NE(p, nullptr);
    void* q = mi_realloc(p, opaque<size_t>(0));
    EXPECT_NE(q, nullptr) << "from size " << size;
    mi_free(q);
  }
}

TEST(ApiBasic, ReallocToImpossibleSizeReturnsNullWithEnomemAndKeepsTheBlock) {
  for (size_t start : {size_t{100}, size_t{100000}, size_t{40 * MiB}}) {
    void* p = mi_malloc(start);
    ASSERT_NE(p, nullptr);
    fill_pattern(p, start, 9);
    for (size_t huge : impossible_sizes()) {
      errno = 0;
      EXPECT_EQ(mi_realloc(p, opaque(huge)), nullptr) << start << " -> " << huge;
      EXPECT_EQ(errno, ENOMEM);
      ASSERT_EQ(check_pattern(p, start, 9), npos) << "failed realloc changed the block";
    }
    mi_free(p);
  }
}

// ---------------------------------------------------------------- mi_reallocf

TEST(ApiBasic, ReallocfPreservesContentsOnSuccess) {
  void* p = mi_malloc(100);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 100, 11);
  p = mi_reallocf(p, 100000);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(check_pattern(p, 100, 11), npos);
  mi_free(p);
}

TEST(ApiBasic, ReallocfToImpossibleSizeReturnsNullWithEnomemAndFreesTheBlock) {
  for (size_t start : {size_t{16}, size_t{5000}, size_t{1 * MiB}}) {
    for (int i = 0; i < 100; i++) {
      void* p = mi_malloc(start);
      ASSERT_NE(p, nullptr);
      std::memset(p, 0x5A, start);
      errno = 0;
      EXPECT_EQ(mi_reallocf(p, opaque(SIZE_MAX)), nullptr);
      EXPECT_EQ(errno, ENOMEM);
      // p is gone now; the heap must still be consistent
      void* q = mi_malloc(start);
      ASSERT_NE(q, nullptr);
      mi_free(q);
    }
  }
}

// ---------------------------------------------------------------- mi_expand

TEST(ApiBasic, ExpandWithinTheUsableSizeReturnsTheSamePointer) {
  for (size_t size : {size_t{1}, size_t{16}, size_t{100}, size_t{1000}, size_t{10000},
                      size_t{100000}}) {
    void* p = mi_malloc(size);
    ASSERT_NE(p, nullptr);
    fill_pattern(p, size, size);
    const size_t usable = mi_usable_size(p);
    EXPECT_EQ(mi_expand(p, usable), p) << "size " << size;
    EXPECT_EQ(mi_expand(p, size), p) << "size " << size;
    EXPECT_EQ(mi_expand(p, size / 2), p) << "size " << size;
    EXPECT_EQ(check_pattern(p, size / 2, size), npos);
    mi_free(p);
  }
}

TEST(ApiBasic, ExpandBeyondTheUsableSizeReturnsNullAndKeepsTheBlock) {
  for (size_t size : {size_t{1}, size_t{16}, size_t{100}, size_t{1000}, size_t{10000},
                      size_t{100000}}) {
    void* p = mi_malloc(size);
    ASSERT_NE(p, nullptr);
    fill_pattern(p, size, size);
    const size_t usable = mi_usable_size(p);
    EXPECT_EQ(mi_expand(p, usable + 1), nullptr) << "size " << size << " usable " << usable;
    EXPECT_EQ(mi_expand(p, opaque(SIZE_MAX)), nullptr) << "size " << size;
    EXPECT_EQ(mi_usable_size(p), usable);
    EXPECT_EQ(check_pattern(p, size, size), npos);
    mi_free(p);
  }
}

TEST(ApiBasic, ExpandOfNullReturnsNull) { EXPECT_EQ(mi_expand(nullptr, 10), nullptr); }

// ---------------------------------------------------------------- usable / good size

TEST(ApiBasic, UsableSizeIsAtLeastTheRequestedSize) {
  for (size_t size : ladder()) {
    void* p = mi_malloc(size);
    ASSERT_NE(p, nullptr);
    EXPECT_GE(mi_usable_size(p), size) << "size " << size;
    mi_free(p);
  }
}

TEST(ApiBasic, GoodSizeIsAtLeastTheRequestAndFullyUsable) {
  for (size_t size : ladder()) {
    const size_t good = mi_good_size(size);
    EXPECT_GE(good, size);
    void* p = mi_malloc(good);
    ASSERT_NE(p, nullptr) << "good size " << good;
    EXPECT_GE(mi_usable_size(p), good) << "requested " << size << " good size " << good;
    mi_free(p);
  }
}

// ---------------------------------------------------------------- strings

TEST(ApiBasic, StrdupCopiesTheStringIntoAFreeableBlock) {
  const std::string texts[] = {"", "a", "hello, world", std::string(5000, 'x')};
  for (const std::string& s : texts) {
    char* d = mi_strdup(s.c_str());
    ASSERT_NE(d, nullptr);
    EXPECT_NE(d, s.c_str());
    EXPECT_EQ(std::string(d), s);
    EXPECT_GE(mi_usable_size(d), s.size() + 1);
    mi_free(d);
  }
}

TEST(ApiBasic, StrdupOfNullReturnsNull) { EXPECT_EQ(mi_strdup(opaque<const char*>(nullptr)), nullptr); }

TEST(ApiBasic, StrndupTruncatesToAtMostNCharacters) {
  char* d = mi_strndup("hello world", 5);
  ASSERT_NE(d, nullptr);
  EXPECT_STREQ(d, "hello");
  mi_free(d);

  d = mi_strndup("hello", 100);
  ASSERT_NE(d, nullptr);
  EXPECT_STREQ(d, "hello");
  mi_free(d);

  d = mi_strndup("hello", 0);
  ASSERT_NE(d, nullptr);
  EXPECT_STREQ(d, "");
  mi_free(d);
}

// strndup must not read past n bytes: the source here has no terminator.
TEST(ApiBasic, StrndupReadsNoFurtherThanNBytes) {
  const size_t page = page_size();
  // the 5 characters end exactly at the end of a readable buffer
  auto* buf = static_cast<char*>(mi_malloc(page));
  ASSERT_NE(buf, nullptr);
  std::memset(buf, 'z', page);
  char* src = buf + page - 5;
  std::memcpy(src, "abcde", 5);
  char* d = mi_strndup(src, 5);
  ASSERT_NE(d, nullptr);
  EXPECT_STREQ(d, "abcde");
  mi_free(d);
  mi_free(buf);
}

TEST(ApiBasic, StrndupOfNullReturnsNull) { EXPECT_EQ(mi_strndup(opaque<const char*>(nullptr), 4), nullptr); }

TEST(ApiBasic, RealpathOfDotEqualsTheCurrentDirectory) {
  char cwd[PATH_MAX];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  char* r = mi_realpath(".", nullptr);
  ASSERT_NE(r, nullptr);
  EXPECT_STREQ(r, cwd);
  EXPECT_GE(mi_usable_size(r), std::strlen(cwd) + 1) << "mi_realpath result is not a shardguard block";
  mi_free(r);
}

TEST(ApiBasic, RealpathWithACallerBufferFillsAndReturnsIt) {
  char cwd[PATH_MAX];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  char buf[PATH_MAX];
  char* r = mi_realpath(".", buf);
  // mimalloc.h declares mi_realpath with the malloc attribute, which lets the
  // compiler assume r != buf; compare the addresses as plain integers.
  EXPECT_EQ(opaque(reinterpret_cast<uintptr_t>(r)), reinterpret_cast<uintptr_t>(buf));
  EXPECT_STREQ(buf, cwd);
}

TEST(ApiBasic, RealpathOfAMissingPathReturnsNullWithEnoent) {
  errno = 0;
  char* r = mi_realpath("/nonexistent-shardguard-test/does/not/exist", nullptr);
  EXPECT_EQ(r, nullptr);
  EXPECT_EQ(errno, ENOENT);
  if (r) mi_free(r);
}
