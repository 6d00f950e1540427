// Layer quarantine (secure/quarantine.h), through malloc and free: built for
// every library of the build whose policy has the layer.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <shardguard/config.h>

namespace {

constexpr size_t kHeld = shardguard::config::quarantine_blocks;

void* opaque(void* p) {
  __asm__ volatile("" : "+r"(p)::"memory");
  return p;
}

// Frees `n` blocks of `size`, allocated first: the quarantine moves on by n.
void push_through(size_t n, size_t size) {
  std::vector<void*> blocks(n);
  for (auto& b : blocks) b = opaque(malloc(size));
  for (void* b : blocks) free(b);
}

TEST(Quarantine, AFreedBlockIsNotHandedOutWhileHeld) {
  void* p = opaque(malloc(48));
  free(p);
  std::vector<void*> later;
  for (size_t i = 0; i < kHeld / 2; i++) {
    later.push_back(opaque(malloc(48)));
    EXPECT_NE(later.back(), p) << "handed out again after " << i << " allocations";
  }
  for (void* b : later) free(b);
}

TEST(Quarantine, AFreedBlockComesBackOnceEnoughFreesFollowed) {
  void* p = opaque(malloc(48));
  free(p);
  push_through(kHeld + 1, 48);
  bool back = false;
  std::vector<void*> later;
  for (size_t i = 0; i < 4 * kHeld && !back; i++) {
    later.push_back(opaque(malloc(48)));
    back = later.back() == p;
  }
  for (void* b : later) free(b);
  EXPECT_TRUE(back) << "the block never left the quarantine";
}

#if SHARDGUARD_HAS_FILL_CHECK
TEST(Quarantine, AHeldBlockReadsAsZeroes) {
  auto* p = static_cast<volatile uint8_t*>(opaque(malloc(64)));
  for (size_t i = 0; i < 64; i++) p[i] = 0xAB;
  free(const_cast<uint8_t*>(p));
  // Past the header words (link, free mark), the fill window is zero.
  for (size_t i = 16; i < 64 && i < shardguard::config::fill_bytes; i++) EXPECT_EQ(p[i], 0) << "byte " << i;
}

TEST(QuarantineDeathTest, AWriteIntoAHeldBlockIsReportedWhenItLeaves) {
  EXPECT_DEATH(
      {
        auto* p = static_cast<char*>(opaque(malloc(64)));
        free(p);
        p[20] = 'A';
        push_through(kHeld + 1, 64);
      },
      "shardguard: write after free \\(a freed block was modified\\) at 0x[0-9a-f]+ \\(size class [0-9]+");
}

TEST(QuarantineDeathTest, AnOverwrittenLinkOfAHeldBlockIsReportedWhenItLeaves) {
  static char target[64];
  EXPECT_DEATH(
      {
        void* p = opaque(malloc(64));
        free(p);
        *static_cast<void**>(p) = target;
        push_through(kHeld + 1, 64);
      },
      "shardguard: corrupted free-list link in a freed block at 0x[0-9a-f]+ \\(size class [0-9]+");
}

#endif  // SHARDGUARD_HAS_FILL_CHECK

#if SHARDGUARD_HAS_DOUBLE_FREE
TEST(QuarantineDeathTest, AFreeOfAHeldBlockIsADoubleFree) {
  EXPECT_DEATH(
      {
        void* p = opaque(malloc(100));
        free(p);
        push_through(kHeld / 2, 100);
        free(p);
      },
      "shardguard: double free at 0x[0-9a-f]+ \\(size class [0-9]+");
}
#endif  // SHARDGUARD_HAS_DOUBLE_FREE

TEST(Quarantine, HeldBlocksAreNotVisitedAsLive) {
  struct Visit {
    std::vector<void*> freed;
    size_t seen = 0;
  } v;
  for (int i = 0; i < 20; i++) v.freed.push_back(opaque(malloc(27000)));
  for (void* p : v.freed) free(p);
  mi_heap_visit_blocks(
      mi_heap_get_default(), true,
      [](const mi_heap_t*, const mi_heap_area_t*, void* block, size_t, void* arg) {
        auto* visit = static_cast<Visit*>(arg);
        for (void* p : visit->freed) visit->seen += block == p;
        return true;
      },
      &v);
  EXPECT_EQ(v.seen, 0u) << "visiting the heap settles the quarantine";
}

TEST(Quarantine, HeldBlocksAreCountedAsFreedByTheStatistics) {
  mi_heap_t* heap = mi_heap_new();
  std::vector<void*> blocks;
  for (int i = 0; i < 400; i++) blocks.push_back(mi_heap_malloc(heap, 128));
  EXPECT_FALSE(mi_unsafe_heap_page_is_under_utilized(heap, blocks[0], 10));
  for (size_t i = 1; i < blocks.size(); i++) mi_free(blocks[i]);  // held
  EXPECT_TRUE(mi_unsafe_heap_page_is_under_utilized(heap, blocks[0], 10));
  mi_free(blocks[0]);
  mi_heap_destroy(heap);
}

TEST(Quarantine, DestroyingAHeapWithHeldBlocksReleasesThem) {
  for (int round = 0; round < 50; round++) {
    mi_heap_t* heap = mi_heap_new();
    std::vector<void*> blocks;
    for (int i = 0; i < 500; i++) blocks.push_back(mi_heap_malloc(heap, 16 + i % 200));
    for (size_t i = 0; i < blocks.size(); i += 2) mi_free(blocks[i]);  // held
    mi_heap_destroy(heap);  // the held blocks' pages go with the heap
  }
  push_through(2 * kHeld, 48);  // whatever the quarantine held is still sound
}

TEST(Quarantine, ABlockBiggerThanTheByteBudgetIsNotHeld) {
  const size_t big = shardguard::config::quarantine_bytes + 1;
  void* p = opaque(malloc(big));
  free(p);
  size_t before = 0, after = 0;
  mi_process_info(nullptr, nullptr, nullptr, &before, nullptr, nullptr, nullptr, nullptr);
  void* q = opaque(malloc(big));
  mi_process_info(nullptr, nullptr, nullptr, &after, nullptr, nullptr, nullptr, nullptr);
  free(q);
  EXPECT_EQ(q, p) << "a huge block over the budget goes back (to the segment cache) at once";
}

}  // namespace
