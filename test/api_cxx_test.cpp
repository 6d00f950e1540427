// C++: mi_new, mi_new_nothrow, mi_new_aligned, mi_new_aligned_nothrow,
// mi_new_n, mi_new_realloc, mi_new_reallocn, mi_heap_alloc_new(_n), and the
// STL allocators mi_stl_allocator, mi_heap_stl_allocator,
// mi_heap_destroy_stl_allocator.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <cstdint>
#include <cstring>
#include <list>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "test_util.h"

using namespace sgtest;

namespace {

// Installs a new-handler for the test's duration.
struct ScopedNewHandler {
  std::new_handler saved;
  explicit ScopedNewHandler(std::new_handler h) : saved(std::set_new_handler(h)) {}
  ~ScopedNewHandler() { std::set_new_handler(saved); }
};

int handler_calls = 0;

const size_t kImpossible = SIZE_MAX / 2;

}  // namespace

TEST(ApiCxx, NewReturnsUsableMemory) {
  void* p = mi_new(100);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(mi_usable_size(p), 100u);
  mi_free(p);
}

TEST(ApiCxx, NewThrowsBadAllocWithoutANewHandler) {
  ScopedNewHandler none(nullptr);
  EXPECT_THROW((void)mi_new(opaque(kImpossible)), std::bad_alloc);
}

TEST(ApiCxx, NewCallsTheNewHandlerUntilItGivesUp) {
  handler_calls = 0;
  ScopedNewHandler h([] {
    if (++handler_calls == 3) throw std::bad_alloc();
  });
  EXPECT_THROW((void)mi_new(opaque(kImpossible)), std::bad_alloc);
  EXPECT_EQ(handler_calls, 3);
}

TEST(ApiCxx, NewNothrowReturnsNullWithoutANewHandler) {
  ScopedNewHandler none(nullptr);
  EXPECT_EQ(mi_new_nothrow(opaque(kImpossible)), nullptr);
  void* p = mi_new_nothrow(10);
  EXPECT_NE(p, nullptr);
  mi_free(p);
}

TEST(ApiCxx, NewNothrowReturnsNullWhenTheHandlerThrows) {
  ScopedNewHandler h([] { throw std::bad_alloc(); });
  EXPECT_EQ(mi_new_nothrow(opaque(kImpossible)), nullptr);
}

TEST(ApiCxx, NewAlignedAligns) {
  void* p = mi_new_aligned(100, 512);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(is_aligned(p, 512));
  mi_free(p);
}

TEST(ApiCxx, NewAlignedThrowsOnFailureAndTheNothrowFormReturnsNull) {
  ScopedNewHandler none(nullptr);
  EXPECT_THROW((void)mi_new_aligned(opaque(kImpossible), 64), std::bad_alloc);
  EXPECT_EQ(mi_new_aligned_nothrow(opaque(kImpossible), 64), nullptr);
  void* p = mi_new_aligned_nothrow(64, 4096);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(is_aligned(p, 4096));
  mi_free(p);
}

TEST(ApiCxx, NewNGivesRoomForCountElements) {
  void* p = mi_new_n(100, 24);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(mi_usable_size(p), 2400u);
  mi_free(p);
}

TEST(ApiCxx, NewNWithOverflowingCountThrowsBadAlloc) {
  ScopedNewHandler none(nullptr);
  EXPECT_THROW((void)mi_new_n(opaque(SIZE_MAX / 4), 8), std::bad_alloc);
}

TEST(ApiCxx, NewReallocKeepsContentsAndThrowsOnFailure) {
  ScopedNewHandler none(nullptr);
  auto* p = static_cast<char*>(mi_new(8));
  std::memcpy(p, "content", 8);
  p = static_cast<char*>(mi_new_realloc(p, 100000));
  ASSERT_NE(p, nullptr);
  EXPECT_STREQ(p, "content");
  EXPECT_THROW((void)mi_new_realloc(p, opaque(kImpossible)), std::bad_alloc);
  EXPECT_STREQ(p, "content") << "the block survives a failed realloc";
  mi_free(p);
}

