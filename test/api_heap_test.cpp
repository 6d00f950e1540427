// First-class heaps: mi_heap_new/delete/destroy, default and backing heaps,
// and the mi_heap_* allocation functions.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "test_util.h"

using namespace sgtest;

namespace {

// Restores the thread's default heap when a test ends, whatever it did.
struct DefaultHeapGuard {
  mi_heap_t* saved = mi_heap_get_default();
  ~DefaultHeapGuard() { mi_heap_set_default(saved); }
};

}  // namespace

TEST(ApiHeap, NewHeapIsDistinctFromTheDefaultAndBackingHeaps) {
  mi_heap_t* h = mi_heap_new();
  ASSERT_NE(h, nullptr);
  EXPECT_NE(h, mi_heap_get_default());
  EXPECT_NE(h, mi_heap_get_backing());
  mi_heap_t* h2 = mi_heap_new();
  ASSERT_NE(h2, nullptr);
  EXPECT_NE(h, h2);
  mi_heap_delete(h2);
  mi_heap_delete(h);
}

TEST(ApiHeap, BlocksOfANewHeapAreFreeableWithMiFree) {
  mi_heap_t* h = mi_heap_new();
  ASSERT_NE(h, nullptr);
  std::vector<void*> blocks;
  for (size_t size : {size_t{0}, size_t{1}, size_t{16}, size_t{100}, size_t{1000}, size_t{20000},
                      size_t{300000}, size_t{5 * MiB}, size_t{40 * MiB}}) {
    for (int i = 0; i < 10; i++) {
      void* p = mi_heap_malloc(h, size);
      ASSERT_NE(p, nullptr) << "size " << size;
      EXPECT_GE(mi_usable_size(p), size);
      const size_t head = size < 64 * KiB ? size : 4 * KiB;  // both ends of big blocks
      fill_pattern_range(p, 0, head, size);
      fill_pattern_range(p, size - head, size, size);
      EXPECT_EQ(check_pattern_range(p, 0, head, size), npos);
      blocks.push_back(p);
    }
  }
  for (void* p : blocks) mi_free(p);
  // the heap is still usable after its blocks went back
  void* p = mi_heap_malloc(h, 64);
  ASSERT_NE(p, nullptr);
  mi_free(p);
  mi_heap_delete(h);
}

TEST(ApiHeap, HeapZallocAndCallocReturnZeroedMemoryWhenReusingDirtyBlocks) {
  mi_heap_t* h = mi_heap_new();
  ASSERT_NE(h, nullptr);
  for (size_t size : {size_t{8}, size_t{40}, size_t{1000}, size_t{70000}, size_t{2 * MiB}}) {
    std::vector<void*> blocks;
    for (int i = 0; i < 20; i++) {
      void* p = mi_heap_malloc(h, size);
      ASSERT_NE(p, nullptr);
      std::memset(p, 0xAB, mi_usable_size(p));
      blocks.push_back(p);
    }
    for (void* p : blocks) mi_free(p);
    for (int i = 0; i < 20; i++) {
      void* q = (i % 2) ? mi_heap_zalloc(h, size) : mi_heap_calloc(h, 1, size);
      ASSERT_NE(q, nullptr);
      EXPECT_EQ(first_nonzero(q, size), npos) << (i % 2 ? "mi_heap_zalloc" : "mi_heap_calloc") << " size "
                                              << size;
      blocks[i] = q;
    }
    for (void* q : blocks) mi_free(q);
  }
  mi_heap_destroy(h);
}

TEST(ApiHeap, HeapCallocWithOverflowReturnsNull) {
  mi_heap_t* h = mi_heap_new();
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(mi_heap_calloc(h, opaque(SIZE_MAX / 2 + 1), 2), nullptr);
  EXPECT_EQ(mi_heap_malloc(h, opaque(SIZE_MAX)), nullptr);
  mi_heap_delete(h);
}

TEST(ApiHeap, HeapReallocPreservesContents) {
  mi_heap_t* h = mi_heap_new();
  ASSERT_NE(h, nullptr);
  const std::vector<size_t> chain = {10, 300, 9000, 200000, 6 * MiB, 40 * MiB, 1000, 8};
  size_t cur = chain[0];
  void* p = mi_heap_malloc(h, cur);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, cur, 21);
  for (size_t i = 1; i < chain.size(); i++) {
    void* q = mi_heap_realloc(h, p, chain[i]);
    ASSERT_NE(q, nullptr) << cur << " -> " << chain[i];
    EXPECT_GE(mi_usable_size(q), chain[i]);
    const size_t keep = std::min(cur, chain[i]);
    ASSERT_EQ(check_pattern(q, keep, 21), npos) << cur << " -> " << chain[i];
    fill_pattern_range(q, keep, chain[i], 21);
    p = q;
    cur = chain[i];
  }
  mi_free(p);
  mi_heap_destroy(h);
}

