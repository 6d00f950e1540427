// mimalloc-new-delete.h: a program that includes it (in one source file)
// gets every form of the global operator new and delete from shardguard's
// mi_new family, also without the libc override.
#include <gtest/gtest.h>
#include <mimalloc-new-delete.h>
#include <mimalloc.h>

#include <new>
#include <string>
#include <vector>

#include "test_util.h"

using namespace sgtest;

namespace {
struct alignas(256) Wide {
  char bytes[256];
};
}  // namespace

TEST(ApiNewDeleteHeader, NewAndNewArrayComeFromShardguard) {
  auto* one = new long(7);
  auto* many = new long[100];
  EXPECT_TRUE(mi_is_in_heap_region(one));
  EXPECT_TRUE(mi_is_in_heap_region(many));
  delete one;
  delete[] many;
}

TEST(ApiNewDeleteHeader, AlignedNewComesFromShardguardAligned) {
  auto* w = new Wide;
  EXPECT_TRUE(is_aligned(w, 256));
  EXPECT_TRUE(mi_is_in_heap_region(w));
  delete w;
}

TEST(ApiNewDeleteHeader, NothrowNewReturnsNullOnFailure) {
  std::new_handler saved = std::set_new_handler(nullptr);
  char* p = new (std::nothrow) char[opaque(SIZE_MAX / 2)];
  std::set_new_handler(saved);
  EXPECT_EQ(p, nullptr);
}

TEST(ApiNewDeleteHeader, ThrowingNewThrowsBadAllocOnFailure) {
  std::new_handler saved = std::set_new_handler(nullptr);
  EXPECT_THROW(
      {
        char* p = new char[opaque(SIZE_MAX / 2)];
        escape(p);
      },
      std::bad_alloc);
  std::set_new_handler(saved);
}

TEST(ApiNewDeleteHeader, StandardContainersRunOnShardguard) {
  std::vector<std::string> v;
  for (int i = 0; i < 1000; i++) v.push_back(std::string(100, 'x'));
  EXPECT_TRUE(mi_is_in_heap_region(v.data()));
  EXPECT_TRUE(mi_is_in_heap_region(v[0].data()));
}
