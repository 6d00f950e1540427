// SHARDGUARD_TRACK=asan: AddressSanitizer reports a misuse of a block from
// the mi_* API at the faulting access, and correct use stays silent.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <cstdint>
#include <cstring>

namespace {

// Keeps the compiler from reasoning about the accesses.
template <typename T>
T* opaque(T* p) {
  __asm__ volatile("" : "+r"(p)::"memory");
  return p;
}

constexpr const char* kPoisoned = "AddressSanitizer: use-after-poison";

TEST(TrackAsan, ReadOfAFreedBlockIsReported) {
  auto* p = opaque(static_cast<volatile char*>(mi_malloc(40)));
  mi_free(const_cast<char*>(p));
  EXPECT_DEATH((void)p[16], kPoisoned);
}

TEST(TrackAsan, WriteOneBytePastTheRequestIsReported) {
  auto* p = opaque(static_cast<volatile char*>(mi_malloc(40)));
  EXPECT_DEATH(p[40] = 1, kPoisoned);
  mi_free(const_cast<char*>(p));
}

TEST(TrackAsan, ReadOfABlockNeverHandedOutIsReported) {
  mi_heap_t* heap = mi_heap_new();
  auto* p = opaque(static_cast<volatile char*>(mi_heap_malloc(heap, 64)));
  // Its page's next blocks are free, fresh ones.
  EXPECT_DEATH((void)p[64 * 3], kPoisoned);
  mi_heap_destroy(heap);
}

TEST(TrackAsan, ReadOfABlockOfADestroyedHeapIsReported) {
  mi_heap_t* heap = mi_heap_new();
  auto* p = opaque(static_cast<volatile char*>(mi_heap_malloc(heap, 64)));
  mi_heap_destroy(heap);
  EXPECT_DEATH((void)p[0], kPoisoned);
}

TEST(TrackAsan, EveryRequestedByteIsUsable) {
  for (size_t size : {1, 7, 8, 13, 64, 1000, 70000, 3 << 20}) {
    auto* p = static_cast<char*>(mi_malloc(size));
    memset(p, 0x5a, size);
    mi_free(p);
  }
}

TEST(TrackAsan, TheUsableSizeIsUsableOnceAskedFor) {
  auto* p = static_cast<char*>(mi_malloc(20));
  const size_t usable = mi_usable_size(p);
  ASSERT_GE(usable, 20u);
  memset(p, 1, usable);
  mi_free(p);
}

TEST(TrackAsan, ReallocInPlaceOpensTheGrownBytesAndKeepsTheOld) {
  auto* p = static_cast<char*>(mi_malloc(100));
  memset(p, 3, 100);
  auto* q = static_cast<char*>(mi_realloc(p, 110));
  for (int i = 0; i < 100; i++) ASSERT_EQ(q[i], 3);
  memset(q, 4, 110);
  mi_free(q);
}

TEST(TrackAsan, ReallocThatMovesCopiesWithoutAReport) {
  auto* p = static_cast<char*>(mi_malloc(24));
  memset(p, 7, 24);
  auto* q = static_cast<char*>(mi_realloc(p, 5000));
  for (int i = 0; i < 24; i++) ASSERT_EQ(q[i], 7);
  mi_free(q);
}

TEST(TrackAsan, CallocAndAlignedBlocksAreWhollyUsable) {
  auto* z = static_cast<uint8_t*>(mi_calloc(10, 30));
  for (int i = 0; i < 300; i++) ASSERT_EQ(z[i], 0);
  mi_free(z);
  auto* a = static_cast<char*>(mi_malloc_aligned(200, 256));
  memset(a, 9, 200);
  EXPECT_DEATH(opaque(a)[200] = 1, kPoisoned);
  mi_free(a);
}

}  // namespace
