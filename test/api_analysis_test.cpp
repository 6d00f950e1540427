// Introspection: mi_heap_contains_block, mi_heap_check_owned,
// mi_check_owned, mi_heap_visit_blocks, mi_abandoned_visit_blocks,
// mi_is_in_heap_region, mi_is_redirected, mi_unsafe_heap_page_is_under_utilized.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <thread>
#include <vector>

#include "test_util.h"

using namespace sgtest;

namespace {

// What a visit saw; filled without allocating (the visitor runs inside the
// allocator), from storage reserved before the visit.
struct Seen {
  std::vector<void*> blocks;
  std::vector<size_t> block_sizes;
  size_t areas = 0;
  size_t area_used_sum = 0;
  size_t max_blocks = 0;
  bool area_block_size_matches = true;
  const mi_heap_t* heap_seen = nullptr;
  explicit Seen(size_t capacity) : max_blocks(capacity) {
    blocks.reserve(capacity);
    block_sizes.reserve(capacity);
  }
};

bool record(const mi_heap_t* heap, const mi_heap_area_t* area, void* block, size_t block_size, void* arg) {
  auto* seen = static_cast<Seen*>(arg);
  seen->heap_seen = heap;
  if (!block) {
    seen->areas++;
    seen->area_used_sum += area->used;
    return true;
  }
  if (block_size != area->block_size) seen->area_block_size_matches = false;
  if (seen->blocks.size() < seen->max_blocks) {
    seen->blocks.push_back(block);
    seen->block_sizes.push_back(block_size);
  }
  return true;
}

struct ScopedHeap {
  mi_heap_t* heap = mi_heap_new();
  ~ScopedHeap() { mi_heap_delete(heap); }
};

}  // namespace

TEST(ApiAnalysis, HeapContainsBlockIsTrueForItsOwnBlocksOnly) {
  ScopedHeap a, b;
  void* pa = mi_heap_malloc(a.heap, 100);
  void* pb = mi_heap_malloc(b.heap, 100);
  ASSERT_TRUE(pa && pb);
  EXPECT_TRUE(mi_heap_contains_block(a.heap, pa));
  EXPECT_FALSE(mi_heap_contains_block(a.heap, pb));
  EXPECT_TRUE(mi_heap_contains_block(b.heap, pb));
  int on_stack = 0;
  EXPECT_FALSE(mi_heap_contains_block(a.heap, &on_stack));
  EXPECT_FALSE(mi_heap_contains_block(a.heap, nullptr));
  mi_free(pa);
  mi_free(pb);
}

TEST(ApiAnalysis, HeapCheckOwnedAcceptsInteriorPointersOfItsPages) {
  ScopedHeap h;
  auto* p = static_cast<char*>(mi_heap_malloc(h.heap, 256));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(mi_heap_check_owned(h.heap, p));
  EXPECT_TRUE(mi_heap_check_owned(h.heap, p + 64));
  EXPECT_FALSE(mi_heap_check_owned(h.heap, p + 3)) << "not word-aligned";
  mi_free(p);
}

TEST(ApiAnalysis, HeapCheckOwnedRejectsForeignPointers) {
  ScopedHeap h, other;
  void* p = mi_heap_malloc(other.heap, 64);
  ASSERT_NE(p, nullptr);
  static long global_word;
  long stack_word = 0;
  EXPECT_FALSE(mi_heap_check_owned(h.heap, p));
  EXPECT_FALSE(mi_heap_check_owned(h.heap, &global_word));
  EXPECT_FALSE(mi_heap_check_owned(h.heap, &stack_word));
  EXPECT_FALSE(mi_heap_check_owned(h.heap, nullptr));
  mi_free(p);
}

TEST(ApiAnalysis, CheckOwnedLooksInTheDefaultHeap) {
  void* p = mi_malloc(48);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(mi_check_owned(p));
  int x = 0;
  EXPECT_FALSE(mi_check_owned(&x));
  mi_free(p);
}

