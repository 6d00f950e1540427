// mi-prefixed POSIX, BSD and Windows-named helpers: mi_malloc_size,
// mi_malloc_usable_size, mi_malloc_good_size, mi_cfree, mi__expand,
// mi_posix_memalign, mi_memalign, mi_valloc, mi_pvalloc, mi_aligned_alloc,
// mi_reallocarray, mi_reallocarr, mi_aligned_recalloc,
// mi_aligned_offset_recalloc, mi_wcsdup, mi_mbsdup, mi_dupenv_s,
// mi_wdupenv_s, mi_free_size, mi_free_size_aligned, mi_free_aligned.
#include <gtest/gtest.h>
#include <mimalloc.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <string>

#include "test_util.h"

using namespace sgtest;

namespace {
size_t live_blocks(mi_heap_t* heap) {
  size_t n = 0;
  mi_heap_visit_blocks(
      heap, true,
      [](const mi_heap_t*, const mi_heap_area_t*, void* block, size_t, void* arg) {
        if (block) ++*static_cast<size_t*>(arg);
        return true;
      },
      &n);
  return n;
}
}  // namespace

TEST(ApiPosix, MallocSizeAndUsableSizeEqualMiUsableSize) {
  for (size_t size : {size_t{1}, size_t{100}, size_t{5000}, size_t{1 * MiB}}) {
    void* p = mi_malloc(size);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(mi_malloc_size(p), mi_usable_size(p));
    EXPECT_EQ(mi_malloc_usable_size(p), mi_usable_size(p));
    EXPECT_GE(mi_malloc_size(p), size);
    mi_free(p);
  }
  EXPECT_EQ(mi_malloc_size(nullptr), 0u);
}

TEST(ApiPosix, MallocGoodSizeIsASizeThatFillsItsBlock) {
  for (size_t size : {size_t{1}, size_t{33}, size_t{1000}, size_t{70000}}) {
    const size_t good = mi_malloc_good_size(size);
    EXPECT_EQ(good, mi_good_size(size));
    EXPECT_GE(good, size);
    void* p = mi_malloc(good);
    EXPECT_GE(mi_usable_size(p), good);
    EXPECT_EQ(mi_malloc_good_size(good), good) << "already good";
    mi_free(p);
  }
}

TEST(ApiPosix, CfreeFreesOurBlocks) {
  mi_heap_t* h = mi_heap_new();
  void* p = mi_heap_malloc(h, 64);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(live_blocks(h), 1u);
  mi_cfree(p);
  EXPECT_EQ(live_blocks(h), 0u);
  mi_heap_delete(h);
}

TEST(ApiPosix, CfreeIgnoresPointersThatAreNotOursSilently) {
  int on_stack = 0;
  std::string captured;
  mi_register_output([](const char* msg, void* arg) { *static_cast<std::string*>(arg) += msg; }, &captured);
  mi_cfree(&on_stack);
  mi_cfree(nullptr);
  mi_register_output(nullptr, nullptr);
  EXPECT_TRUE(captured.empty()) << captured;
}

TEST(ApiPosix, UnderscoreExpandGrowsWithinTheBlockOnly) {
  void* p = mi_malloc(100);
  ASSERT_NE(p, nullptr);
  const size_t usable = mi_usable_size(p);
  EXPECT_EQ(mi__expand(p, usable), p);
  EXPECT_EQ(mi__expand(p, usable + 1), nullptr) << "mi_expand cannot move the block";
  EXPECT_EQ(mi_expand(p, usable * 1000), nullptr);
  mi_free(p);
}

TEST(ApiPosix, PosixMemalignAlignsAndReturnsZero) {
  for (size_t alignment : {sizeof(void*), size_t{64}, size_t{4096}, size_t{1 * MiB}}) {
    void* p = nullptr;
    ASSERT_EQ(mi_posix_memalign(&p, alignment, 100), 0);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(is_aligned(p, alignment)) << alignment;
    mi_free(p);
  }
}

TEST(ApiPosix, PosixMemalignRejectsBadAlignmentsWithEinvalAndLeavesTheResult) {
  void* p = reinterpret_cast<void*>(0x1234);
  EXPECT_EQ(mi_posix_memalign(&p, 0, 16), EINVAL);
  EXPECT_EQ(mi_posix_memalign(&p, 4, 16), EINVAL) << "smaller than a pointer";
  EXPECT_EQ(mi_posix_memalign(&p, 24, 16), EINVAL) << "not a power of two";
  EXPECT_EQ(p, reinterpret_cast<void*>(0x1234));
  EXPECT_EQ(mi_posix_memalign(nullptr, 16, 16), EINVAL);
}

