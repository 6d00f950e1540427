// The libc and C++ allocation entry points that libshardguard exports when it
// is built with SHARDGUARD_OVERRIDE: C/POSIX semantics and C++ operator rules.
// Built with -fno-builtin so the compiler does not fold or elide the calls.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <dlfcn.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "shardguard/config.h"
#include "test_util.h"

using namespace sgtest;

namespace {

constexpr size_t kPtrdiffMaxPlus1 = static_cast<size_t>(PTRDIFF_MAX) + 1;
const std::vector<size_t> kImpossible = {SIZE_MAX, SIZE_MAX - 4095, kPtrdiffMaxPlus1};

// Path of the shared object that defines `symbol` in the global scope.
std::string defining_object(const char* symbol) {
  void* addr = dlsym(RTLD_DEFAULT, symbol);
  if (addr == nullptr) return "(not found)";
  Dl_info info{};
  if (dladdr(addr, &info) == 0 || info.dli_fname == nullptr) return "(unknown)";
  return info.dli_fname;
}

bool from_shardguard(const char* symbol) { return defining_object(symbol).find("shardguard") != std::string::npos; }

}  // namespace

// ---------------------------------------------------------------- which malloc is in use

TEST(OverrideC, LibcAllocationSymbolsResolveToShardguard) {
  for (const char* sym : {"malloc", "free", "calloc", "realloc", "posix_memalign", "aligned_alloc", "memalign",
                          "valloc", "pvalloc", "reallocarray", "malloc_usable_size"}) {
    EXPECT_TRUE(from_shardguard(sym)) << sym << " is defined by " << defining_object(sym);
  }
}

TEST(OverrideC, MallocBlocksAreShardguardBlocks) {
  void* p = malloc(opaque<size_t>(100));
  ASSERT_NE(p, nullptr);
  EXPECT_GE(mi_usable_size(p), 100u) << "mi_usable_size does not recognise a malloc block";
  free(p);
}

TEST(OverrideC, MallocAndMiMallocBlocksAreInterchangeable) {
  for (size_t size : {size_t{1}, size_t{100}, size_t{5000}, size_t{300000}, size_t{20 * MiB}}) {
    void* a = malloc(size);
    void* b = mi_malloc(size);
    void* c = calloc(1, size);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    ASSERT_NE(c, nullptr);
    fill_pattern(a, size, 1);
    fill_pattern(b, size, 2);
    // realloc of a mi_malloc block, mi_realloc of a malloc block
    void* b2 = realloc(b, size * 2);
    void* a2 = mi_realloc(a, size * 2);
    ASSERT_NE(a2, nullptr);
    ASSERT_NE(b2, nullptr);
    EXPECT_EQ(check_pattern(a2, size, 1), npos);
    EXPECT_EQ(check_pattern(b2, size, 2), npos);
    mi_free(a2);
    free(b2);
    mi_free(c);
  }
}

// ---------------------------------------------------------------- malloc / calloc / realloc

TEST(OverrideC, MallocZeroReturnsAUniqueFreeablePointer) {
  void* a = malloc(opaque<size_t>(0));
  void* b = malloc(opaque<size_t>(0));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  free(a);
  free(b);
}

TEST(OverrideC, MallocOfImpossibleSizeReturnsNullWithEnomem) {
  for (size_t size : kImpossible) {
    errno = 0;
    EXPECT_EQ(malloc(opaque(size)), nullptr) << "size " << size;
    EXPECT_EQ(errno, ENOMEM) << "size " << size;
  }
}

TEST(OverrideC, MallocReturns16ByteAlignedBlocksOfTheRequestedSize) {
  for (size_t size : size_ladder<std::vector<size_t>>(4 * MiB)) {
    void* p = malloc(size);
    ASSERT_NE(p, nullptr) << "size " << size;
    EXPECT_GE(malloc_usable_size(p), size);
    if (size >= 16) {
      EXPECT_TRUE(is_aligned(p, 16)) << "size " << size << " " << p;
    }
    fill_pattern(p, size, size);
    EXPECT_EQ(check_pattern(p, size, size), npos);
    free(p);
  }
}

TEST(OverrideC, FreeOfNullIsANoOp) {
  free(nullptr);
  void* p = malloc(8);
  ASSERT_NE(p, nullptr);
  free(p);
}

TEST(OverrideC, CallocReturnsZeroedMemoryWhenReusingDirtyBlocks) {
  for (size_t size : {size_t{8}, size_t{100}, size_t{4000}, size_t{100000}, size_t{3 * MiB}}) {
    std::vector<void*> blocks;
    for (int i = 0; i < 20; i++) {
      void* p = malloc(size);
      ASSERT_NE(p, nullptr);
      std::memset(p, 0xAB, malloc_usable_size(p));
      blocks.push_back(p);
    }
    for (void* p : blocks) free(p);
    for (int i = 0; i < 20; i++) {
      void* q = calloc(size / 4, 4);
      ASSERT_NE(q, nullptr);
      EXPECT_EQ(first_nonzero(q, size / 4 * 4), npos) << "size " << size;
      blocks[i] = q;
    }
    for (void* q : blocks) free(q);
  }
}