TEST(ApiAnalysis, IsInHeapRegionTellsOurMemoryFromOthers) {
  void* p = mi_malloc(10);
  void* big = mi_malloc(20 * MiB);
  ASSERT_TRUE(p && big);
  EXPECT_TRUE(mi_is_in_heap_region(p));
  EXPECT_TRUE(mi_is_in_heap_region(static_cast<char*>(big) + 10 * MiB));
  int x = 0;
  EXPECT_FALSE(mi_is_in_heap_region(&x));
  EXPECT_FALSE(mi_is_in_heap_region(nullptr));
  mi_free(p);
  mi_free(big);
}

TEST(ApiAnalysis, VisitingAHeapWithBlocksOfManySizesFindsEachLiveBlockExactlyOnce) {
  ScopedHeap h;
  // Sizes across small, medium, large and huge pages; then free every
  // third block so pages hold live and free blocks side by side.
  std::vector<size_t> sizes = size_ladder<std::vector<size_t>>(96 * KiB);
  for (size_t s : {size_t{200 * KiB}, size_t{600 * KiB}, size_t{3 * MiB}}) sizes.push_back(s);
  std::vector<void*> all;
  for (int round = 0; round < 3; round++) {
    for (size_t s : sizes) {
      void* p = mi_heap_malloc(h.heap, s);
      ASSERT_NE(p, nullptr);
      all.push_back(p);
    }
  }
  std::vector<void*> live;
  for (size_t i = 0; i < all.size(); i++) {
    if (i % 3 == 1) mi_free(all[i]);
    else live.push_back(all[i]);
  }
  Seen seen(live.size() + 100);
  ASSERT_TRUE(mi_heap_visit_blocks(h.heap, true, record, &seen));
  std::vector<void*> expected = live;
  std::sort(expected.begin(), expected.end());
  std::vector<void*> got = seen.blocks;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(seen.area_used_sum, live.size()) << "the areas' used counts add up to the live blocks";
  EXPECT_TRUE(seen.area_block_size_matches);
  EXPECT_EQ(seen.heap_seen, h.heap);
  for (void* p : live) mi_free(p);
}

TEST(ApiAnalysis, VisitReportsBlockSizesAtLeastTheRequestedSizes) {
  ScopedHeap h;
  std::map<void*, size_t> requested;
  for (size_t s : {size_t{1}, size_t{24}, size_t{130}, size_t{1500}, size_t{40000}}) {
    void* p = mi_heap_malloc(h.heap, s);
    ASSERT_NE(p, nullptr);
    requested[p] = s;
  }
  Seen seen(16);
  ASSERT_TRUE(mi_heap_visit_blocks(h.heap, true, record, &seen));
  ASSERT_EQ(seen.blocks.size(), requested.size());
  for (size_t i = 0; i < seen.blocks.size(); i++) {
    ASSERT_TRUE(requested.count(seen.blocks[i]));
    EXPECT_GE(seen.block_sizes[i], requested[seen.blocks[i]]);
  }
  for (auto& [p, s] : requested) mi_free(p);
}

TEST(ApiAnalysis, VisitWithoutBlocksSeesOnlyAreas) {
  ScopedHeap h;
  for (int i = 0; i < 100; i++) ASSERT_NE(mi_heap_malloc(h.heap, 32), nullptr);
  Seen seen(200);
  ASSERT_TRUE(mi_heap_visit_blocks(h.heap, false, record, &seen));
  EXPECT_TRUE(seen.blocks.empty());
  EXPECT_GE(seen.areas, 1u);
  EXPECT_EQ(seen.area_used_sum, 100u);
}