TEST(ApiPosix, PosixMemalignOfAnImpossibleSizeFailsWithEnomem) {
  void* p = nullptr;
  EXPECT_EQ(mi_posix_memalign(&p, 64, opaque(SIZE_MAX - 100)), ENOMEM);
}

TEST(ApiPosix, MemalignAndAlignedAllocAlign) {
  void* a = mi_memalign(256, 1000);
  void* b = mi_aligned_alloc(4096, 4096 * 3);
  void* c = mi_aligned_alloc(64, 10);  // size need not be a multiple of the alignment
  ASSERT_TRUE(a && b && c);
  EXPECT_TRUE(is_aligned(a, 256));
  EXPECT_TRUE(is_aligned(b, 4096));
  EXPECT_TRUE(is_aligned(c, 64));
  mi_free(a);
  mi_free(b);
  mi_free(c);
}

TEST(ApiPosix, MemalignAndAlignedAllocRejectAlignmentsThatAreNotPowersOfTwo) {
  errno = 0;
  EXPECT_EQ(mi_aligned_alloc(opaque<size_t>(48), 96), nullptr);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(mi_memalign(opaque<size_t>(0), 96), nullptr);
  EXPECT_EQ(errno, EINVAL);
}

TEST(ApiPosix, VallocReturnsPageAlignedMemory) {
  void* p = mi_valloc(10);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(is_aligned(p, page_size()));
  mi_free(p);
}

TEST(ApiPosix, PvallocRoundsTheSizeUpToWholePages) {
  void* p = mi_pvalloc(page_size() + 1);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(is_aligned(p, page_size()));
  EXPECT_GE(mi_usable_size(p), 2 * page_size());
  mi_free(p);
}