TEST(OverrideC, CallocWithOverflowingCountTimesSizeReturnsNullWithEnomem) {
  const std::pair<size_t, size_t> cases[] = {
      {SIZE_MAX / 2 + 1, 2}, {size_t{1} << 32, size_t{1} << 32}, {SIZE_MAX, SIZE_MAX}, {3, SIZE_MAX / 3 + 1}};
  for (auto [count, size] : cases) {
    errno = 0;
    EXPECT_EQ(calloc(opaque(count), opaque(size)), nullptr) << count << " x " << size;
    EXPECT_EQ(errno, ENOMEM) << count << " x " << size;
  }
}

TEST(OverrideC, ReallocPreservesContentsWhenGrowingAndShrinking) {
  const std::vector<size_t> chain = {10, 1000, 100000, 40 * MiB, 500, 3};
  size_t cur = chain[0];
  void* p = malloc(cur);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, cur, 8);
  for (size_t i = 1; i < chain.size(); i++) {
    void* q = realloc(p, chain[i]);
    ASSERT_NE(q, nullptr);
    const size_t keep = std::min(cur, chain[i]);
    ASSERT_EQ(check_pattern(q, keep, 8), npos) << cur << " -> " << chain[i];
    fill_pattern_range(q, keep, chain[i], 8);
    p = q;
    cur = chain[i];
  }
  free(p);
}

TEST(OverrideC, ReallocOfNullActsAsMalloc) {
  void* p = realloc(nullptr, opaque<size_t>(300));
  ASSERT_NE(p, nullptr);
  EXPECT_GE(malloc_usable_size(p), 300u);
  free(p);
}

// A failed realloc leaves the block valid; GCC 12 cannot know that it failed.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuse-after-free"
#endif

TEST(OverrideC, ReallocToImpossibleSizeReturnsNullWithEnomemAndKeepsTheBlock) {
  void* p = malloc(100);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 100, 6);
  for (size_t size : kImpossible) {
    errno = 0;
    EXPECT_EQ(realloc(p, opaque(size)), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    EXPECT_EQ(check_pattern(p, 100, 6), npos);
  }
  free(p);
}

TEST(OverrideC, ReallocarrayResizesToCountTimesSize) {
  auto* p = static_cast<uint32_t*>(reallocarray(nullptr, 10, sizeof(uint32_t)));
  ASSERT_NE(p, nullptr);
  for (uint32_t i = 0; i < 10; i++) p[i] = i * 3;
  p = static_cast<uint32_t*>(reallocarray(p, 100000, sizeof(uint32_t)));
  ASSERT_NE(p, nullptr);
  EXPECT_GE(malloc_usable_size(p), 100000 * sizeof(uint32_t));
  for (uint32_t i = 0; i < 10; i++) EXPECT_EQ(p[i], i * 3);
  free(p);
}

TEST(OverrideC, ReallocarrayWithOverflowReturnsNullWithEnomemAndKeepsTheBlock) {
  void* p = malloc(64);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 64, 12);
  errno = 0;
  EXPECT_EQ(reallocarray(p, opaque(SIZE_MAX / 2 + 1), opaque<size_t>(2)), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_EQ(check_pattern(p, 64, 12), npos);
  free(p);
}

TEST(OverrideC, MallocUsableSizeIsAtLeastTheRequestedSize) {
  for (size_t size : {size_t{1}, size_t{24}, size_t{1000}, size_t{70000}, size_t{5 * MiB}}) {
    void* p = malloc(size);
    ASSERT_NE(p, nullptr);
    const size_t usable = malloc_usable_size(p);
    EXPECT_GE(usable, size);
    EXPECT_EQ(usable, mi_usable_size(p));
    std::memset(p, 0x3C, usable);  // all of it is ours
    free(p);
  }
  EXPECT_EQ(malloc_usable_size(nullptr), 0u);
}

// ---------------------------------------------------------------- aligned entry points

TEST(OverrideC, PosixMemalignReturnsABlockWithTheRequestedAlignment) {
  for (size_t alignment = sizeof(void*); alignment <= 1 * MiB; alignment *= 2) {
    for (size_t size : {size_t{1}, size_t{100}, size_t{5000}, size_t{300000}}) {
      void* p = nullptr;
      ASSERT_EQ(posix_memalign(&p, alignment, size), 0) << "alignment " << alignment << " size " << size;
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(is_aligned(p, alignment)) << "alignment " << alignment << " size " << size;
      EXPECT_GE(malloc_usable_size(p), size);
      std::memset(p, 1, size);
      free(p);
    }
  }
}

