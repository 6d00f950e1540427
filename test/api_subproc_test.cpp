// Sub-processes: mi_subproc_main, mi_subproc_new, mi_subproc_delete,
// mi_subproc_add_current_thread.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <cstdint>
#include <thread>
#include <vector>

TEST(ApiSubproc, MainSubprocIsStableAndNotNull) {
  EXPECT_NE(mi_subproc_main(), nullptr);
  EXPECT_EQ(mi_subproc_main(), mi_subproc_main());
}

TEST(ApiSubproc, NewSubprocsAreDistinct) {
  mi_subproc_id_t a = mi_subproc_new();
  mi_subproc_id_t b = mi_subproc_new();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_NE(a, mi_subproc_main());
  mi_subproc_delete(a);
  mi_subproc_delete(b);
}

TEST(ApiSubproc, AThreadAddedToASubprocAllocatesAndFreesNormally) {
  mi_subproc_id_t sp = mi_subproc_new();
  ASSERT_NE(sp, nullptr);
  std::vector<void*> kept;
  std::thread([&] {
    mi_subproc_add_current_thread(sp);
    for (int i = 0; i < 1000; i++) {
      void* p = mi_malloc(static_cast<size_t>(i) * 8 + 1);
      ASSERT_NE(p, nullptr);
      if (i % 10 == 0) kept.push_back(p);
      else mi_free(p);
    }
  }).join();
  for (void* p : kept) {
    EXPECT_TRUE(mi_is_in_heap_region(p));
    mi_free(p);  // blocks of the exited thread can be freed from here
  }
  mi_subproc_delete(sp);
}

TEST(ApiSubproc, DeletingTheMainSubprocIsIgnored) {
  mi_subproc_delete(mi_subproc_main());
  mi_subproc_delete(nullptr);
  EXPECT_NE(mi_subproc_main(), nullptr);
  void* p = mi_malloc(10);
  EXPECT_NE(p, nullptr);
  mi_free(p);
}

namespace {

uintptr_t segment_of(const void* p) { return reinterpret_cast<uintptr_t>(p) & ~uintptr_t{(4u << 20) - 1}; }

// A block of 64 bytes allocated by a new thread of `subproc` (nullptr: stay in the main one).
void* allocate_in_a_thread_of(mi_subproc_id_t subproc) {
  void* p = nullptr;
  std::thread([&] {
    if (subproc) mi_subproc_add_current_thread(subproc);
    p = mi_malloc(64);
  }).join();
  return p;
}

}  // namespace

TEST(ApiSubproc, ASegmentLeftBehindIsReclaimedOnlyWithinItsSubproc) {
  mi_subproc_id_t sub = mi_subproc_new();
  ASSERT_NE(sub, nullptr);
  void* left = allocate_in_a_thread_of(sub);  // its thread exits: the segment is abandoned
  ASSERT_NE(left, nullptr);
  void* other = allocate_in_a_thread_of(nullptr);  // main sub-process: must not take it
  EXPECT_NE(segment_of(other), segment_of(left));
  void* same = allocate_in_a_thread_of(sub);  // the same sub-process: reclaims it
  EXPECT_EQ(segment_of(same), segment_of(left));
  mi_free(left);
  mi_free(other);
  mi_free(same);
}
