// Aligned allocation: mi_malloc_aligned(_at), mi_zalloc_aligned(_at),
// mi_calloc_aligned(_at), mi_realloc_aligned(_at) and their mi_heap_* forms.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "test_util.h"

using namespace sgtest;

namespace {

// One way of asking for an aligned block. `offset` is ignored by the plain
// (non-_at) forms, which align the pointer itself.
struct AlignedAlloc {
  std::string name;
  bool zeroed;
  bool takes_offset;
  bool is_realloc;
  std::function<void*(mi_heap_t*, size_t size, size_t alignment, size_t offset)> alloc;
};

std::vector<AlignedAlloc> all_aligned_allocs() {
  return {
      {"mi_malloc_aligned", false, false, false,
       [](mi_heap_t*, size_t s, size_t a, size_t) { return mi_malloc_aligned(s, a); }},
      {"mi_zalloc_aligned", true, false, false,
       [](mi_heap_t*, size_t s, size_t a, size_t) { return mi_zalloc_aligned(s, a); }},
      {"mi_calloc_aligned", true, false, false,
       [](mi_heap_t*, size_t s, size_t a, size_t) { return mi_calloc_aligned(1, s, a); }},
      {"mi_realloc_aligned(NULL)", false, false, true,
       [](mi_heap_t*, size_t s, size_t a, size_t) { return mi_realloc_aligned(nullptr, s, a); }},
      {"mi_heap_malloc_aligned", false, false, false,
       [](mi_heap_t* h, size_t s, size_t a, size_t) { return mi_heap_malloc_aligned(h, s, a); }},
      {"mi_heap_zalloc_aligned", true, false, false,
       [](mi_heap_t* h, size_t s, size_t a, size_t) { return mi_heap_zalloc_aligned(h, s, a); }},
      {"mi_heap_calloc_aligned", true, false, false,
       [](mi_heap_t* h, size_t s, size_t a, size_t) { return mi_heap_calloc_aligned(h, 1, s, a); }},
      {"mi_heap_realloc_aligned(NULL)", false, false, true,
       [](mi_heap_t* h, size_t s, size_t a, size_t) {
         return mi_heap_realloc_aligned(h, nullptr, s, a);
       }},
      {"mi_malloc_aligned_at", false, true, false,
       [](mi_heap_t*, size_t s, size_t a, size_t o) { return mi_malloc_aligned_at(s, a, o); }},
      {"mi_zalloc_aligned_at", true, true, false,
       [](mi_heap_t*, size_t s, size_t a, size_t o) { return mi_zalloc_aligned_at(s, a, o); }},
      {"mi_calloc_aligned_at", true, true, false,
       [](mi_heap_t*, size_t s, size_t a, size_t o) { return mi_calloc_aligned_at(1, s, a, o); }},
      {"mi_realloc_aligned_at(NULL)", false, true, true,
       [](mi_heap_t*, size_t s, size_t a, size_t o) {
         return mi_realloc_aligned_at(nullptr, s, a, o);
       }},
      {"mi_heap_malloc_aligned_at", false, true, false,
       [](mi_heap_t* h, size_t s, size_t a, size_t o) {
         return mi_heap_malloc_aligned_at(h, s, a, o);
       }},
      {"mi_heap_zalloc_aligned_at", true, true, false,
       [](mi_heap_t* h, size_t s, size_t a, size_t o) {
         return mi_heap_zalloc_aligned_at(h, s, a, o);
       }},
      {"mi_heap_calloc_aligned_at", true, true, false,
       [](mi_heap_t* h, size_t s, size_t a, size_t o) {
         return mi_heap_calloc_aligned_at(h, 1, s, a, o);
       }},
      {"mi_heap_realloc_aligned_at(NULL)", false, true, true,
       [](mi_heap_t* h, size_t s, size_t a, size_t o) {
         return mi_heap_realloc_aligned_at(h, nullptr, s, a, o);
       }},
  };
}

const std::vector<size_t> kSizes = {1, 7, 64, 1000, 100000, 3 * MiB};

std::vector<size_t> powers_of_two(size_t from, size_t to) {
  std::vector<size_t> v;
  for (size_t a = from; a <= to; a *= 2) v.push_back(a);
  return v;
}

// Writes the first and last bytes (and a pattern over up to 4 KiB at each end)
// and reads them back.
::testing::AssertionResult writable(void* p, size_t size, uint64_t seed) {
  const size_t head = size < 4096 ? size : 4096;
  fill_pattern_range(p, 0, head, seed);
  fill_pattern_range(p, size - head, size, seed);
  size_t bad = check_pattern_range(p, 0, head, seed);
  if (bad == npos) bad = check_pattern_range(p, size - head, size, seed);
  if (bad != npos) return ::testing::AssertionFailure() << "byte " << bad << " did not keep its value";
  return ::testing::AssertionSuccess();
}

class ApiAligned : public ::testing::Test {
 protected:
  void SetUp() override {
    heap_ = mi_heap_new();
    ASSERT_NE(heap_, nullptr);
  }
  void TearDown() override { mi_heap_delete(heap_); }

