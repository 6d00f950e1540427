// Behaviours of the layers that are not attacks: each holds in every build
// where its layer is on (hardening_test.cpp runs the ones of its build).
#pragma once
#include <mimalloc.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "attack_table.h"

namespace properties {

using attacks::Layer;

struct Property {
  const char* name;
  bool (*holds)();
  Layer layer;
};

// Blocks of a fresh page come in no particular order: in 128 allocations
// from a new heap, far fewer than all consecutive pairs are ascending.
inline bool fresh_blocks_come_in_random_order() {
  mi_heap_t* heap = mi_heap_new();
  uintptr_t prev = 0;
  int ascending = 0;
  for (int i = 0; i < 128; i++) {
    auto p = reinterpret_cast<uintptr_t>(mi_heap_malloc(heap, 48));
    if (i > 0 && p > prev) ascending++;
    prev = p;
  }
  mi_heap_destroy(heap);
  return ascending < 100;  // address order: 127; random order: about 64
}

// The same allocation sequence in two heaps does not give the same layout.
inline bool two_heaps_lay_out_the_same_sequence_differently() {
  mi_heap_t* a = mi_heap_new();
  mi_heap_t* b = mi_heap_new();
  int same_offsets = 0;
  auto* a0 = static_cast<char*>(mi_heap_malloc(a, 64));
  auto* b0 = static_cast<char*>(mi_heap_malloc(b, 64));
  for (int i = 0; i < 64; i++) {
    auto* pa = static_cast<char*>(mi_heap_malloc(a, 64));
    auto* pb = static_cast<char*>(mi_heap_malloc(b, 64));
    if (pa - a0 == pb - b0) same_offsets++;
  }
  mi_heap_destroy(a);
  mi_heap_destroy(b);
  return same_offsets < 32;
}

// The usable size of a block is the size requested: the slack is the
// canary's.
inline bool usable_size_is_the_requested_size() {
  for (size_t n = 0; n < 3000; n += 7) {
    void* p = malloc(n);
    const bool ok = mi_usable_size(p) == n;
    free(p);
    if (!ok) return false;
  }
  return true;
}

inline int mapping_count() {
  FILE* f = fopen("/proc/self/maps", "r");
  if (!f) return -1;
  int lines = 0;
  for (int c; (c = fgetc(f)) != EOF;) lines += c == '\n';
  fclose(f);
  return lines;
}

// 256 MiB of small blocks stay within the mapping budget of SECURITY.md
// (37 mappings per 4 MiB segment, 64 segments).
inline bool guard_pages_keep_mappings_bounded() {
  const int before = mapping_count();
  constexpr size_t kBlocks = (256u << 20) / 1024;
  void** blocks = static_cast<void**>(malloc(kBlocks * sizeof(void*)));
  for (size_t i = 0; i < kBlocks; i++) blocks[i] = malloc(1000);
  const int during = mapping_count();
  for (size_t i = 0; i < kBlocks; i++) free(blocks[i]);
  free(blocks);
  const int segments = 256 / 4 + 8;  // a little slack for partly filled pages
  return during - before <= segments * 37;
}

// calloc and zero-initialized allocation still read as zero when fill
// checks let them skip the memset.
inline bool recycled_blocks_are_zeroed_by_calloc() {
  for (size_t size : {size_t{40}, size_t{200}, size_t{1000}, size_t{5000}}) {
    for (int round = 0; round < 100; round++) {
      auto* p = static_cast<unsigned char*>(malloc(size));
      memset(p, 0xAB, size);
      free(p);
      auto* q = static_cast<unsigned char*>(calloc(1, size));
      for (size_t i = 0; i < size; i++) {
        if (q[i] != 0) return false;
      }
      free(q);
    }
  }
  return true;
}

inline constexpr Property kProperties[] = {
    {"fresh_blocks_come_in_random_order", fresh_blocks_come_in_random_order, Layer::kRandomize},
    {"two_heaps_lay_out_the_same_sequence_differently", two_heaps_lay_out_the_same_sequence_differently, Layer::kRandomize},
    {"usable_size_is_the_requested_size", usable_size_is_the_requested_size, Layer::kCanaries},
    {"guard_pages_keep_mappings_bounded", guard_pages_keep_mappings_bounded, Layer::kGuardPages},
    {"recycled_blocks_are_zeroed_by_calloc", recycled_blocks_are_zeroed_by_calloc, Layer::kFillCheck},
};

}  // namespace properties
