// The loop cache-scratch and cache-thrash share: a thread allocates a small
// object, writes it many times, checks it and frees it, over and over. When
// the allocator puts two threads' objects in one cache line, every write of
// one thread evicts the other's line and the loop slows down many times.
#pragma once

#include <cstdint>
#include <cstdlib>

#include "workload.h"

namespace wl {

constexpr size_t kSharedObjectSize = 8;
constexpr int kWritesPerObject = 200;

// Returns the number of objects checked (all of them, or the program exits).
inline uint64_t write_own_objects(const char* workload, uint64_t objects, uint64_t seed) {
  for (uint64_t i = 0; i < objects; ++i) {
    auto* obj = static_cast<volatile uint64_t*>(std::malloc(kSharedObjectSize));
    if (!obj) fail(workload, "malloc returned NULL", nullptr, i);
    *obj = seed + i;
    for (int w = 0; w < kWritesPerObject; ++w) *obj = *obj + 1;
    if (*obj != seed + i + kWritesPerObject) fail(workload, "object changed under its owner", (void*)obj, i);
    std::free((void*)obj);
  }
  return objects;
}

}  // namespace wl