TEST(ApiAnalysis, VisitCountsBlocksFreedByAnotherThreadAsFree) {
  ScopedHeap h;
  std::vector<void*> blocks;
  for (int i = 0; i < 500; i++) blocks.push_back(mi_heap_malloc(h.heap, 64));
  std::thread([&] {
    for (size_t i = 0; i < blocks.size(); i += 2) mi_free(blocks[i]);
  }).join();
  Seen seen(600);
  ASSERT_TRUE(mi_heap_visit_blocks(h.heap, true, record, &seen));
  EXPECT_EQ(seen.blocks.size(), 250u);
  EXPECT_EQ(seen.area_used_sum, 250u);
  for (size_t i = 1; i < blocks.size(); i += 2) mi_free(blocks[i]);
}

TEST(ApiAnalysis, AVisitorReturningFalseStopsTheVisit) {
  ScopedHeap h;
  for (int i = 0; i < 50; i++) ASSERT_NE(mi_heap_malloc(h.heap, 16), nullptr);
  size_t calls = 0;
  EXPECT_FALSE(mi_heap_visit_blocks(
      h.heap, true,
      [](const mi_heap_t*, const mi_heap_area_t*, void* block, size_t, void* arg) {
        ++*static_cast<size_t*>(arg);
        return block == nullptr;  // stop at the first block
      },
      &calls));
  EXPECT_EQ(calls, 2u);  // the area, then its first block
}

TEST(ApiAnalysis, VisitingAnEmptyHeapCallsNothingAndSucceeds) {
  ScopedHeap h;
  Seen seen(1);
  EXPECT_TRUE(mi_heap_visit_blocks(h.heap, true, record, &seen));
  EXPECT_EQ(seen.areas, 0u);
}

TEST(ApiAnalysis, AbandonedVisitIsRefusedUnlessTheOptionIsOn) {
  mi_option_disable(mi_option_visit_abandoned);
  EXPECT_FALSE(mi_abandoned_visit_blocks(mi_subproc_main(), 0, true, record, nullptr));
}

TEST(ApiAnalysis, AbandonedVisitFindsTheBlocksLeftByAnExitedThread) {
  mi_option_enable(mi_option_visit_abandoned);
  std::vector<void*> left(40);
  Seen seen(100000);  // before the thread exits: allocating could adopt its memory
  std::thread([&] {
    for (size_t i = 0; i < left.size(); i++) left[i] = mi_malloc(5000 + i);
  }).join();
  EXPECT_TRUE(mi_abandoned_visit_blocks(mi_subproc_main(), 0, true, record, &seen));
  std::vector<void*> got = seen.blocks;
  std::sort(got.begin(), got.end());
  for (void* p : left) EXPECT_TRUE(std::binary_search(got.begin(), got.end(), p)) << p;
  mi_option_disable(mi_option_visit_abandoned);
  for (void* p : left) mi_free(p);
}

TEST(ApiAnalysis, IsRedirectedTellsWhetherMallocIsShardguards) {
#if SHARDGUARD_TEST_SANITIZED
  EXPECT_FALSE(mi_is_redirected()) << "the sanitizer owns malloc";
#else
  EXPECT_TRUE(mi_is_redirected()) << "the library overrides malloc";
#endif
}

TEST(ApiAnalysis, PageIsUnderUtilizedWhenFewOfItsBlocksAreLive) {
  ScopedHeap h;
  std::vector<void*> blocks;
  for (int i = 0; i < 400; i++) blocks.push_back(mi_heap_malloc(h.heap, 128));
  EXPECT_FALSE(mi_unsafe_heap_page_is_under_utilized(h.heap, blocks[0], 10));
  for (size_t i = 1; i < blocks.size(); i++) mi_free(blocks[i]);
  EXPECT_TRUE(mi_unsafe_heap_page_is_under_utilized(h.heap, blocks[0], 10));
  EXPECT_FALSE(mi_unsafe_heap_page_is_under_utilized(mi_heap_get_backing(), blocks[0], 10)) << "not its heap";
  mi_free(blocks[0]);
}