TEST(OverrideC, PosixMemalignRejectsABadAlignmentWithEinvalAndLeavesTheOutPointer) {
  // not a power of two, or not a multiple of sizeof(void*)
  for (size_t alignment : {size_t{0}, size_t{1}, size_t{2}, size_t{4}, size_t{3}, size_t{12}, size_t{24},
                           size_t{48}, size_t{1000}, size_t{4096 + 8}}) {
    void* sentinel = reinterpret_cast<void*>(uintptr_t{0x1234});
    void* out = sentinel;
    EXPECT_EQ(posix_memalign(&out, opaque(alignment), 64), EINVAL) << "alignment " << alignment;
    EXPECT_EQ(out, sentinel) << "alignment " << alignment;
  }
}

TEST(OverrideC, PosixMemalignOfImpossibleSizeReturnsEnomemAndLeavesTheOutPointer) {
  for (size_t size : kImpossible) {
    void* sentinel = reinterpret_cast<void*>(uintptr_t{0x5678});
    void* out = sentinel;
    EXPECT_EQ(posix_memalign(&out, 64, opaque(size)), ENOMEM) << "size " << size;
    EXPECT_EQ(out, sentinel) << "size " << size;
  }
}

TEST(OverrideC, AlignedAllocReturnsABlockWithTheRequestedAlignment) {
  for (size_t alignment = 1; alignment <= 1 * MiB; alignment *= 2) {
    // a multiple of the alignment (C11) and not one (accepted like glibc and mimalloc)
    for (size_t size : {alignment * 3, alignment + 1}) {
      void* p = aligned_alloc(alignment, size);
      ASSERT_NE(p, nullptr) << "alignment " << alignment << " size " << size;
      EXPECT_TRUE(is_aligned(p, alignment)) << "alignment " << alignment;
      EXPECT_GE(malloc_usable_size(p), size);
      std::memset(p, 1, size);
      free(p);
    }
  }
}

TEST(OverrideC, AlignedAllocRejectsANonPowerOfTwoAlignment) {
  for (size_t alignment : {size_t{3}, size_t{24}, size_t{1000}}) {
    void* p = aligned_alloc(opaque(alignment), alignment * 4);
    EXPECT_EQ(p, nullptr) << "alignment " << alignment;
    if (p) free(p);
  }
}

