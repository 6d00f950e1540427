// Which address ranges are our segments: answers, in O(1) and without
// touching memory that might be unmapped, "which segment holds p?" or
// "not ours". Two levels: a static top table of lazily mapped leaves, one
// entry per kSegmentSize chunk of the 47-bit user address space.
#pragma once
#include <atomic>
#include <cstdint>

#include "core/config.h"
#include "core/types.h"

namespace shardguard {

inline constexpr size_t kAddressBits = 47;
inline constexpr size_t kMapLeafBits = 14;  // a leaf covers 64 GiB
inline constexpr size_t kMapTopBits = kAddressBits - kSegmentShift - kMapLeafBits;
inline constexpr size_t kMapLeafEntries = size_t{1} << kMapLeafBits;

struct SegmentMapLeaf {
  std::atomic<Segment*> segment[kMapLeafEntries];
  // One bit per chunk: it held a segment of ours that was released since.
  // Read only to word a report (a free into released memory is a double
  // free, not a foreign pointer); never on the fast path.
  std::atomic<uint64_t> released[kMapLeafEntries / 64];
};
extern std::atomic<SegmentMapLeaf*> segment_map_top[size_t{1} << kMapTopBits];

// The segment holding p, or nullptr when p is not inside memory of ours.
inline Segment* segment_of(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (a >> kAddressBits) [[unlikely]] return nullptr;
  const uintptr_t chunk = a >> kSegmentShift;
  SegmentMapLeaf* leaf = segment_map_top[chunk >> kMapLeafBits].load(std::memory_order_acquire);
  if (!leaf) [[unlikely]] return nullptr;
  return leaf->segment[chunk & (kMapLeafEntries - 1)].load(std::memory_order_relaxed);
}

// p is not in a segment of ours now, but was in one that was released.
bool segment_map_was_released(const void* p);

// Records every chunk of [s, s + size) as belonging to s; false if a leaf
// could not be mapped.
bool segment_map_insert(Segment* s, size_t size);
void segment_map_remove(Segment* s, size_t size);

}  // namespace shardguard
