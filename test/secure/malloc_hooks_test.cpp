// Layer malloc_hooks (secure/malloc_hooks.h): the sanitizer hook interface
// libFuzzer uses, built for every library of the build whose policy has it.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>

extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, size_t),
                                                          void (*free_hook)(const volatile void*));

namespace {

struct Seen {
  const volatile void* malloced = nullptr;
  size_t size = 0;
  const volatile void* freed = nullptr;
  int mallocs = 0;
  int frees = 0;
};
Seen seen;

void on_malloc(const volatile void* p, size_t size) {
  seen.malloced = p;
  seen.size = size;
  seen.mallocs++;
}
void on_free(const volatile void* p) {
  seen.freed = p;
  seen.frees++;
}

void* opaque(void* p) {
  __asm__ volatile("" : "+r"(p)::"memory");
  return p;
}

class MallocHooks : public testing::Test {
 protected:
  void SetUp() override {
    seen = Seen{};
    ASSERT_NE(__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free), 0);
  }
  void TearDown() override { __sanitizer_install_malloc_and_free_hooks(nullptr, nullptr); }
};

TEST_F(MallocHooks, EveryMallocIsReportedWithItsPointerAndRequestedSize) {
  for (size_t size : {1, 100, 5000, 300000, 5 << 20}) {
    void* p = opaque(malloc(size));
    EXPECT_EQ(seen.malloced, p);
    EXPECT_EQ(seen.size, size);
    free(p);
  }
  EXPECT_EQ(seen.mallocs, 5);
}

TEST_F(MallocHooks, EveryFreeIsReportedWithItsPointer) {
  void* p = opaque(malloc(48));
  free(p);
  EXPECT_EQ(seen.freed, p);
  EXPECT_EQ(seen.frees, 1);
}

TEST_F(MallocHooks, CallocAndReallocAreReportedToo) {
  void* p = opaque(calloc(3, 40));
  EXPECT_EQ(seen.size, 120u);
  void* q = opaque(realloc(p, 100000));  // moves: a malloc and a free
  EXPECT_EQ(seen.malloced, q);
  EXPECT_EQ(seen.size, 100000u);
  EXPECT_EQ(seen.freed, p);
  free(q);
}

TEST_F(MallocHooks, AHookMayAllocate) {
  __sanitizer_install_malloc_and_free_hooks(
      [](const volatile void*, size_t size) {
        if (size != 7) free(opaque(malloc(7)));
      },
      nullptr);
  free(opaque(malloc(64)));
}

TEST(MallocHooksRemoved, NothingIsReportedOnceTheHooksAreRemoved) {
  seen = Seen{};
  __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
  __sanitizer_install_malloc_and_free_hooks(nullptr, nullptr);
  free(opaque(malloc(48)));
  EXPECT_EQ(seen.mallocs, 0);
  EXPECT_EQ(seen.frees, 0);
}

}  // namespace