TEST(ApiHeap, HeapReallocOfNullActsAsHeapMalloc) {
  mi_heap_t* h = mi_heap_new();
  ASSERT_NE(h, nullptr);
  void* p = mi_heap_realloc(h, nullptr, 500);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(mi_usable_size(p), 500u);
  mi_free(p);
  mi_heap_delete(h);
}

TEST(ApiHeap, HeapMallocAlignedReturnsAlignedBlocks) {
  mi_heap_t* h = mi_heap_new();
  ASSERT_NE(h, nullptr);
  int n = 0;
  for (size_t alignment = 1; alignment <= 1 * MiB; alignment *= 2, n++) {
    void* p = mi_heap_malloc_aligned(h, 1000, alignment);
    ASSERT_NE(p, nullptr) << "alignment " << alignment;
    EXPECT_TRUE(is_aligned(p, alignment)) << "alignment " << alignment;
    std::memset(p, 1, 1000);
    if (n % 2) mi_free(p);  // the others go with the heap
  }
  mi_heap_destroy(h);
}

// ---------------------------------------------------------------- destroy

TEST(ApiHeap, DestroyFreesEveryBlockOfTheHeapAtOnce) {
  const size_t blocks_per_round = scaled(100000, 5000);
  const int rounds = 50;
  std::vector<size_t> peak(rounds);
  for (int round = 0; round < rounds; round++) {
    mi_heap_t* h = mi_heap_new();
    ASSERT_NE(h, nullptr);
    Rng rng(1234);  // the same mix every round
    for (size_t i = 0; i < blocks_per_round; i++) {
      size_t size;
      if (i % 5000 == 4999)
        size = rng.range(256 * KiB, 4 * MiB);  // large and huge
      else if (i % 200 == 199)
        size = rng.range(1 * KiB, 64 * KiB);  // medium
      else
        size = rng.range(1, 512);  // small
      auto* p = static_cast<uint8_t*>(i % 64 == 0 ? mi_heap_zalloc(h, size) : mi_heap_malloc(h, size));
      ASSERT_NE(p, nullptr) << "round " << round << " size " << size;
      if (size <= 512) {
        std::memset(p, 0x5C, size);
      } else {
        for (size_t off = 0; off < size; off += 4096) p[off] = 1;  // commit every page
        p[size - 1] = 1;
      }
    }
    peak[round] = rss_bytes();
    mi_heap_destroy(h);
  }
  const size_t early = *std::max_element(peak.begin(), peak.begin() + 5);
  const size_t late = *std::max_element(peak.end() - 5, peak.end());
  EXPECT_LE(late, early + rss_tolerance(8 * MiB, early)) << "peak RSS grew from " << early / KiB << " KiB (rounds 1-5) to " << late / KiB
                                   << " KiB (rounds 46-50): mi_heap_destroy does not release blocks";
}

TEST(ApiHeap, DestroyingAHeapLeavesOtherHeapsIntact) {
  mi_heap_t* keep = mi_heap_new();
  mi_heap_t* doomed = mi_heap_new();
  ASSERT_NE(keep, nullptr);
  ASSERT_NE(doomed, nullptr);
  std::vector<void*> kept;
  for (int i = 0; i < 5000; i++) {
    const size_t size = 8 + static_cast<size_t>(i % 300);
    void* a = mi_heap_malloc(keep, size);
    void* b = mi_heap_malloc(doomed, size);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    fill_pattern(a, size, static_cast<uint64_t>(i));
    std::memset(b, 0xEE, size);
    kept.push_back(a);
  }
  mi_heap_destroy(doomed);
  // new allocations may reuse the destroyed heap's memory; they must not hit kept blocks
  std::vector<void*> fresh;
  for (int i = 0; i < 5000; i++) {
    const size_t size = 8 + static_cast<size_t>(i % 300);
    void* p = mi_malloc(size);
    ASSERT_NE(p, nullptr);
    std::memset(p, 0x11, size);
    fresh.push_back(p);
  }
  for (size_t i = 0; i < kept.size(); i++) {
    EXPECT_EQ(check_pattern(kept[i], 8 + i % 300, i), npos) << "block " << i << " of the kept heap changed";
    mi_free(kept[i]);
  }
  for (void* p : fresh) mi_free(p);
  mi_heap_delete(keep);
}

