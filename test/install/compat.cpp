// The mimalloc C++ API used the way mimalloc's documentation shows it,
// built against an installed shardguard: mimalloc-new-delete.h in this one
// file, STL allocators, mi_new. Exits 0 when every step behaves.
#include <mimalloc-new-delete.h>
#include <mimalloc.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "compat.cpp:%d: check failed: %s\n", __LINE__, #cond); \
      return 1;                                                                \
    }                                                                          \
  } while (0)

int main() {
  // global new/delete now come from shardguard
  auto* n = new int(42);
  CHECK(mi_is_in_heap_region(n) && *n == 42);
  delete n;
  std::string text(500, 'a');
  CHECK(mi_is_in_heap_region(text.data()));

  // STL containers on shardguard, and on a heap of their own
  std::vector<int, mi_stl_allocator<int>> v;
  for (int i = 0; i < 1000; i++) v.push_back(i);
  CHECK(v[999] == 999 && mi_is_in_heap_region(v.data()));

  std::map<int, int, std::less<int>, mi_heap_stl_allocator<std::pair<const int, int>>> m;
  for (int i = 0; i < 100; i++) m[i] = i * i;
  CHECK(m[9] == 81);

  {
    mi_heap_destroy_stl_allocator<int> arena_alloc;
    std::vector<int, mi_heap_destroy_stl_allocator<int>> scratch(arena_alloc);
    for (int i = 0; i < 10000; i++) scratch.push_back(i);
    CHECK(scratch.back() == 9999);
  }  // the whole heap goes at once

  // mi_new: C++ out-of-memory semantics
  bool threw = false;
  try {
    void* p = mi_new(SIZE_MAX / 2);
    mi_free(p);
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  CHECK(threw);
  CHECK(mi_new_nothrow(SIZE_MAX / 2) == nullptr);
  void* aligned = mi_new_aligned(64, 256);
  CHECK(reinterpret_cast<std::uintptr_t>(aligned) % 256 == 0);
  mi_free(aligned);

  std::printf("compat.cpp ok (mimalloc API %d)\n", mi_version());
  return 0;
}
