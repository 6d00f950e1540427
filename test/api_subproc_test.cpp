// Sub-processes: mi_subproc_main, mi_subproc_new, mi_subproc_delete,
// mi_subproc_add_current_thread.
#include <gtest/gtest.h>
#include <mimalloc.h>

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
