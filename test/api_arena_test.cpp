// Arenas and OS memory: mi_reserve_os_memory(_ex), mi_manage_os_memory(_ex),
// mi_arena_area, the huge-OS-page reservations (which fail cleanly with
// ENOMEM where the system has no 1 GiB pages to give), mi_arenas_print,
// mi_debug_show_arenas.
#include <gtest/gtest.h>
#include <mimalloc.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "test_util.h"

using namespace sgtest;

namespace {

// Whether this machine can hand out 1 GiB huge pages at all.
bool system_has_1g_huge_pages() {
#if defined(MAP_HUGETLB) && defined(MAP_HUGE_SHIFT)
  void* p = mmap(nullptr, size_t{1} << 30, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (30 << MAP_HUGE_SHIFT), -1, 0);
  if (p == MAP_FAILED) return false;
  munmap(p, size_t{1} << 30);
  return true;
#else
  return false;
#endif
}

std::string captured_output(void (*fn)()) {
  std::string text;
  mi_register_output([](const char* msg, void* arg) { *static_cast<std::string*>(arg) += msg; }, &text);
  fn();
  mi_register_output(nullptr, nullptr);
  return text;
}

}  // namespace

TEST(ApiArena, ReserveOsMemoryExGivesAnArenaWhoseAreaCoversTheSize) {
  mi_arena_id_t id = 0;
  ASSERT_EQ(mi_reserve_os_memory_ex(16 * MiB, true, false, false, &id), 0);
  EXPECT_GT(id, 0);
  size_t size = 0;
  void* start = mi_arena_area(id, &size);
  ASSERT_NE(start, nullptr);
  EXPECT_GE(size, 16 * MiB);
  EXPECT_TRUE(is_aligned(start, 4 * MiB)) << "segment-aligned";
}

TEST(ApiArena, ReserveOsMemoryReturnsZeroOnSuccess) { EXPECT_EQ(mi_reserve_os_memory(8 * MiB, false, true), 0); }

TEST(ApiArena, ReserveOsMemoryOfZeroBytesFailsWithEinval) {
  mi_arena_id_t id = 7;
  EXPECT_EQ(mi_reserve_os_memory_ex(0, true, false, false, &id), EINVAL);
  EXPECT_EQ(id, 0);
}

TEST(ApiArena, ReserveOsMemoryOfAnImpossibleSizeFailsWithEnomem) {
  EXPECT_EQ(mi_reserve_os_memory(opaque(SIZE_MAX / 2), true, false), ENOMEM);
}

TEST(ApiArena, EachArenaGetsItsOwnId) {
  mi_arena_id_t a = 0, b = 0;
  ASSERT_EQ(mi_reserve_os_memory_ex(4 * MiB, true, false, true, &a), 0);
  ASSERT_EQ(mi_reserve_os_memory_ex(4 * MiB, true, false, true, &b), 0);
  EXPECT_NE(a, b);
  EXPECT_NE(mi_arena_area(a, nullptr), mi_arena_area(b, nullptr));
}

TEST(ApiArena, ManageOsMemoryRegistersTheProgramsRange) {
  const size_t size = 12 * MiB;
  void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  mi_arena_id_t id = 0;
  ASSERT_TRUE(mi_manage_os_memory_ex(mem, size, true, false, true, -1, true, &id));
  size_t got = 0;
  EXPECT_EQ(mi_arena_area(id, &got), mem);
  EXPECT_EQ(got, size);
  // The arena keeps the range for the rest of the process: never unmapped here.
}

TEST(ApiArena, ManageOsMemoryTooSmallForASegmentFails) {
  static char small[64 * 1024];
  EXPECT_FALSE(mi_manage_os_memory(small, sizeof small, true, false, true, -1));
  EXPECT_FALSE(mi_manage_os_memory(nullptr, 64 * MiB, true, false, true, -1));
}

TEST(ApiArena, ArenaAreaOfAnUnknownIdIsNullWithSizeZero) {
  size_t size = 123;
  EXPECT_EQ(mi_arena_area(99999, &size), nullptr);
  EXPECT_EQ(size, 0u);
  EXPECT_EQ(mi_arena_area(0, nullptr), nullptr);
}

TEST(ApiArena, ReservingZeroHugePagesSucceedsWithNothingReserved) {
  size_t reserved = 5;
  EXPECT_EQ(mi_reserve_huge_os_pages(0, 1.0, &reserved), 0);
  EXPECT_EQ(reserved, 0u);
}

