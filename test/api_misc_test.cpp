// The rest of the API: mi_free_small, the mi_u* functions that report the
// block size, process and thread start and end, heap guard-page sampling,
// thread pools, mi_collect_reduce.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "test_util.h"

using namespace sgtest;

TEST(ApiMisc, FreeSmallFreesASmallBlock) {
  mi_heap_t* h = mi_heap_new();
  void* p = mi_heap_malloc_small(h, 64);
  ASSERT_NE(p, nullptr);
  mi_free_small(p);
  EXPECT_TRUE(mi_heap_visit_blocks(
      h, true, [](const mi_heap_t*, const mi_heap_area_t*, void* block, size_t, void*) { return block == nullptr; },
      nullptr))
      << "no live block is left";
  mi_heap_delete(h);
}

TEST(ApiMisc, UmallocReportsTheUsableBlockSize) {
  size_t bs = 0;
  void* p = mi_umalloc(100, &bs);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(bs, mi_usable_size(p));
  EXPECT_GE(bs, 100u);
  mi_free(p);
  void* q = mi_umalloc(10, nullptr);  // the size pointer is optional
  EXPECT_NE(q, nullptr);
  mi_free(q);
}

TEST(ApiMisc, UmallocThatFailsLeavesTheSizeUntouched) {
  size_t bs = 12345;
  EXPECT_EQ(mi_umalloc(opaque(SIZE_MAX - 8), &bs), nullptr);
  EXPECT_EQ(bs, 12345u);
}

TEST(ApiMisc, UcallocZeroesAndReportsTheSize) {
  size_t bs = 0;
  void* p = mi_ucalloc(10, 30, &bs);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(bs, mi_usable_size(p));
  EXPECT_EQ(first_nonzero(p, 300), npos);
  mi_free(p);
  EXPECT_EQ(mi_ucalloc(opaque(SIZE_MAX / 2), 4, &bs), nullptr);
}

TEST(ApiMisc, UreallocReportsTheSizesBeforeAndAfter) {
  size_t before = 0, after = 0;
  void* p = mi_malloc(16);
  const size_t old_size = mi_usable_size(p);
  p = mi_urealloc(p, 50000, &before, &after);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(before, old_size);
  EXPECT_EQ(after, mi_usable_size(p));
  EXPECT_GE(after, 50000u);
  void* q = mi_urealloc(nullptr, 8, &before, &after);
  EXPECT_EQ(before, 0u) << "no block before";
  mi_free(p);
  mi_free(q);
}

TEST(ApiMisc, UfreeReportsTheSizeOfTheFreedBlock) {
  void* p = mi_malloc(700);
  const size_t size = mi_usable_size(p);
  size_t bs = 0;
  mi_ufree(p, &bs);
  EXPECT_EQ(bs, size);
  mi_ufree(nullptr, &bs);
  EXPECT_EQ(bs, 0u);
}

TEST(ApiMisc, UmallocAlignedAndUzallocAlignedAlignAndReportTheSize) {
  size_t a_size = 0, z_size = 0;
  void* a = mi_umalloc_aligned(100, 128, &a_size);
  void* z = mi_uzalloc_aligned(3000, 4096, &z_size);
  ASSERT_TRUE(a && z);
  EXPECT_TRUE(is_aligned(a, 128));
  EXPECT_TRUE(is_aligned(z, 4096));
  EXPECT_EQ(a_size, mi_usable_size(a));
  EXPECT_EQ(z_size, mi_usable_size(z));
  EXPECT_EQ(first_nonzero(z, 3000), npos);
  mi_free(a);
  mi_free(z);
}

TEST(ApiMisc, UmallocSmallReportsTheSize) {
  size_t bs = 0;
  void* p = mi_umalloc_small(24, &bs);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(bs, mi_usable_size(p));
  mi_free(p);
}

TEST(ApiMisc, ProcessAndThreadInitAreIdempotent) {
  mi_process_init();
  mi_process_init();
  mi_thread_init();
  mi_thread_init();
  void* p = mi_malloc(10);
  EXPECT_NE(p, nullptr);
  mi_free(p);
}

TEST(ApiMisc, ThreadDoneReleasesTheThreadAndItCanAllocateAgain) {
  std::vector<void*> kept;
  std::thread([&] {
    mi_thread_init();
    kept.push_back(mi_malloc(100));
    mi_thread_done();
    kept.push_back(mi_malloc(200));  // the thread starts over with a fresh heap
  }).join();
  for (void* p : kept) {
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(mi_is_in_heap_region(p));
    mi_free(p);
  }
}

TEST(ApiMisc, ProcessDoneWithShowStatsPrintsTheStatistics) {
  ::testing::GTEST_FLAG(death_test_style) = "threadsafe";
  EXPECT_EXIT(
      {
        mi_option_enable(mi_option_show_stats);
        mi_process_done();
        mi_process_done();  // and not again at exit
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "shardguard statistics");
}

TEST(ApiMisc, GuardedSamplingSettingsAreAcceptedAndAllocationStillWorks) {
  mi_heap_t* h = mi_heap_new();
  mi_heap_guarded_set_sample_rate(h, 1, 0);
  mi_heap_guarded_set_size_bound(h, 8, 4096);
  for (int i = 0; i < 100; i++) {
    auto* p = static_cast<char*>(mi_heap_malloc(h, 100));
    ASSERT_NE(p, nullptr);
    std::memset(p, 1, 100);
  }
  mi_heap_destroy(h);
}

TEST(ApiMisc, ThreadSetInThreadpoolKeepsTheThreadWorking) {
  std::thread([] {
    mi_thread_set_in_threadpool();
    void* p = mi_malloc(1000);
    EXPECT_NE(p, nullptr);
    mi_free(p);
  }).join();
}

TEST(ApiMisc, CollectReduceKeepsLiveBlocksIntact) {
  auto* p = static_cast<char*>(mi_malloc(1000));
  std::memset(p, 7, 1000);
  std::vector<void*> garbage;
  for (int i = 0; i < 1000; i++) garbage.push_back(mi_malloc(5000));
  for (void* g : garbage) mi_free(g);
  mi_collect_reduce(0);
  for (int i = 0; i < 1000; i++) ASSERT_EQ(p[i], 7);
  mi_free(p);
}

TEST(ApiMisc, UzallocSmallZeroesAndReportsTheSize) {
  size_t bs = 0;
  void* p = mi_uzalloc_small(40, &bs);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(bs, mi_usable_size(p));
  EXPECT_EQ(first_nonzero(p, 40), npos);
  mi_free(p);
}

TEST(ApiMisc, MallocSmallAndZallocSmallServeSizesPastTheSmallLimitToo) {
  void* a = mi_malloc_small(MI_SMALL_SIZE_MAX + 100);
  void* z = mi_zalloc_small(MI_SMALL_SIZE_MAX * 3);
  ASSERT_TRUE(a && z);
  EXPECT_GE(mi_usable_size(a), MI_SMALL_SIZE_MAX + 100);
  EXPECT_EQ(first_nonzero(z, MI_SMALL_SIZE_MAX * 3), npos);
  mi_free(a);
  mi_free(z);
}