// ---------------------------------------------------------------- delete

TEST(ApiHeap, DeleteKeepsBlocksAliveWithTheirContents) {
  mi_heap_t* h = mi_heap_new();
  ASSERT_NE(h, nullptr);
  struct Block {
    void* p;
    size_t size;
  };
  std::vector<Block> blocks;
  Rng rng(99);
  for (int i = 0; i < 10000; i++) {
    size_t size = rng.chance(500) ? rng.range(100 * KiB, 3 * MiB) : rng.range(1, 2000);
    void* p = mi_heap_malloc(h, size);
    ASSERT_NE(p, nullptr);
    fill_pattern(p, size, static_cast<uint64_t>(i));
    blocks.push_back({p, size});
  }
  mi_heap_delete(h);
  // allocating afterwards must not reuse the migrated blocks
  std::vector<void*> fresh;
  for (int i = 0; i < 10000; i++) {
    void* p = mi_malloc(rng.range(1, 2000));
    ASSERT_NE(p, nullptr);
    std::memset(p, 0x77, mi_usable_size(p));
    fresh.push_back(p);
  }
  for (size_t i = 0; i < blocks.size(); i++)
    EXPECT_EQ(check_pattern(blocks[i].p, blocks[i].size, i), npos) << "block " << i << " changed after delete";
  for (void* p : fresh) mi_free(p);
  // the migrated blocks can still be reallocated and freed
  for (size_t i = 0; i < blocks.size(); i++) {
    if (i % 3 == 0) {
      void* q = mi_realloc(blocks[i].p, blocks[i].size + 100);
      ASSERT_NE(q, nullptr);
      EXPECT_EQ(check_pattern(q, blocks[i].size, i), npos);
      mi_free(q);
    } else {
      mi_free(blocks[i].p);
    }
  }
}

TEST(ApiHeap, DeletedHeapsDoNotAccumulateMemoryOnceTheirBlocksAreFreed) {
  size_t baseline = 0;
  const int rounds = static_cast<int>(scaled(200, 40));
  for (int round = 0; round < rounds; round++) {
    mi_heap_t* h = mi_heap_new();
    ASSERT_NE(h, nullptr);
    std::vector<void*> blocks;
    for (int i = 0; i < 2000; i++) {
      void* p = mi_heap_malloc(h, 16 + static_cast<size_t>(i % 1000));
      ASSERT_NE(p, nullptr);
      std::memset(p, 1, 16 + static_cast<size_t>(i % 1000));
      blocks.push_back(p);
    }
    mi_heap_delete(h);
    for (void* p : blocks) mi_free(p);
    if (round == 10) baseline = rss_bytes();
  }
  const size_t after = rss_bytes();
  EXPECT_LE(after, baseline + rss_tolerance(16 * MiB, baseline)) << "RSS grew from " << baseline / KiB << " KiB to " << after / KiB
                                        << " KiB over " << rounds << " heap new/delete rounds";
}

// ---------------------------------------------------------------- default and backing heaps

TEST(ApiHeap, SetDefaultReturnsThePreviousDefaultAndMakesTheHeapCurrent) {
  DefaultHeapGuard guard;
  mi_heap_t* original = mi_heap_get_default();
  ASSERT_NE(original, nullptr);
  mi_heap_t* h = mi_heap_new();
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(mi_heap_set_default(h), original);
  EXPECT_EQ(mi_heap_get_default(), h);
  // mi_malloc now allocates from h; the blocks are ordinary blocks
  void* p = mi_malloc(100);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 100, 4);
  EXPECT_EQ(mi_heap_set_default(original), h);
  EXPECT_EQ(mi_heap_get_default(), original);
  mi_heap_delete(h);
  EXPECT_EQ(check_pattern(p, 100, 4), npos);
  mi_free(p);
}

// mimalloc: deleting (or destroying) the default heap makes the backing heap the default.
TEST(ApiHeap, DeletingTheDefaultHeapMakesTheBackingHeapTheDefault) {
  DefaultHeapGuard guard;
  mi_heap_t* h = mi_heap_new();
  ASSERT_NE(h, nullptr);
  mi_heap_set_default(h);
  void* p = mi_malloc(64);
  ASSERT_NE(p, nullptr);
  mi_heap_delete(h);
  EXPECT_EQ(mi_heap_get_default(), mi_heap_get_backing());
  void* q = mi_malloc(64);
  ASSERT_NE(q, nullptr);
  mi_free(q);
  mi_free(p);
}