  // Allocates with `a`, checks alignment of p + offset, usable size, zeroing
  // and writability, then frees with mi_free.
  void check_one(const AlignedAlloc& a, size_t size, size_t alignment, size_t offset) {
    SCOPED_TRACE(a.name + " size " + std::to_string(size) + " alignment " + std::to_string(alignment) +
                 " offset " + std::to_string(offset));
    void* p = a.alloc(heap_, size, alignment, offset);
    ASSERT_NE(p, nullptr);
    const uintptr_t at = reinterpret_cast<uintptr_t>(p) + (a.takes_offset ? offset : 0);
    EXPECT_EQ(at % alignment, 0u) << "pointer " << p;
    EXPECT_GE(mi_usable_size(p), size);
    if (a.zeroed) {
      const size_t bad = first_nonzero(p, size);
      EXPECT_EQ(bad, npos) << "pointer " << p << " usable " << mi_usable_size(p) << ": byte " << bad << " is 0x"
                           << std::hex << (bad == npos ? 0 : static_cast<const uint8_t*>(p)[bad]);
    }
    EXPECT_TRUE(writable(p, size, size + alignment));
    mi_free(p);
  }

  mi_heap_t* heap_ = nullptr;
};

}  // namespace

TEST_F(ApiAligned, EveryPowerOfTwoAlignmentUpTo1MiBIsHonouredForEveryVariant) {
  for (const AlignedAlloc& a : all_aligned_allocs())
    for (size_t alignment : powers_of_two(1, 1 * MiB))
      for (size_t size : kSizes) check_one(a, size, alignment, 0);
}

// Alignments above 1 MiB may be refused (NULL), but a block that is granted
// must be aligned and usable.
TEST_F(ApiAligned, AlignmentsOf2And4MiBAreHonouredWhenGranted) {
  for (const AlignedAlloc& a : all_aligned_allocs()) {
    for (size_t alignment : {2 * MiB, 4 * MiB}) {
      for (size_t size : kSizes) {
        SCOPED_TRACE(a.name + " size " + std::to_string(size) + " alignment " + std::to_string(alignment));
        void* p = a.alloc(heap_, size, alignment, 0);
        if (p == nullptr) continue;
        EXPECT_TRUE(is_aligned(p, alignment)) << "pointer " << p;
        EXPECT_GE(mi_usable_size(p), size);
        if (a.zeroed) {
          EXPECT_EQ(first_nonzero(p, size), npos);
        }
        EXPECT_TRUE(writable(p, size, 3));
        mi_free(p);
      }
    }
  }
}

// mimalloc's realloc_aligned forms treat an alignment <= sizeof(void*) as a
// plain realloc (alignment and offset are not looked at), so they are held to
// the contract from 16 on only.
TEST_F(ApiAligned, AtVariantsAlignThePointerPlusOffset) {
  const std::vector<size_t> offsets = {3, 8, 16, 24, 48, 1000};
  const std::vector<size_t> alignments = {8, 16, 32, 64, 256, 4096, 65536, 1 * MiB};
  for (const AlignedAlloc& a : all_aligned_allocs()) {
    if (!a.takes_offset) continue;
    for (size_t alignment : alignments) {
      if (a.is_realloc && alignment <= sizeof(void*)) continue;
      for (size_t size : {size_t{64}, size_t{1000}, size_t{100000}, size_t{3 * MiB}})
        for (size_t offset : offsets)
          if (offset <= size) check_one(a, size, alignment, offset);
    }
  }
}

TEST_F(ApiAligned, AlignedBlocksOfOneSizeStayAlignedWhileManyAreLive) {
  for (size_t alignment : {size_t{16}, size_t{32}, size_t{64}, size_t{128}, size_t{4096}}) {
    std::vector<void*> live;
    for (int i = 0; i < 1000; i++) {
      void* p = mi_malloc_aligned(48, alignment);
      ASSERT_NE(p, nullptr);
      ASSERT_TRUE(is_aligned(p, alignment)) << "alignment " << alignment << " block " << i << " " << p;
      fill_pattern(p, 48, static_cast<uint64_t>(i));
      live.push_back(p);
    }
    for (size_t i = 0; i < live.size(); i++) {
      EXPECT_EQ(check_pattern(live[i], 48, i), npos) << "block " << i << " was overwritten";
      mi_free(live[i]);
    }
  }
}

