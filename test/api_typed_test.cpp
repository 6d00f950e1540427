// The typed allocation macros: mi_malloc_tp, mi_zalloc_tp, mi_calloc_tp,
// mi_mallocn_tp, mi_reallocn_tp (the heap forms are in api_heap_family_test).
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <cerrno>
#include <cstdint>
#include <type_traits>

#include "test_util.h"

using namespace sgtest;

namespace {
struct Record {
  int64_t id;
  double weight;
  char name[40];
};
}  // namespace

TEST(ApiTyped, MallocTpReturnsAPointerOfTheTypeWithRoomForIt) {
  Record* r = mi_malloc_tp(Record);
  static_assert(std::is_same_v<decltype(r), Record*>);
  ASSERT_NE(r, nullptr);
  EXPECT_GE(mi_usable_size(r), sizeof(Record));
  EXPECT_TRUE(is_aligned(r, alignof(Record)));
  mi_free(r);
}

TEST(ApiTyped, ZallocTpReturnsAZeroedObject) {
  Record* r = mi_zalloc_tp(Record);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(first_nonzero(r, sizeof(Record)), npos);
  mi_free(r);
}

TEST(ApiTyped, CallocTpReturnsNZeroedObjects) {
  Record* r = mi_calloc_tp(Record, 50);
  ASSERT_NE(r, nullptr);
  EXPECT_GE(mi_usable_size(r), 50 * sizeof(Record));
  EXPECT_EQ(first_nonzero(r, 50 * sizeof(Record)), npos);
  mi_free(r);
}

TEST(ApiTyped, CallocTpWithOverflowingCountReturnsNull) {
  errno = 0;
  EXPECT_EQ(mi_calloc_tp(Record, opaque(SIZE_MAX / 8)), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(ApiTyped, MallocnTpReturnsRoomForNObjects) {
  Record* r = mi_mallocn_tp(Record, 7);
  ASSERT_NE(r, nullptr);
  EXPECT_GE(mi_usable_size(r), 7 * sizeof(Record));
  mi_free(r);
}

TEST(ApiTyped, MallocnTpWithOverflowingCountReturnsNull) {
  EXPECT_EQ(mi_mallocn_tp(Record, opaque(SIZE_MAX / 16)), nullptr);
}

TEST(ApiTyped, ReallocnTpKeepsTheObjectsAndGrows) {
  Record* r = mi_mallocn_tp(Record, 2);
  ASSERT_NE(r, nullptr);
  r[1].id = 99;
  r = mi_reallocn_tp(r, Record, 1000);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r[1].id, 99);
  EXPECT_GE(mi_usable_size(r), 1000 * sizeof(Record));
  mi_free(r);
}