TEST(ApiPosix, PvallocOfASizeThatOverflowsWhenRoundedFailsWithEnomem) {
  errno = 0;
  EXPECT_EQ(mi_pvalloc(opaque(SIZE_MAX - 10)), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(ApiPosix, ReallocarrayResizesToCountTimesSize) {
  auto* p = static_cast<int*>(mi_reallocarray(nullptr, 10, sizeof(int)));
  ASSERT_NE(p, nullptr);
  p[9] = 9;
  p = static_cast<int*>(mi_reallocarray(p, 10000, sizeof(int)));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p[9], 9);
  EXPECT_GE(mi_usable_size(p), 10000 * sizeof(int));
  mi_free(p);
}

TEST(ApiPosix, ReallocarrayWithOverflowFailsWithEnomemAndKeepsTheBlock) {
  void* p = mi_malloc(10);
  errno = 0;
  EXPECT_EQ(mi_reallocarray(p, opaque(SIZE_MAX / 2), 3), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_GE(mi_usable_size(p), 10u);
  mi_free(p);
}

TEST(ApiPosix, ReallocarrUpdatesThePointerAndReturnsZero) {
  auto* p = static_cast<char*>(mi_malloc(8));
  std::memcpy(p, "1234567", 8);
  ASSERT_EQ(mi_reallocarr(&p, 1000, 2), 0);
  ASSERT_NE(p, nullptr);
  EXPECT_STREQ(p, "1234567");
  EXPECT_GE(mi_usable_size(p), 2000u);
  mi_free(p);
}

TEST(ApiPosix, ReallocarrWithOverflowReturnsEnomemAndLeavesThePointer) {
  void* p = mi_malloc(8);
  void* const before = p;
  EXPECT_EQ(mi_reallocarr(&p, opaque(SIZE_MAX / 2), 4), ENOMEM);
  EXPECT_EQ(p, before);
  mi_free(p);
}

TEST(ApiPosix, ReallocarrOfANullSlotIsEinval) { EXPECT_EQ(mi_reallocarr(nullptr, 1, 1), EINVAL); }

TEST(ApiPosix, AlignedRecallocKeepsAlignmentAndZeroesTheGrowth) {
  auto* p = static_cast<unsigned char*>(mi_aligned_recalloc(nullptr, 4, 8, 128));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(is_aligned(p, 128));
  std::memset(p, 3, 32);
  p = static_cast<unsigned char*>(mi_aligned_recalloc(p, 1000, 8, 128));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(is_aligned(p, 128));
  EXPECT_EQ(p[31], 3);
  EXPECT_EQ(first_nonzero(p + 32, 8000 - 32), npos);
  mi_free(p);
}

TEST(ApiPosix, AlignedOffsetRecallocAlignsPointerPlusOffset) {
  auto* p = static_cast<unsigned char*>(mi_aligned_offset_recalloc(nullptr, 2, 50, 64, 16));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(is_aligned(p + 16, 64));
  p = static_cast<unsigned char*>(mi_aligned_offset_recalloc(p, 200, 50, 64, 16));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(is_aligned(p + 16, 64));
  EXPECT_EQ(first_nonzero(p, 10000), npos);
  mi_free(p);
}

TEST(ApiPosix, AlignedOffsetRecallocWithAnOffsetLargerThanTheSizeStillAligns) {
  auto* p = static_cast<unsigned char*>(mi_aligned_offset_recalloc(nullptr, 1, 8, 64, 200));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(is_aligned(p + 200, 64));
  EXPECT_EQ(first_nonzero(p, 8), npos);
  mi_free(p);
}

TEST(ApiPosix, WcsdupCopiesAWideString) {
  const wchar_t* text = L"wide \u00e9t\u00e9";
  wchar_t* copy = mi_wcsdup(text);
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(wcscmp(copy, text), 0);
  EXPECT_TRUE(mi_is_in_heap_region(copy));
  EXPECT_EQ(mi_wcsdup(nullptr), nullptr);
  mi_free(copy);
}

TEST(ApiPosix, MbsdupCopiesAByteString) {
  const unsigned char text[] = {0xE2, 0x82, 0xAC, 'x', 0};
  unsigned char* copy = mi_mbsdup(text);
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(std::memcmp(copy, text, sizeof text), 0);
  mi_free(copy);
}

TEST(ApiPosix, DupenvCopiesASetVariableWithItsSize) {
  setenv("SG_API_TEST_VAR", "value-42", 1);
  char* buf = nullptr;
  size_t size = 0;
  ASSERT_EQ(mi_dupenv_s(&buf, &size, "SG_API_TEST_VAR"), 0);
  ASSERT_NE(buf, nullptr);
  EXPECT_STREQ(buf, "value-42");
  EXPECT_EQ(size, std::strlen("value-42") + 1);
  mi_free(buf);
  unsetenv("SG_API_TEST_VAR");
}

TEST(ApiPosix, DupenvOfAnUnsetVariableGivesNullAndSizeZero) {
  char* buf = reinterpret_cast<char*>(0x1);
  size_t size = 77;
  EXPECT_EQ(mi_dupenv_s(&buf, &size, "SG_API_TEST_SURELY_UNSET"), 0);
  EXPECT_EQ(buf, nullptr);
  EXPECT_EQ(size, 0u);
}

TEST(ApiPosix, DupenvWithoutABufferOrNameIsEinval) {
  char* buf = nullptr;
  EXPECT_EQ(mi_dupenv_s(nullptr, nullptr, "PATH"), EINVAL);
  EXPECT_EQ(mi_dupenv_s(&buf, nullptr, nullptr), EINVAL);
}

TEST(ApiPosix, WdupenvCopiesTheValueAsAWideString) {
  setenv("SG_API_TEST_WIDE", "abc", 1);
  wchar_t* buf = nullptr;
  size_t size = 0;
  ASSERT_EQ(mi_wdupenv_s(&buf, &size, L"SG_API_TEST_WIDE"), 0);
  ASSERT_NE(buf, nullptr);
  EXPECT_EQ(wcscmp(buf, L"abc"), 0);
  EXPECT_EQ(size, 4u);
  mi_free(buf);
  unsetenv("SG_API_TEST_WIDE");
}

TEST(ApiPosix, WdupenvOfAnUnsetVariableGivesNull) {
  wchar_t* buf = reinterpret_cast<wchar_t*>(0x1);
  EXPECT_EQ(mi_wdupenv_s(&buf, nullptr, L"SG_API_TEST_SURELY_UNSET"), 0);
  EXPECT_EQ(buf, nullptr);
  EXPECT_EQ(mi_wdupenv_s(nullptr, nullptr, L"X"), EINVAL);
}

TEST(ApiPosix, FreeSizeAndAlignedFreesReleaseTheBlocks) {
  mi_heap_t* h = mi_heap_new();
  void* a = mi_heap_malloc(h, 100);
  void* b = mi_heap_malloc_aligned(h, 100, 256);
  void* c = mi_heap_malloc_aligned(h, 5000, 4096);
  ASSERT_TRUE(a && b && c);
  ASSERT_EQ(live_blocks(h), 3u);
  mi_free_size(a, 100);
  mi_free_aligned(b, 256);
  mi_free_size_aligned(c, 5000, 4096);
  EXPECT_EQ(live_blocks(h), 0u);
  mi_heap_delete(h);
}