TEST(OverrideC, AlignedAllocOfImpossibleSizeReturnsNullWithEnomem) {
  errno = 0;
  EXPECT_EQ(aligned_alloc(64, opaque(SIZE_MAX - 63)), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(OverrideC, MemalignReturnsABlockWithTheRequestedAlignment) {
  for (size_t alignment = 1; alignment <= 1 * MiB; alignment *= 2) {
    void* p = memalign(alignment, 1000);
    ASSERT_NE(p, nullptr) << "alignment " << alignment;
    EXPECT_TRUE(is_aligned(p, alignment)) << "alignment " << alignment;
    EXPECT_GE(malloc_usable_size(p), 1000u);
    std::memset(p, 1, 1000);
    free(p);
  }
}

TEST(OverrideC, VallocReturnsPageAlignedBlocks) {
  const size_t page = page_size();
  for (size_t size : {size_t{1}, size_t{100}, page, page + 1, size_t{1 * MiB}}) {
    void* p = valloc(size);
    ASSERT_NE(p, nullptr) << "size " << size;
    EXPECT_TRUE(is_aligned(p, page)) << "size " << size;
    EXPECT_GE(malloc_usable_size(p), size);
    std::memset(p, 1, size);
    free(p);
  }
}

TEST(OverrideC, PvallocReturnsPageAlignedBlocksRoundedUpToWholePages) {
  const size_t page = page_size();
  for (size_t size : {size_t{1}, size_t{100}, page - 1, page, page + 1, 3 * page + 5}) {
    void* p = pvalloc(size);
    ASSERT_NE(p, nullptr) << "size " << size;
    EXPECT_TRUE(is_aligned(p, page)) << "size " << size;
    const size_t rounded = (size + page - 1) / page * page;
    EXPECT_GE(malloc_usable_size(p), rounded) << "size " << size;
    std::memset(p, 1, rounded);  // the whole rounded size is usable
    free(p);
  }
}

TEST(OverrideC, PvallocOfImpossibleSizeReturnsNullWithEnomem) {
  errno = 0;
  EXPECT_EQ(pvalloc(opaque(SIZE_MAX - 10)), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

// ---------------------------------------------------------------- libc functions that allocate

TEST(OverrideC, StrdupAndStrndupResultsAreShardguardBlocksFreeableWithFree) {
  char* a = strdup("the quick brown fox");
  ASSERT_NE(a, nullptr);
  EXPECT_STREQ(a, "the quick brown fox");
  EXPECT_GE(mi_usable_size(a), std::strlen(a) + 1);
  char* b = strndup("the quick brown fox", 9);
  ASSERT_NE(b, nullptr);
  EXPECT_STREQ(b, "the quick");
  EXPECT_GE(mi_usable_size(b), 10u);
  free(a);
  free(b);
}

// ---------------------------------------------------------------- C++ operators

namespace {

constexpr std::align_val_t kAl{256};

struct alignas(256) OverAligned {
  char bytes[300];
};

struct Counted {
  static inline int alive = 0;
  uint64_t value;
  explicit Counted(uint64_t v = 7) : value(v) { alive++; }
  ~Counted() { alive--; }
};

}  // namespace

TEST(OverrideCxx, OperatorNewSymbolsResolveToShardguard) {
  // new(size), new[](size), delete(p), delete[](p), new(size, align), delete(p, size)
  for (const char* sym : {"_Znwm", "_Znam", "_ZdlPv", "_ZdaPv", "_ZnwmSt11align_val_t", "_ZdlPvm",
                          "_ZnwmRKSt9nothrow_t", "_ZdlPvSt11align_val_t"}) {
    EXPECT_TRUE(from_shardguard(sym)) << sym << " is defined by " << defining_object(sym);
  }
}

TEST(OverrideCxx, NewAndDeleteUseShardguardBlocks) {
  auto* c = new Counted(42);
  EXPECT_EQ(c->value, 42u);
  EXPECT_EQ(Counted::alive, 1);
  EXPECT_GE(mi_usable_size(c), sizeof(Counted));
  delete c;
  EXPECT_EQ(Counted::alive, 0);

  auto* arr = new Counted[100];
  EXPECT_EQ(Counted::alive, 100);
  EXPECT_GE(mi_usable_size(reinterpret_cast<char*>(arr) - sizeof(size_t)), 100 * sizeof(Counted));
  delete[] arr;
  EXPECT_EQ(Counted::alive, 0);

  char* bytes = new char[opaque<size_t>(1000)];
  EXPECT_GE(mi_usable_size(bytes), 1000u);
  std::memset(bytes, 1, 1000);
  delete[] bytes;
}

TEST(OverrideCxx, NewOfImpossibleSizeThrowsBadAlloc) {
  const size_t huge = opaque(kPtrdiffMaxPlus1);
  EXPECT_THROW(escape(::operator new(huge)), std::bad_alloc);
  EXPECT_THROW(escape(::operator new[](huge)), std::bad_alloc);
  EXPECT_THROW(escape(::operator new(huge, std::align_val_t(64))), std::bad_alloc);
  EXPECT_THROW(escape(::operator new[](huge, std::align_val_t(4096))), std::bad_alloc);
  EXPECT_THROW(
      {
        char* p = new char[huge];
        escape(p);
        delete[] p;
      },
      std::bad_alloc);
}

TEST(OverrideCxx, NothrowNewReturnsNullptrOnFailure) {
  const size_t huge = opaque(kPtrdiffMaxPlus1);
  EXPECT_EQ(::operator new(huge, std::nothrow), nullptr);
  EXPECT_EQ(::operator new[](huge, std::nothrow), nullptr);
  EXPECT_EQ(::operator new(huge, std::align_val_t(64), std::nothrow), nullptr);
  EXPECT_EQ(::operator new[](huge, std::align_val_t(64), std::nothrow), nullptr);
  char* p = new (std::nothrow) char[huge];
  EXPECT_EQ(p, nullptr);
  delete[] p;
}

TEST(OverrideCxx, NothrowNewSucceedsForOrdinarySizes) {
  void* a = ::operator new(100, std::nothrow);
  void* b = ::operator new[](100, std::nothrow);
  void* c = ::operator new(100, std::align_val_t(512), std::nothrow);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(is_aligned(c, 512));
  ::operator delete(a, std::nothrow);
  ::operator delete[](b, std::nothrow);
  ::operator delete(c, std::align_val_t(512), std::nothrow);
}

TEST(OverrideCxx, AlignedNewReturnsAlignedMemory) {
  auto* one = new OverAligned;
  EXPECT_TRUE(is_aligned(one, 256)) << one;
  std::memset(one->bytes, 1, sizeof one->bytes);
  delete one;

  auto* many = new OverAligned[7];
  EXPECT_TRUE(is_aligned(many, 256)) << many;
  for (auto& o : std::vector<OverAligned*>{many, many + 6}) EXPECT_TRUE(is_aligned(o, 256));
  std::memset(many, 2, 7 * sizeof(OverAligned));
  delete[] many;

  for (size_t alignment = 16; alignment <= 1 * MiB; alignment *= 2) {
    void* p = ::operator new(100, std::align_val_t(alignment));
    EXPECT_TRUE(is_aligned(p, alignment)) << "alignment " << alignment;
    std::memset(p, 3, 100);
    ::operator delete(p, std::align_val_t(alignment));
    void* q = ::operator new[](5000, std::align_val_t(alignment));
    EXPECT_TRUE(is_aligned(q, alignment)) << "alignment " << alignment;
    std::memset(q, 4, 5000);
    ::operator delete[](q, 5000, std::align_val_t(alignment));
  }
}

// Every delete form must really release the block: a no-op delete would make
// these loops grow the process by hundreds of MiB.
TEST(OverrideCxx, EveryDeleteFormReleasesItsBlock) {
  struct Form {
    const char* name;
    std::function<void*(size_t)> alloc;
    std::function<void(void*, size_t)> release;
  };
  const std::vector<Form> forms = {
      {"delete(p)", [](size_t n) { return ::operator new(n); }, [](void* p, size_t) { ::operator delete(p); }},
      {"delete[](p)", [](size_t n) { return ::operator new[](n); }, [](void* p, size_t) { ::operator delete[](p); }},
      {"delete(p, size)", [](size_t n) { return ::operator new(n); },
       [](void* p, size_t n) { ::operator delete(p, n); }},
      {"delete[](p, size)", [](size_t n) { return ::operator new[](n); },
       [](void* p, size_t n) { ::operator delete[](p, n); }},
      {"delete(p, align)", [](size_t n) { return ::operator new(n, kAl); },
       [](void* p, size_t) { ::operator delete(p, kAl); }},
      {"delete[](p, align)", [](size_t n) { return ::operator new[](n, kAl); },
       [](void* p, size_t) { ::operator delete[](p, kAl); }},
      {"delete(p, size, align)", [](size_t n) { return ::operator new(n, kAl); },
       [](void* p, size_t n) { ::operator delete(p, n, kAl); }},
      {"delete[](p, size, align)", [](size_t n) { return ::operator new[](n, kAl); },
       [](void* p, size_t n) { ::operator delete[](p, n, kAl); }},
      {"delete(p, nothrow)", [](size_t n) { return ::operator new(n, std::nothrow); },
       [](void* p, size_t) { ::operator delete(p, std::nothrow); }},
      {"delete(p, align, nothrow)", [](size_t n) { return ::operator new(n, kAl, std::nothrow); },
       [](void* p, size_t) { ::operator delete(p, kAl, std::nothrow); }},
  };
  constexpr size_t kSize = 8000;
  const int iterations = static_cast<int>(scaled(40000, 10000));
  for (const Form& f : forms) {
    const size_t before = rss_bytes();
    for (int i = 0; i < iterations; i++) {
      void* p = f.alloc(kSize);
      ASSERT_NE(p, nullptr) << f.name;
      std::memset(p, 0x21, kSize);
      f.release(p, kSize);
    }
    const size_t after = rss_bytes();
    EXPECT_LT(after, before + rss_tolerance(64 * MiB, before)) << f.name << ": RSS grew from " << before / MiB << " MiB to "
                                        << after / MiB << " MiB";
  }
}

namespace {
int g_handler_calls = 0;
void uninstalling_handler() {
  g_handler_calls++;
  std::set_new_handler(nullptr);
}

rlim_t g_restore_limit = RLIM_INFINITY;
void raise_limit_handler() {
  g_handler_calls++;
  struct rlimit rl;
  getrlimit(RLIMIT_AS, &rl);
  rl.rlim_cur = g_restore_limit;
  setrlimit(RLIMIT_AS, &rl);
}

size_t virtual_size_bytes() {
  int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  char buf[128] = {};
  ssize_t n = fd >= 0 ? ::read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) ::close(fd);
  return n > 0 ? std::strtoull(buf, nullptr, 10) * page_size() : 0;
}
}  // namespace

TEST(OverrideCxx, NewHandlerIsCalledBeforeBadAllocIsThrown) {
  g_handler_calls = 0;
  std::new_handler old = std::set_new_handler(uninstalling_handler);
  EXPECT_THROW(escape(::operator new(opaque(kPtrdiffMaxPlus1))), std::bad_alloc);
  EXPECT_EQ(g_handler_calls, 1);
  std::set_new_handler(old);
}

TEST(OverrideCxx, NewHandlerIsCalledForAlignedAndArrayNew) {
  for (int form = 0; form < 3; form++) {
    g_handler_calls = 0;
    std::new_handler old = std::set_new_handler(uninstalling_handler);
    const size_t huge = opaque(kPtrdiffMaxPlus1);
    switch (form) {
      case 0: EXPECT_THROW(escape(::operator new[](huge)), std::bad_alloc); break;
      case 1: EXPECT_THROW(escape(::operator new(huge, std::align_val_t(128))), std::bad_alloc); break;
      default: EXPECT_THROW(escape(::operator new[](huge, std::align_val_t(128))), std::bad_alloc); break;
    }
    EXPECT_EQ(g_handler_calls, 1) << "form " << form;
    std::set_new_handler(old);
  }
}

// The handler frees up memory (here: lifts an address-space limit) and the
// retried allocation then succeeds instead of throwing.
TEST(OverrideCxx, NewHandlerThatMakesMemoryAvailableLetsNewSucceed) {
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_AS, &saved), 0);
  g_restore_limit = saved.rlim_cur;
  const size_t request = size_t{4} << 30;  // more than any reservation the allocator keeps
  g_handler_calls = 0;
  std::new_handler old = std::set_new_handler(raise_limit_handler);
  struct rlimit tight = saved;
  tight.rlim_cur = virtual_size_bytes() + 64 * MiB;
  ASSERT_EQ(setrlimit(RLIMIT_AS, &tight), 0);
  void* p = nullptr;
  try {
    p = ::operator new(opaque(request));
  } catch (const std::bad_alloc&) {
    p = nullptr;
  }
  setrlimit(RLIMIT_AS, &saved);
  std::set_new_handler(old);
  EXPECT_GE(g_handler_calls, 1) << "new did not call the handler when memory ran out";
  ASSERT_NE(p, nullptr) << "new did not retry after the handler made memory available";
  static_cast<char*>(p)[0] = 1;
  static_cast<char*>(p)[request - 1] = 1;
  ::operator delete(p);
}

TEST(OverrideCxx, StandardContainersRunOnShardguard) {
  std::vector<std::string> v;
  for (int i = 0; i < 10000; i++) v.push_back(std::string(static_cast<size_t>(i % 100), 'a' + i % 26));
  EXPECT_GE(mi_usable_size(v.data()), v.size() * sizeof(std::string));
  size_t total = 0;
  for (const auto& s : v) total += s.size();
  EXPECT_EQ(total, 495000u);
}

// ---------------------------------------------------------------- glibc's other names and calls

extern "C" {
void* __libc_malloc(size_t);
void __libc_free(void*);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void* __libc_valloc(size_t);
void* __libc_pvalloc(size_t);
void cfree(void*);
void free_sized(void*, size_t);
void free_aligned_sized(void*, size_t, size_t);
}

TEST(OverrideGlibc, GlibcInternalAndC23NamesResolveToShardguard) {
  for (const char* sym : {"__libc_malloc", "__libc_free", "__libc_calloc", "__libc_realloc", "__libc_memalign",
                          "__libc_valloc", "__libc_pvalloc", "__posix_memalign", "__libc_mallinfo", "__libc_mallopt",
                          "cfree", "free_sized", "free_aligned_sized", "malloc_trim", "malloc_stats", "mallinfo",
                          "mallinfo2", "malloc_info", "mallopt"}) {
    EXPECT_TRUE(from_shardguard(sym)) << sym << " is defined by " << defining_object(sym);
  }
}

TEST(OverrideGlibc, LibcInternalNamesServeShardguardBlocks) {
  void* a = __libc_malloc(opaque<size_t>(300));
  ASSERT_NE(a, nullptr);
  EXPECT_GE(mi_usable_size(a), 300u);
  fill_pattern(a, 300, 31);
  a = __libc_realloc(a, opaque<size_t>(70000));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(check_pattern(a, 300, 31), npos);
  EXPECT_GE(mi_usable_size(a), 70000u);

  void* z = __libc_calloc(opaque<size_t>(100), 40);
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(first_nonzero(z, 4000), npos);
  void* m = __libc_memalign(opaque<size_t>(4096), 100);
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(is_aligned(m, 4096));
  void* v = __libc_valloc(opaque<size_t>(10));
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(is_aligned(v, page_size()));
  void* pv = __libc_pvalloc(opaque<size_t>(page_size() + 1));
  ASSERT_NE(pv, nullptr);
  EXPECT_GE(mi_usable_size(pv), 2 * page_size());
  for (void* p : {z, m, v, pv}) EXPECT_GT(mi_usable_size(p), 0u);
  __libc_free(a);
  __libc_free(z);
  __libc_free(m);
  free(v);
  mi_free(pv);
}

// Each alternative free must really release the block: a no-op would grow
// the process by hundreds of MiB over these loops.
TEST(OverrideGlibc, LibcFreeCfreeFreeSizedAndFreeAlignedSizedReleaseTheirBlocks) {
  struct Form {
    const char* name;
    std::function<void*(size_t)> alloc;
    std::function<void(void*, size_t)> release;
  };
  const std::vector<Form> forms = {
      {"__libc_free", [](size_t n) { return __libc_malloc(n); }, [](void* p, size_t) { __libc_free(p); }},
      {"cfree", [](size_t n) { return malloc(n); }, [](void* p, size_t) { cfree(p); }},
      {"free_sized", [](size_t n) { return malloc(n); }, [](void* p, size_t n) { free_sized(p, n); }},
      {"free_aligned_sized", [](size_t n) { return aligned_alloc(256, n); },
       [](void* p, size_t n) { free_aligned_sized(p, 256, n); }},
  };
  constexpr size_t kSize = 8000;
  const int iterations = static_cast<int>(scaled(40000, 10000));
  for (const Form& f : forms) {
    const size_t before = rss_bytes();
    for (int i = 0; i < iterations; i++) {
      void* p = f.alloc(kSize);
      ASSERT_NE(p, nullptr) << f.name;
      std::memset(p, 0x5A, kSize);
      f.release(p, kSize);
    }
    const size_t after = rss_bytes();
    EXPECT_LT(after, before + 64 * MiB) << f.name << ": RSS grew from " << before / MiB << " MiB to " << after / MiB
                                        << " MiB";
  }
}

TEST(OverrideGlibc, Mallinfo2CountsAHugeBlockWhileItLives) {
  const struct mallinfo2 before = mallinfo2();
  void* p = malloc(opaque<size_t>(64 * MiB));
  ASSERT_NE(p, nullptr);
  const struct mallinfo2 during = mallinfo2();
  EXPECT_EQ(during.hblks, before.hblks + 1);
  EXPECT_GE(during.arena, before.arena + 64 * MiB);
  EXPECT_GE(during.uordblks, before.uordblks + 64 * MiB) << "bytes in allocated blocks";
  EXPECT_GE(during.usmblks, during.uordblks) << "peak of the allocated bytes";
  EXPECT_EQ(during.fordblks, during.arena - during.uordblks);
  free(p);
  const struct mallinfo2 after = mallinfo2();
  EXPECT_EQ(after.hblks, before.hblks);
  EXPECT_LE(after.arena, during.arena - 64 * MiB);
  EXPECT_LE(after.uordblks, during.uordblks - 64 * MiB);
}

TEST(OverrideGlibc, MallinfoReportsTheNumbersOfMallinfo2) {
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; i++) blocks.push_back(malloc(1000));
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
  const struct mallinfo old = mallinfo();
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
  const struct mallinfo2 now = mallinfo2();
  EXPECT_GT(old.arena, 0);
  EXPECT_EQ(static_cast<size_t>(old.arena), now.arena);
  EXPECT_EQ(static_cast<size_t>(old.uordblks), now.uordblks);
  EXPECT_EQ(static_cast<size_t>(old.hblks), now.hblks);
  EXPECT_GT(now.ordblks, 0u) << "pages in use";
  for (void* p : blocks) free(p);
}