TEST(ApiCxx, NewReallocnResizesToCountElementsAndThrowsOnOverflow) {
  ScopedNewHandler none(nullptr);
  auto* p = static_cast<uint32_t*>(mi_new_reallocn(nullptr, 10, sizeof(uint32_t)));
  ASSERT_NE(p, nullptr);
  p[9] = 99;
  p = static_cast<uint32_t*>(mi_new_reallocn(p, 10000, sizeof(uint32_t)));
  EXPECT_EQ(p[9], 99u);
  EXPECT_THROW((void)mi_new_reallocn(p, opaque(SIZE_MAX / 2), 4), std::bad_alloc);
  mi_free(p);
}

TEST(ApiCxx, HeapAllocNewAllocatesInTheHeapAndThrowsOnFailure) {
  ScopedNewHandler none(nullptr);
  mi_heap_t* h = mi_heap_new();
  void* p = mi_heap_alloc_new(h, 300);
  void* q = mi_heap_alloc_new_n(h, 30, 10);
  ASSERT_TRUE(p && q);
  EXPECT_TRUE(mi_heap_contains_block(h, p));
  EXPECT_TRUE(mi_heap_contains_block(h, q));
  EXPECT_THROW((void)mi_heap_alloc_new(h, opaque(kImpossible)), std::bad_alloc);
  EXPECT_THROW((void)mi_heap_alloc_new_n(h, opaque(SIZE_MAX / 2), 3), std::bad_alloc);
  mi_heap_destroy(h);
}

TEST(ApiCxx, StlAllocatorServesStandardContainers) {
  std::vector<int, mi_stl_allocator<int>> v;
  for (int i = 0; i < 10000; i++) v.push_back(i);
  EXPECT_EQ(v[9999], 9999);
  EXPECT_TRUE(mi_is_in_heap_region(v.data()));
  std::map<int, std::string, std::less<int>, mi_stl_allocator<std::pair<const int, std::string>>> m;
  m[1] = "one";
  EXPECT_EQ(m[1], "one");
  EXPECT_TRUE(mi_stl_allocator<int>() == mi_stl_allocator<long>());
}

TEST(ApiCxx, StlAllocatorThrowsBadAllocForAnImpossibleCount) {
  ScopedNewHandler none(nullptr);
  mi_stl_allocator<uint64_t> a;
  EXPECT_THROW((void)a.allocate(opaque(SIZE_MAX / 4)), std::bad_alloc);
}

TEST(ApiCxx, HeapStlAllocatorAllocatesFromItsOwnHeap) {
  mi_heap_stl_allocator<int> alloc;
  std::vector<int, mi_heap_stl_allocator<int>> v(alloc);
  for (int i = 0; i < 1000; i++) v.push_back(i);
  EXPECT_FALSE(mi_heap_contains_block(mi_heap_get_default(), v.data()));
  EXPECT_TRUE(mi_is_in_heap_region(v.data()));
  mi_heap_stl_allocator<int> copy = alloc;
  EXPECT_TRUE(copy == alloc);
  EXPECT_FALSE(mi_heap_stl_allocator<int>() == alloc) << "each default-made allocator has its own heap";
}

TEST(ApiCxx, HeapStlAllocatorOnAGivenHeapUsesThatHeapAndLeavesItAlive) {
  mi_heap_t* h = mi_heap_new();
  {
    std::list<int, mi_heap_stl_allocator<int>> l{mi_heap_stl_allocator<int>(h)};
    l.push_back(5);
    EXPECT_TRUE(mi_heap_contains_block(h, &l.front()));
  }
  void* p = mi_heap_malloc(h, 10);  // the heap is still there
  EXPECT_NE(p, nullptr);
  mi_free(p);
  mi_heap_delete(h);
}

TEST(ApiCxx, HeapDestroyStlAllocatorServesContainersWithoutDeallocating) {
  mi_heap_destroy_stl_allocator<int> alloc;
  std::vector<int, mi_heap_destroy_stl_allocator<int>> v(alloc);
  for (int i = 0; i < 5000; i++) v.push_back(i);  // each growth "frees" the old buffer: a no-op
  EXPECT_EQ(v[4999], 4999);
  EXPECT_TRUE(mi_is_in_heap_region(v.data()));
  EXPECT_FALSE(mi_heap_contains_block(mi_heap_get_default(), v.data()));
  mi_heap_destroy_stl_allocator<int> copy = alloc;
  EXPECT_TRUE(copy == alloc);
}