TEST(ApiHeap, DestroyingTheDefaultHeapMakesTheBackingHeapTheDefault) {
  DefaultHeapGuard guard;
  mi_heap_t* h = mi_heap_new();
  ASSERT_NE(h, nullptr);
  mi_heap_set_default(h);
  for (int i = 0; i < 100; i++) ASSERT_NE(mi_malloc(64), nullptr);  // released by the destroy
  mi_heap_destroy(h);
  EXPECT_EQ(mi_heap_get_default(), mi_heap_get_backing());
  void* q = mi_malloc(64);
  ASSERT_NE(q, nullptr);
  mi_free(q);
}

TEST(ApiHeap, BackingHeapIsTheDefaultOfAFreshThread) {
  mi_heap_t* dflt = nullptr;
  mi_heap_t* backing = nullptr;
  std::thread t([&] {
    dflt = mi_heap_get_default();
    backing = mi_heap_get_backing();
  });
  t.join();
  EXPECT_NE(backing, nullptr);
  EXPECT_EQ(dflt, backing);
}

TEST(ApiHeap, BackingHeapIsStablePerThreadAndDiffersBetweenThreads) {
  mi_heap_t* main_backing = mi_heap_get_backing();
  ASSERT_NE(main_backing, nullptr);
  void* p = mi_malloc(10);  // allocation does not change the backing heap
  EXPECT_EQ(mi_heap_get_backing(), main_backing);
  mi_free(p);

  constexpr int kThreads = 4;
  mi_heap_t* first[kThreads] = {};
  mi_heap_t* second[kThreads] = {};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; i++) {
    threads.emplace_back([&, i] {
      first[i] = mi_heap_get_backing();
      void* q = mi_malloc(100);
      mi_free(q);
      second[i] = mi_heap_get_backing();
    });
  }
  // all threads are alive together: their heaps must be distinct
  for (auto& t : threads) t.join();
  EXPECT_EQ(mi_heap_get_backing(), main_backing);
  for (int i = 0; i < kThreads; i++) {
    EXPECT_NE(first[i], nullptr);
    EXPECT_EQ(first[i], second[i]) << "thread " << i << " saw its backing heap change";
    EXPECT_NE(first[i], main_backing) << "thread " << i << " shares the main thread's backing heap";
  }
}

TEST(ApiHeap, ConcurrentThreadsHaveDistinctBackingHeaps) {
  constexpr int kThreads = 4;
  mi_heap_t* seen[kThreads] = {};
  std::atomic<int> arrived{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; i++) {
    threads.emplace_back([&, i] {
      seen[i] = mi_heap_get_backing();
      arrived.fetch_add(1);
      while (arrived.load() < kThreads) std::this_thread::yield();  // everyone alive at once
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; i++)
    for (int j = i + 1; j < kThreads; j++) EXPECT_NE(seen[i], seen[j]) << "threads " << i << " and " << j;
}

TEST(ApiHeap, ManyHeapsCanCoexistAndBeReleasedInAnyOrder) {
  std::vector<mi_heap_t*> heaps;
  std::vector<std::vector<void*>> blocks(64);
  for (int i = 0; i < 64; i++) {
    mi_heap_t* h = mi_heap_new();
    ASSERT_NE(h, nullptr);
    heaps.push_back(h);
    for (int j = 0; j < 200; j++) {
      const size_t size = 16 + static_cast<size_t>((i * 31 + j * 7) % 3000);
      void* p = mi_heap_malloc(h, size);
      ASSERT_NE(p, nullptr);
      fill_pattern(p, size, static_cast<uint64_t>(i * 1000 + j));
      blocks[i].push_back(p);
    }
  }
  for (int i = 0; i < 64; i++) {
    for (int j = 0; j < 200; j++) {
      const size_t size = 16 + static_cast<size_t>((i * 31 + j * 7) % 3000);
      ASSERT_EQ(check_pattern(blocks[i][j], size, static_cast<uint64_t>(i * 1000 + j)), npos)
          << "heap " << i << " block " << j;
    }
  }
  // release in a scrambled order: destroy every third, delete the others and free their blocks
  for (int k = 0; k < 64; k++) {
    const int i = (k * 37) % 64;
    if (i % 3 == 0) {
      mi_heap_destroy(heaps[i]);
    } else {
      mi_heap_delete(heaps[i]);
      for (void* p : blocks[i]) mi_free(p);
    }
  }
}