TEST(OverrideGlibc, MallocTrimGivesFreedMemoryBackToTheOsAndSaysSo) {
  malloc_trim(0);
  constexpr size_t kBlock = 1000, kBytes = 64 * MiB;
  std::vector<void*> blocks;
  for (size_t n = 0; n < kBytes; n += kBlock) {
    void* p = malloc(kBlock);
    ASSERT_NE(p, nullptr);
    std::memset(p, 0x77, kBlock);
    blocks.push_back(p);
  }
  const size_t full = rss_bytes();
  for (void* p : blocks) free(p);
  EXPECT_EQ(malloc_trim(0), 1) << "malloc_trim released nothing after 64 MiB were freed";
  const size_t trimmed = rss_bytes();
  EXPECT_LT(trimmed + kBytes / 2, full) << "RSS " << full / MiB << " MiB -> " << trimmed / MiB << " MiB";
}

TEST(OverrideGlibc, MallocTrimWithNothingToGiveBackReturns0) {
  malloc_trim(0);
  EXPECT_EQ(malloc_trim(0), 0);
}

TEST(OverrideGlibc, MallocInfoWritesXmlWithTheMappedBytes) {
  void* keep = malloc(opaque<size_t>(8 * MiB));
  char* text = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&text, &len);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(malloc_info(0, f), 0);
  fclose(f);
  const std::string xml(text, len);
  free(text);
  EXPECT_EQ(xml.rfind("<malloc version=", 0), 0u) << xml;
  EXPECT_NE(xml.find("</malloc>"), std::string::npos) << xml;
  const std::string tag = "<system type=\"current\" size=\"";
  const size_t at = xml.find(tag);
  ASSERT_NE(at, std::string::npos) << xml;
  EXPECT_GE(std::strtoull(xml.c_str() + at + tag.size(), nullptr, 10), 8 * MiB) << "the 8 MiB block is not counted";
  free(keep);
}

