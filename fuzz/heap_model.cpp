#include "heap_model.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fuzz {

bool tracing() {
  static const bool on = getenv("FUZZ_TRACE") != nullptr;
  return on;
}

void oracle_failure(const char* what, const void* p, size_t size) {
  fprintf(stderr, "fuzz: ORACLE FAILURE: %s (block %p, size %zu)\n", what, p, size);
  abort();
}

namespace {

// All n bytes at p equal b (one memcmp against itself shifted by one byte).
bool all_bytes(const uint8_t* p, size_t n, uint8_t b) {
  if (n == 0) return true;
  return p[0] == b && memcmp(p, p + 1, n - 1) == 0;
}

}  // namespace

void HeapModel::add_extent(const Slot& s) {
  const auto start = reinterpret_cast<uintptr_t>(s.p);
  const size_t usable = mi_usable_size(s.p);
  const uintptr_t end = start + (usable ? usable : 1);
  auto next = extents_.lower_bound(start);
  if (next != extents_.end() && next->first < end) oracle_failure("two live blocks overlap", s.p, s.size);
  if (next != extents_.begin() && std::prev(next)->second > start) oracle_failure("two live blocks overlap", s.p, s.size);
  extents_.emplace(start, end);
}

void HeapModel::remove_extent(const Slot& s) { extents_.erase(reinterpret_cast<uintptr_t>(s.p)); }

void HeapModel::adopt(size_t i, void* p, size_t size, size_t alignment, int heap, bool aligned, bool zeroed) {
  if (!p) return;  // out of memory for an absurd request is allowed
  FUZZ_TRACE("slot %zu <- %p size %zu alignment %zu heap %d\n", i, p, size, alignment, heap);
  Slot& s = slots[i];
  s = Slot{static_cast<uint8_t*>(p), size, size, alignment, 0, heap, aligned};
  if (reinterpret_cast<uintptr_t>(p) % alignment != 0) oracle_failure("block not aligned as requested", p, alignment);
  if (mi_usable_size(p) < size) oracle_failure("usable size below the requested size", p, size);
  if (zeroed && !all_bytes(s.p, size, 0)) oracle_failure("zeroed allocation is not zero", p, size);
  add_extent(s);
  rewrite(i, next_fill_++);
}

void HeapModel::check_contents(size_t i) const {
  const Slot& s = slots[i];
  if (!all_bytes(s.p, s.size, s.fill)) oracle_failure("a live block lost the bytes written to it", s.p, s.size);
}

uint8_t* HeapModel::release(size_t i) {
  Slot& s = slots[i];
  check_contents(i);
  remove_extent(s);
  uint8_t* p = s.p;
  FUZZ_TRACE("slot %zu released %p\n", i, p);
  freed.push_back(p);
  s = Slot{};
  return p;
}

void HeapModel::forget(size_t i) {
  FUZZ_TRACE("slot %zu freed by its heap's destruction %p\n", i, slots[i].p);
  remove_extent(slots[i]);
  freed.push_back(slots[i].p);
  slots[i] = Slot{};
}

void HeapModel::resized(size_t i, void* p, size_t size) {
  Slot& s = slots[i];
  const size_t kept = s.size < size ? s.size : size;
  FUZZ_TRACE("slot %zu resized %p -> %p size %zu\n", i, s.p, p, size);
  remove_extent(s);
  if (p != s.p) freed.push_back(s.p);
  s.p = static_cast<uint8_t*>(p);
  if (!all_bytes(s.p, kept, s.fill)) oracle_failure("realloc lost the block's contents", p, size);
  s.size = size;
  if (mi_usable_size(p) < size) oracle_failure("usable size below the requested size after realloc", p, size);
  if (reinterpret_cast<uintptr_t>(p) % s.alignment != 0) oracle_failure("realloc lost the block's alignment", p, s.alignment);
  add_extent(s);
  memset(s.p + kept, s.fill, size - kept);
}

void HeapModel::rewrite(size_t i, uint8_t fill) {
  Slot& s = slots[i];
  s.fill = fill;
  memset(s.p, fill, s.size);
}

bool HeapModel::inside_live_block(const void* a) const {
  const auto x = reinterpret_cast<uintptr_t>(a);
  for (const Slot& s : slots) {
    if (!s.p) continue;
    const auto start = reinterpret_cast<uintptr_t>(s.p);
    const uintptr_t padding = s.aligned ? s.alignment : 0;
    const size_t usable = mi_usable_size(s.p);
    if (x + padding >= start && x < start + (usable ? usable : 1)) return true;
  }
  return false;
}

void HeapModel::clear() {
  for (size_t i = 0; i < kSlots; i++) {
    if (slots[i].p) {
      release(i);
      mi_free(freed.back());
    }
  }
  for (auto& h : heaps) {
    if (h) mi_heap_destroy(h);
    h = nullptr;
  }
  freed.clear();
  extents_.clear();
}

}  // namespace fuzz