// Zero counts as not a power of two. The realloc forms are exempt below
// sizeof(void*) (mimalloc handles those as a plain realloc).
TEST_F(ApiAligned, NonPowerOfTwoAlignmentReturnsNull) {
  const std::vector<size_t> bad = {0, 3, 5, 6, 7, 12, 24, 48, 96, 100, 1000, 3 * 4096, MiB + 1};
  for (const AlignedAlloc& a : all_aligned_allocs()) {
    for (size_t alignment : bad) {
      if (a.is_realloc && alignment <= sizeof(void*)) continue;
      void* p = a.alloc(heap_, 64, opaque(alignment), 0);
      EXPECT_EQ(p, nullptr) << a.name << " alignment " << alignment;
      if (p) mi_free(p);
    }
  }
}

TEST_F(ApiAligned, ImpossibleSizeReturnsNullWithEnomem) {
  for (const AlignedAlloc& a : all_aligned_allocs()) {
    for (size_t size : {SIZE_MAX, SIZE_MAX - 4095, static_cast<size_t>(PTRDIFF_MAX) + 1}) {
      for (size_t alignment : {size_t{16}, size_t{4096}, size_t{1 * MiB}}) {
        errno = 0;
        void* p = a.alloc(heap_, opaque(size), alignment, 0);
        EXPECT_EQ(p, nullptr) << a.name << " size " << size << " alignment " << alignment;
        EXPECT_EQ(errno, ENOMEM) << a.name << " size " << size << " alignment " << alignment;
      }
    }
  }
}