TEST(OverrideGlibc, MallocInfoRejectsNonZeroOptionsWithEinval) {
  errno = 0;
  EXPECT_EQ(malloc_info(1, stderr), -1);
  EXPECT_EQ(errno, EINVAL);
}

TEST(OverrideGlibc, MalloptAcceptsEveryGlibcParameterAndRejectsUnknownOnes) {
  for (int param : {M_MXFAST, M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD, M_MMAP_MAX, M_CHECK_ACTION, M_PERTURB,
                    M_ARENA_TEST, M_ARENA_MAX}) {
    EXPECT_EQ(mallopt(param, 1), 1) << "param " << param;
  }
  EXPECT_EQ(mallopt(12345, 1), 0);
  // Ignored parameters change nothing: a perturb byte would make fresh blocks non-zero.
  mallopt(M_PERTURB, 0xAA);
  void* p = calloc(1, 100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(first_nonzero(p, 100), npos);
  free(p);
}

TEST(OverrideGlibc, MallocStatsPrintsTheAllocatorStatisticsToStderr) {
  testing::internal::CaptureStderr();
  malloc_stats();
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("shardguard"), std::string::npos) << out;
}

// ---------------------------------------------------------------- blocks that are not ours

namespace {

// glibc's own malloc and free, reached through libc.so.6 itself (the global
// names are shardguard's): the blocks a program has when it allocated with
// glibc before shardguard took over.
struct GlibcAllocator {
  void* (*malloc)(size_t);
  void (*free)(void*);
};

GlibcAllocator glibc_allocator() {
  void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  GlibcAllocator g{};
  if (libc != nullptr) {
    g.malloc = reinterpret_cast<void* (*)(size_t)>(dlsym(libc, "malloc"));
    g.free = reinterpret_cast<void (*)(void*)>(dlsym(libc, "free"));
  }
  return g;
}

std::string pointer_text(const void* p) {
  char buf[32];
  snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

// Allocation and free keep working, and live blocks keep their contents.
void expect_heap_intact() {
  std::vector<void*> blocks;
  for (size_t i = 0; i < 2000; i++) {
    void* p = malloc(1 + i * 37 % 5000);
    ASSERT_NE(p, nullptr);
    fill_pattern(p, 1 + i * 37 % 5000, i);
    blocks.push_back(p);
  }
  for (size_t i = 0; i < blocks.size(); i++) {
    EXPECT_EQ(check_pattern(blocks[i], 1 + i * 37 % 5000, i), npos) << "block " << i;
    free(blocks[i]);
  }
}

}  // namespace

TEST(OverrideForeign, GlibcOwnMallocIsReachableForTheseTests) {
  const GlibcAllocator g = glibc_allocator();
  ASSERT_NE(g.malloc, nullptr);
  Dl_info info{};
  ASSERT_NE(dladdr(reinterpret_cast<void*>(g.malloc), &info), 0);
  EXPECT_NE(std::string(info.dli_fname).find("libc.so"), std::string::npos) << info.dli_fname;
}

// Fast build: the pointer is reported (one line) and left alone, a leak
// rather than a corruption. Hardened build (invalid-free layer): reported
// and the process aborts.
TEST(OverrideForeign, FreeOfAGlibcBlockIsReportedAndNeitherHeapIsTouched) {
  const GlibcAllocator g = glibc_allocator();
  ASSERT_NE(g.malloc, nullptr);
  auto* p = static_cast<unsigned char*>(g.malloc(200));
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 200, 5);
  if constexpr (shardguard::config::invalid_free) {
    EXPECT_DEATH(free(p), "shardguard");
  } else {
    testing::internal::CaptureStderr();
    free(p);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("shardguard"), std::string::npos) << err;
    EXPECT_NE(err.find(pointer_text(p)), std::string::npos) << err;
    EXPECT_EQ(check_pattern(p, 200, 5), npos) << "free wrote into a block it does not own";
  }
  expect_heap_intact();
  g.free(p);  // glibc's heap is intact too: its own free accepts the block
}

