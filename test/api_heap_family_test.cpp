// The mi_heap_* allocation family beyond malloc/zalloc/calloc/realloc
// (mallocn, reallocn, reallocf, strdup, strndup, realpath, malloc_small,
// zalloc_small), heaps made with mi_heap_new_ex (tags, heaps that refuse
// destroy), heaps in an arena, and the heap forms of the typed macros.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "test_util.h"

using namespace sgtest;

namespace {

// A heap that is deleted when the test ends.
struct ScopedHeap {
  mi_heap_t* heap = mi_heap_new();
  ~ScopedHeap() { mi_heap_delete(heap); }
};

struct Point {
  long x, y, z;
};

}  // namespace

TEST(ApiHeapFamily, HeapMallocnGivesRoomForCountElements) {
  ScopedHeap h;
  auto* p = static_cast<uint32_t*>(mi_heap_mallocn(h.heap, 1000, sizeof(uint32_t)));
  ASSERT_NE(p, nullptr);
  EXPECT_GE(mi_usable_size(p), 1000 * sizeof(uint32_t));
  EXPECT_TRUE(mi_heap_contains_block(h.heap, p));
  mi_free(p);
}

TEST(ApiHeapFamily, HeapMallocnWithOverflowingCountFailsWithEnomem) {
  ScopedHeap h;
  errno = 0;
  EXPECT_EQ(mi_heap_mallocn(h.heap, opaque(SIZE_MAX / 2), 3), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(ApiHeapFamily, HeapMallocSmallAndZallocSmallServeSmallSizes) {
  ScopedHeap h;
  for (size_t size = 1; size <= MI_SMALL_SIZE_MAX; size += 7) {
    void* a = mi_heap_malloc_small(h.heap, size);
    auto* z = static_cast<unsigned char*>(mi_heap_zalloc_small(h.heap, size));
    ASSERT_NE(a, nullptr);
    ASSERT_NE(z, nullptr);
    EXPECT_GE(mi_usable_size(a), size);
    EXPECT_EQ(first_nonzero(z, size), npos) << "size " << size;
    EXPECT_TRUE(mi_heap_contains_block(h.heap, a));
    EXPECT_TRUE(mi_heap_contains_block(h.heap, z));
    mi_free(a);
    mi_free(z);
  }
}

TEST(ApiHeapFamily, HeapReallocnKeepsContentsAndGrowsToCountElements) {
  ScopedHeap h;
  auto* p = static_cast<uint64_t*>(mi_heap_mallocn(h.heap, 10, sizeof(uint64_t)));
  ASSERT_NE(p, nullptr);
  for (uint64_t i = 0; i < 10; i++) p[i] = i * 3;
  p = static_cast<uint64_t*>(mi_heap_reallocn(h.heap, p, 5000, sizeof(uint64_t)));
  ASSERT_NE(p, nullptr);
  EXPECT_GE(mi_usable_size(p), 5000 * sizeof(uint64_t));
  for (uint64_t i = 0; i < 10; i++) EXPECT_EQ(p[i], i * 3);
  mi_free(p);
}

TEST(ApiHeapFamily, HeapReallocnWithOverflowFailsAndKeepsTheBlock) {
  ScopedHeap h;
  auto* p = static_cast<char*>(mi_heap_malloc(h.heap, 32));
  ASSERT_NE(p, nullptr);
  std::memcpy(p, "still here", 11);
  errno = 0;
  EXPECT_EQ(mi_heap_reallocn(h.heap, p, opaque(SIZE_MAX / 4), 8), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_STREQ(p, "still here");
  mi_free(p);
}

TEST(ApiHeapFamily, HeapReallocfFreesTheBlockWhenItFails) {
  ScopedHeap h;
  void* p = mi_heap_malloc(h.heap, 64);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(mi_heap_reallocf(h.heap, p, opaque(SIZE_MAX - 16)), nullptr);
  // p was freed: the heap holds no block any more.
  size_t blocks = 0;
  mi_heap_visit_blocks(
      h.heap, true,
      [](const mi_heap_t*, const mi_heap_area_t*, void* block, size_t, void* arg) {
        if (block) ++*static_cast<size_t*>(arg);
        return true;
      },
      &blocks);
  EXPECT_EQ(blocks, 0u);
}

TEST(ApiHeapFamily, HeapReallocfReturnsTheGrownBlockOnSuccess) {
  ScopedHeap h;
  auto* p = static_cast<char*>(mi_heap_malloc(h.heap, 16));
  ASSERT_NE(p, nullptr);
  std::memcpy(p, "abc", 4);
  p = static_cast<char*>(mi_heap_reallocf(h.heap, p, 100000));
  ASSERT_NE(p, nullptr);
  EXPECT_STREQ(p, "abc");
  mi_free(p);
}

TEST(ApiHeapFamily, HeapStrdupCopiesIntoTheHeap) {
  ScopedHeap h;
  char* s = mi_heap_strdup(h.heap, "shardguard");
  ASSERT_NE(s, nullptr);
  EXPECT_STREQ(s, "shardguard");
  EXPECT_TRUE(mi_heap_contains_block(h.heap, s));
  EXPECT_EQ(mi_heap_strdup(h.heap, nullptr), nullptr);
  mi_free(s);
}

TEST(ApiHeapFamily, HeapStrndupStopsAtNAndTerminates) {
  ScopedHeap h;
  char* s = mi_heap_strndup(h.heap, "abcdef", 3);
  ASSERT_NE(s, nullptr);
  EXPECT_STREQ(s, "abc");
  char* whole = mi_heap_strndup(h.heap, "xy", 100);
  ASSERT_NE(whole, nullptr);
  EXPECT_STREQ(whole, "xy");
  EXPECT_TRUE(mi_heap_contains_block(h.heap, s));
  mi_free(s);
  mi_free(whole);
}

TEST(ApiHeapFamily, HeapRealpathWithoutBufferAllocatesTheResultInTheHeap) {
  ScopedHeap h;
  char* path = mi_heap_realpath(h.heap, "/tmp/../tmp", nullptr);
  ASSERT_NE(path, nullptr);
  char expected[PATH_MAX];
  ASSERT_NE(realpath("/tmp", expected), nullptr);
  EXPECT_STREQ(path, expected);
  EXPECT_TRUE(mi_heap_contains_block(h.heap, path));
  mi_free(path);
}

TEST(ApiHeapFamily, HeapRealpathWithBufferFillsAndReturnsTheBuffer) {
  ScopedHeap h;
  char buf[PATH_MAX];
  EXPECT_EQ(mi_heap_realpath(h.heap, "/", buf), buf);
  EXPECT_STREQ(buf, "/");
}

TEST(ApiHeapFamily, HeapRealpathOfAMissingFileFails) {
  ScopedHeap h;
  EXPECT_EQ(mi_heap_realpath(h.heap, "/no/such/file/anywhere", nullptr), nullptr);
}

TEST(ApiHeapFamily, HeapNewExRecordsTheTagSeenByTheVisitor) {
  mi_heap_t* h = mi_heap_new_ex(42, true, 0);
  ASSERT_NE(h, nullptr);
  void* p = mi_heap_malloc(h, 100);
  ASSERT_NE(p, nullptr);
  int tag = -1;
  mi_heap_visit_blocks(
      h, false,
      [](const mi_heap_t*, const mi_heap_area_t* area, void*, size_t, void* arg) {
        *static_cast<int*>(arg) = area->heap_tag;
        return true;
      },
      &tag);
  EXPECT_EQ(tag, 42);
  mi_heap_destroy(h);
}

TEST(ApiHeapFamily, DestroyOfAHeapThatRefusesDestroyKeepsItsBlocksAlive) {
  mi_heap_t* h = mi_heap_new_ex(0, false, 0);
  ASSERT_NE(h, nullptr);
  auto* p = static_cast<char*>(mi_heap_malloc(h, 200));
  ASSERT_NE(p, nullptr);
  std::memcpy(p, "survives", 9);
  mi_heap_destroy(h);  // acts as mi_heap_delete
  EXPECT_STREQ(p, "survives");
  EXPECT_TRUE(mi_heap_contains_block(mi_heap_get_backing(), p));
  mi_free(p);
}

TEST(ApiHeapFamily, DestroyOfAHeapThatAllowsDestroyFreesItsBlocks) {
  mi_heap_t* h = mi_heap_new_ex(0, true, 0);
  ASSERT_NE(h, nullptr);
  void* p = mi_heap_malloc(h, 200);
  ASSERT_NE(p, nullptr);
  mi_heap_destroy(h);
  EXPECT_FALSE(mi_heap_contains_block(mi_heap_get_backing(), p));
}

TEST(ApiHeapFamily, HeapNewExWithAnUnknownArenaFails) { EXPECT_EQ(mi_heap_new_ex(0, true, 12345), nullptr); }

TEST(ApiHeapFamily, HeapNewInArenaGivesAUsableHeap) {
  mi_arena_id_t arena = 0;
  ASSERT_EQ(mi_reserve_os_memory_ex(8 * MiB, true, false, true, &arena), 0);
  mi_heap_t* h = mi_heap_new_in_arena(arena);
  ASSERT_NE(h, nullptr);
  void* p = mi_heap_malloc(h, 1000);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(mi_heap_contains_block(h, p));
  mi_heap_destroy(h);
}

TEST(ApiHeapFamily, HeapTypedMacrosAllocateRoomForTheType) {
  ScopedHeap h;
  Point* one = mi_heap_malloc_tp(h.heap, Point);
  Point* zero = mi_heap_zalloc_tp(h.heap, Point);
  Point* many = mi_heap_calloc_tp(h.heap, Point, 10);
  Point* n = mi_heap_mallocn_tp(h.heap, Point, 4);
  ASSERT_TRUE(one && zero && many && n);
  EXPECT_GE(mi_usable_size(one), sizeof(Point));
  EXPECT_EQ(zero->x | zero->y | zero->z, 0);
  EXPECT_EQ(first_nonzero(many, 10 * sizeof(Point)), npos);
  EXPECT_GE(mi_usable_size(n), 4 * sizeof(Point));
  n[3].z = 7;
  n = mi_heap_reallocn_tp(h.heap, n, Point, 100);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n[3].z, 7);
  EXPECT_GE(mi_usable_size(n), 100 * sizeof(Point));
  many = mi_heap_recalloc_tp(h.heap, many, Point, 1000);
  ASSERT_NE(many, nullptr);
  EXPECT_EQ(first_nonzero(many, 1000 * sizeof(Point)), npos);
  for (void* p : {static_cast<void*>(one), static_cast<void*>(zero), static_cast<void*>(many), static_cast<void*>(n)}) {
    EXPECT_TRUE(mi_heap_contains_block(h.heap, p));
    mi_free(p);
  }
}
