#include "core/segment_map.h"

#include "core/os.h"

namespace shardguard {

std::atomic<SegmentMapLeaf*> segment_map_top[size_t{1} << kMapTopBits];

namespace {

SegmentMapLeaf* leaf_for(uintptr_t chunk) {
  auto& slot = segment_map_top[chunk >> kMapLeafBits];
  SegmentMapLeaf* leaf = slot.load(std::memory_order_acquire);
  if (leaf) return leaf;
  auto* fresh = static_cast<SegmentMapLeaf*>(os::alloc(sizeof(SegmentMapLeaf)));
  if (!fresh) return nullptr;
  // Leaves are never freed: their number is bounded by the address space.
  if (slot.compare_exchange_strong(leaf, fresh, std::memory_order_acq_rel)) return fresh;
  os::free(fresh, sizeof(SegmentMapLeaf));
  return leaf;
}

}  // namespace

bool segment_map_insert(Segment* s, size_t size) {
  const uintptr_t first = reinterpret_cast<uintptr_t>(s) >> kSegmentShift;
  const uintptr_t last = (reinterpret_cast<uintptr_t>(s) + size - 1) >> kSegmentShift;
  for (uintptr_t c = first; c <= last; c++) {
    SegmentMapLeaf* leaf = leaf_for(c);
    if (!leaf) {
      for (uintptr_t u = first; u < c; u++) leaf_for(u)->segment[u & (kMapLeafEntries - 1)].store(nullptr, std::memory_order_relaxed);
      return false;
    }
    const uintptr_t i = c & (kMapLeafEntries - 1);
    leaf->released[i / 64].fetch_and(~(uint64_t{1} << (i % 64)), std::memory_order_relaxed);
    leaf->segment[i].store(s, std::memory_order_release);
  }
  return true;
}

void segment_map_remove(Segment* s, size_t size) {
  const uintptr_t first = reinterpret_cast<uintptr_t>(s) >> kSegmentShift;
  const uintptr_t last = (reinterpret_cast<uintptr_t>(s) + size - 1) >> kSegmentShift;
  for (uintptr_t c = first; c <= last; c++) {
    SegmentMapLeaf* leaf = segment_map_top[c >> kMapLeafBits].load(std::memory_order_acquire);
    const uintptr_t i = c & (kMapLeafEntries - 1);
    leaf->segment[i].store(nullptr, std::memory_order_release);
    leaf->released[i / 64].fetch_or(uint64_t{1} << (i % 64), std::memory_order_relaxed);
  }
}

bool segment_map_was_released(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (a >> kAddressBits) return false;
  const uintptr_t chunk = a >> kSegmentShift;
  SegmentMapLeaf* leaf = segment_map_top[chunk >> kMapLeafBits].load(std::memory_order_acquire);
  if (!leaf) return false;
  const uintptr_t i = chunk & (kMapLeafEntries - 1);
  return (leaf->released[i / 64].load(std::memory_order_relaxed) >> (i % 64)) & 1;
}

}  // namespace shardguard