TEST(ApiArena, HugeOsPageReservationsSucceedOnlyWhereTheSystemHasThem) {
  const int expected = system_has_1g_huge_pages() ? 0 : ENOMEM;
  EXPECT_EQ(mi_reserve_huge_os_pages_interleave(1, 0, 100), expected);
  EXPECT_EQ(mi_reserve_huge_os_pages_at(1, 0, 100), expected);
  mi_arena_id_t id = -1;
  EXPECT_EQ(mi_reserve_huge_os_pages_at_ex(1, 0, 100, true, &id), expected);
  if (expected != 0) {
    EXPECT_EQ(id, 0) << "no arena on failure";
  }
  size_t reserved = 99;
  EXPECT_EQ(mi_reserve_huge_os_pages(1, 0.1, &reserved), expected);
  EXPECT_EQ(reserved, expected == 0 ? 1u : 0u);
}

TEST(ApiArena, ArenasPrintListsTheArenas) {
  mi_arena_id_t id = 0;
  ASSERT_EQ(mi_reserve_os_memory_ex(4 * MiB, true, false, true, &id), 0);
  const std::string text = captured_output([] { mi_arenas_print(); });
  EXPECT_NE(text.find("arena " + std::to_string(id) + ":"), std::string::npos) << text;
  EXPECT_NE(text.find("exclusive"), std::string::npos);
}

TEST(ApiArena, DebugShowArenasPrintsTheSameList) {
  const std::string a = captured_output([] { mi_arenas_print(); });
  const std::string b = captured_output([] { mi_debug_show_arenas(); });
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("arenas:"), std::string::npos);
}

TEST(ApiArena, TheMimalloc21FormOfDebugShowArenasPrintsTheSameList) {
  const std::string a = captured_output([] { mi_debug_show_arenas(); });
  const std::string b = captured_output([] { mi_debug_show_arenas(true, false, false); });
  EXPECT_EQ(a, b);
}

namespace {

bool inside(const void* p, const void* start, size_t size) {
  const auto a = reinterpret_cast<uintptr_t>(p), s = reinterpret_cast<uintptr_t>(start);
  return a >= s && a < s + size;
}

}  // namespace

TEST(ApiArena, AHeapInAnExclusiveArenaAllocatesEveryBlockInsideIt) {
  mi_arena_id_t id{};
  ASSERT_EQ(mi_reserve_os_memory_ex(64 * MiB, true, false, true, &id), 0);
  size_t size = 0;
  void* start = mi_arena_area(id, &size);
  ASSERT_NE(start, nullptr);
  mi_heap_t* heap = mi_heap_new_in_arena(id);
  ASSERT_NE(heap, nullptr);
  for (size_t n : {size_t{16}, size_t{1000}, size_t{20000}, size_t{300000}, size_t{3 * MiB}}) {
    for (int i = 0; i < 8; i++) {
      void* p = mi_heap_malloc(heap, n);
      ASSERT_NE(p, nullptr) << n;
      EXPECT_TRUE(inside(p, start, size)) << n << " bytes at " << p << " outside the arena";
    }
  }
  mi_heap_destroy(heap);
}

TEST(ApiArena, AFullExclusiveArenaFailsInsteadOfUsingOtherMemory) {
  mi_arena_id_t id{};
  ASSERT_EQ(mi_reserve_os_memory_ex(16 * MiB, true, false, true, &id), 0);
  mi_heap_t* heap = mi_heap_new_in_arena(id);
  ASSERT_NE(heap, nullptr);
  size_t size = 0;
  void* start = mi_arena_area(id, &size);
  int inside_count = 0;
  for (int i = 0; i < 64; i++) {
    void* p = mi_heap_malloc(heap, 3 * MiB);  // a segment each
    if (!p) break;
    EXPECT_TRUE(inside(p, start, size));
    inside_count++;
  }
  EXPECT_GT(inside_count, 0);
  EXPECT_LT(inside_count, 64) << "16 MiB cannot hold 64 blocks of 3 MiB";
  mi_heap_destroy(heap);
}

TEST(ApiArena, ManagedMemoryServesOrdinaryAllocations) {
  const size_t bytes = 32 * MiB;
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  ASSERT_TRUE(mi_manage_os_memory(mem, bytes, true, false, true, -1));
  // A huge block needs a fresh segment: the non-exclusive arena comes first.
  void* p = mi_malloc(6 * MiB);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(inside(p, mem, bytes)) << p;
  mi_free(p);
}