// realloc cannot know how many bytes a foreign block has, so it cannot
// copy: it fails like an invalid argument and leaves the block as it was.
TEST(OverrideForeign, ReallocOfAGlibcBlockFailsWithEinvalAndLeavesTheBlock) {
  const GlibcAllocator g = glibc_allocator();
  ASSERT_NE(g.malloc, nullptr);
  auto* p = static_cast<unsigned char*>(g.malloc(200));
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 200, 6);
  if constexpr (shardguard::config::invalid_free) {
    EXPECT_DEATH(escape(realloc(p, 400)), "shardguard");
  } else {
    testing::internal::CaptureStderr();
    errno = 0;
    void* q = realloc(p, opaque<size_t>(400));
    const int err_no = errno;
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(q, nullptr);
    EXPECT_EQ(err_no, EINVAL);
    EXPECT_NE(err.find(pointer_text(p)), std::string::npos) << err;
    EXPECT_EQ(check_pattern(p, 200, 6), npos);
  }
  expect_heap_intact();
  g.free(p);
}

TEST(OverrideForeign, MallocUsableSizeOfAGlibcBlockIsZero) {
  const GlibcAllocator g = glibc_allocator();
  ASSERT_NE(g.malloc, nullptr);
  void* p = g.malloc(100);
  ASSERT_NE(p, nullptr);
  if constexpr (shardguard::config::invalid_free) {
    EXPECT_DEATH(escape(reinterpret_cast<void*>(malloc_usable_size(p))), "shardguard");
  } else {
    EXPECT_EQ(malloc_usable_size(p), 0u);
  }
  g.free(p);
}

TEST(OverrideForeign, FreeOfStackAndStaticAddressesLeavesTheHeapIntact) {
  static char in_data[64];
  char on_stack[64];
  if constexpr (shardguard::config::invalid_free) {
    EXPECT_DEATH(free(opaque<void*>(on_stack)), "shardguard");
    EXPECT_DEATH(free(opaque<void*>(in_data)), "shardguard");
  } else {
    testing::internal::CaptureStderr();
    free(opaque<void*>(on_stack));
    free(opaque<void*>(in_data));
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find(pointer_text(on_stack)), std::string::npos) << err;
    EXPECT_NE(err.find(pointer_text(in_data)), std::string::npos) << err;
  }
  expect_heap_intact();
}
