// Sized frees (mi_free_size, C++ sized delete, C23 free_sized) under every
// policy: a correct program is never reported, and with canaries a wrong
// size is reported wherever the block lives. Regressions found by the
// fuzz harnesses (fuzz/): the balanced policy (invalid-free detection
// without canaries) reported correct sized frees of blocks that realloc
// had shrunk in place and of over-aligned objects; the secure policy let a
// wrong size pass in a page that also held an aligned block.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <new>

#include <shardguard/config.h>

namespace {

TEST(SizedFree, OfABlockShrunkInPlaceByReallocNamesItsNewSize) {
  void* p = mi_malloc(100);
  p = mi_realloc(p, 60);  // 60 >= half of the block: it stays where it is
  ASSERT_NE(p, nullptr);
  mi_free_size(p, 60);
}

TEST(SizedFree, OfAnAlignedAllocationNamesTheRequestedSize) {
  for (size_t alignment : {16, 64, 256, 4096, 8192, 65536}) {
    for (size_t size : {1, 40, 100, 3000, 70000}) {
      void* p = mi_malloc_aligned(size, alignment);
      ASSERT_NE(p, nullptr);
      mi_free_size_aligned(p, size, alignment);
    }
  }
}

struct alignas(64) OverAligned {
  char bytes[40];
};

TEST(SizedFree, OfAnOverAlignedCxxObjectIsNoFalseAlarm) {
  // With -fsized-deallocation: operator delete(void*, size_t, align_val_t).
  auto* one = new OverAligned;
  delete one;
  auto* many = new OverAligned[3];
  delete[] many;
}

// A fresh heap has one page per size class: the aligned blocks (most of
// them handed out at an interior pointer, which marks the page) and a plain
// block of their class share it.
void free_with_wrong_size_next_to_an_aligned_block() {
  mi_heap_t* heap = mi_heap_new();
  constexpr size_t kAlignment = 8192;
  for (int i = 0; i < 4; i++) (void)mi_heap_malloc_aligned(heap, 100, kAlignment);
  const size_t same_class = 100 + kAlignment;
  void* plain = mi_heap_malloc(heap, same_class);
  mi_free_size(plain, same_class + 8);
}

TEST(SizedFree, WithAWrongSizeIsReportedInAPageThatHoldsAlignedBlocks) {
  if constexpr (!shardguard::config::canaries) GTEST_SKIP() << "the exact size is known with canaries only";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(free_with_wrong_size_next_to_an_aligned_block(), "shardguard: sized free with the wrong size");
}

}  // namespace