TEST_F(ApiAligned, CallocAlignedWithOverflowingCountTimesSizeReturnsNullWithEnomem) {
  const size_t count = opaque(SIZE_MAX / 2 + 1), size = opaque<size_t>(2);
  errno = 0;
  EXPECT_EQ(mi_calloc_aligned(count, size, 64), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(mi_calloc_aligned_at(count, size, 64, 8), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(mi_heap_calloc_aligned(heap_, count, size, 64), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(mi_heap_calloc_aligned_at(heap_, count, size, 64, 8), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST_F(ApiAligned, CallocAlignedAllocatesCountTimesSizeZeroed) {
  for (size_t alignment : {size_t{16}, size_t{256}, size_t{4096}}) {
    auto* p = static_cast<uint8_t*>(mi_calloc_aligned(1000, 24, alignment));
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(is_aligned(p, alignment));
    EXPECT_GE(mi_usable_size(p), 24000u);
    EXPECT_EQ(first_nonzero(p, 24000), npos);
    mi_free(p);
  }
}

// Freed blocks are dirty; the zeroing variants must clear them when reused.
TEST_F(ApiAligned, ZeroingVariantsReturnZeroedMemoryWhenReusingDirtyBlocks) {
  for (size_t size : {size_t{8}, size_t{64}, size_t{1000}, size_t{100000}, size_t{3 * MiB}}) {
    for (size_t alignment : {size_t{16}, size_t{64}, size_t{4096}, size_t{65536}}) {
      for (const AlignedAlloc& a : all_aligned_allocs()) {
        if (!a.zeroed) continue;
        const int count = size <= 100000 ? 20 : 2;
        std::vector<void*> blocks;
        for (int i = 0; i < count; i++) {
          void* p = a.name.find("heap") != std::string::npos ? mi_heap_malloc_aligned(heap_, size, alignment)
                                                             : mi_malloc_aligned(size, alignment);
          ASSERT_NE(p, nullptr);
          std::memset(p, 0xAB, mi_usable_size(p));
          blocks.push_back(p);
        }
        for (void* p : blocks) mi_free(p);
        for (int i = 0; i < count; i++) {
          void* q = a.alloc(heap_, size, alignment, 0);
          ASSERT_NE(q, nullptr);
          const size_t bad = first_nonzero(q, size);
          EXPECT_EQ(bad, npos) << a.name << " size " << size << " alignment " << alignment
                               << ": byte " << bad << " not zero";
          blocks[i] = q;
        }
        for (void* q : blocks) mi_free(q);
      }
    }
  }
}

// realloc_aligned keeps the first min(old, new) bytes and returns a pointer with
// the requested alignment (mimalloc keeps the offset of the original block, so
// the block is allocated with the same alignment it is reallocated with).
TEST_F(ApiAligned, ReallocAlignedPreservesContentsAndAlignment) {
  const std::vector<size_t> chain = {10, 5000, 300000, 3 * MiB, 100, 40, 70000, 12};
  for (int use_heap = 0; use_heap < 2; use_heap++) {
    for (size_t alignment : {size_t{16}, size_t{32}, size_t{64}, size_t{256}, size_t{4096}, size_t{65536},
                             size_t{1 * MiB}}) {
      SCOPED_TRACE(std::string(use_heap ? "mi_heap_realloc_aligned" : "mi_realloc_aligned") +
                   " alignment " + std::to_string(alignment));
      size_t cur = chain[0];
      void* p = use_heap ? mi_heap_malloc_aligned(heap_, cur, alignment) : mi_malloc_aligned(cur, alignment);
      ASSERT_NE(p, nullptr);
      fill_pattern(p, cur, alignment);
      for (size_t i = 1; i < chain.size(); i++) {
        const size_t next = chain[i];
        void* q = use_heap ? mi_heap_realloc_aligned(heap_, p, next, alignment)
                           : mi_realloc_aligned(p, next, alignment);
        ASSERT_NE(q, nullptr) << cur << " -> " << next;
        EXPECT_TRUE(is_aligned(q, alignment)) << cur << " -> " << next << " gave " << q;
        EXPECT_GE(mi_usable_size(q), next);
        const size_t keep = std::min(cur, next);
        ASSERT_EQ(check_pattern(q, keep, alignment), npos) << cur << " -> " << next;
        fill_pattern_range(q, keep, next, alignment);
        p = q;
        cur = next;
      }
      mi_free(p);
    }
  }
}

TEST_F(ApiAligned, ReallocAlignedAtPreservesContentsAndAlignsPointerPlusOffset) {
  const std::vector<size_t> chain = {24, 5000, 300000, 3 * MiB, 100, 40, 70000, 16};
  for (int use_heap = 0; use_heap < 2; use_heap++) {
    for (size_t alignment : {size_t{32}, size_t{64}, size_t{4096}, size_t{65536}}) {
      for (size_t offset : {size_t{8}, size_t{16}}) {
        SCOPED_TRACE(std::string(use_heap ? "mi_heap_realloc_aligned_at" : "mi_realloc_aligned_at") +
                     " alignment " + std::to_string(alignment) + " offset " + std::to_string(offset));
        size_t cur = chain[0];
        void* p = use_heap ? mi_heap_malloc_aligned_at(heap_, cur, alignment, offset)
                           : mi_malloc_aligned_at(cur, alignment, offset);
        ASSERT_NE(p, nullptr);
        fill_pattern(p, cur, offset);
        for (size_t i = 1; i < chain.size(); i++) {
          const size_t next = chain[i];
          void* q = use_heap ? mi_heap_realloc_aligned_at(heap_, p, next, alignment, offset)
                             : mi_realloc_aligned_at(p, next, alignment, offset);
          ASSERT_NE(q, nullptr) << cur << " -> " << next;
          EXPECT_EQ((reinterpret_cast<uintptr_t>(q) + offset) % alignment, 0u)
              << cur << " -> " << next << " gave " << q;
          EXPECT_GE(mi_usable_size(q), next);
          const size_t keep = std::min(cur, next);
          ASSERT_EQ(check_pattern(q, keep, offset), npos) << cur << " -> " << next;
          fill_pattern_range(q, keep, next, offset);
          p = q;
          cur = next;
        }
        mi_free(p);
      }
    }
  }
}

TEST_F(ApiAligned, ReallocAlignedToImpossibleSizeReturnsNullAndKeepsTheBlock) {
  void* p = mi_malloc_aligned(1000, 256);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 1000, 1);
  errno = 0;
  EXPECT_EQ(mi_realloc_aligned(p, opaque(SIZE_MAX), 256), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_EQ(check_pattern(p, 1000, 1), npos);
  mi_free(p);
}

// Over-aligned blocks are carved out of larger spans; freeing one must give
// the whole span back, or a loop leaks far more than it uses.
TEST_F(ApiAligned, FreeingOverAlignedBlocksReturnsTheirMemory) {
  const std::vector<AlignedAlloc> allocs = all_aligned_allocs();
  const int rounds = static_cast<int>(scaled(2000, 200));
  size_t baseline = 0;
  for (int i = 0; i < rounds; i++) {
    const AlignedAlloc& a = allocs[static_cast<size_t>(i) % allocs.size()];
    void* p = a.alloc(heap_, 200000, 1 * MiB, 0);
    ASSERT_NE(p, nullptr) << a.name;
    ASSERT_TRUE(is_aligned(p, 1 * MiB)) << a.name;
    std::memset(p, 0x33, 200000);
    mi_free(p);
    if (i == 20) baseline = rss_bytes();
  }
  const size_t after = rss_bytes();
  EXPECT_LT(after, baseline + rss_tolerance(48 * MiB, baseline)) << "RSS grew from " << baseline / MiB << " MiB to " << after / MiB
                                        << " MiB over " << rounds << " aligned alloc/free pairs";
}
