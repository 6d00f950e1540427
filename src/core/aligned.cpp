#include "core/aligned.h"

#include <bit>
#include <cerrno>
#include <cstring>

#include "core/alloc.h"
#include "core/bins.h"
#include "core/free.h"
#include "core/segment_map.h"

namespace shardguard {

namespace {

bool is_aligned(const void* p, size_t offset, size_t alignment) {
  return ((reinterpret_cast<uintptr_t>(p) + offset) & (alignment - 1)) == 0;
}

// Over-allocates and hands out an interior pointer; the page remembers that
// its blocks may be freed through such pointers.
void* malloc_padded(Heap* heap, size_t size, size_t alignment, size_t offset, bool zero) {
  void* p = heap_malloc(heap, size + alignment - 1, zero);
  if (!p) return nullptr;
  const size_t adjust = (alignment - ((reinterpret_cast<uintptr_t>(p) + offset) & (alignment - 1))) & (alignment - 1);
  if (adjust == 0) return p;
  Segment* s = segment_of(p);
  page_add_flag(segment_page_of(s, p), kPageHasAligned);
  return static_cast<uint8_t*>(p) + adjust;
}

}  // namespace

void* heap_malloc_aligned_at(Heap* heap, size_t size, size_t alignment, size_t offset, bool zero) {
  if (alignment == 0 || !std::has_single_bit(alignment)) {
    errno = EINVAL;
    return nullptr;
  }
  if (size > kMaxAllocSize - alignment) {
    errno = ENOMEM;
    return nullptr;
  }
  if (alignment <= kWordSize && (offset & (alignment - 1)) == 0) return heap_malloc(heap, size, zero);
  if (offset == 0 && alignment <= kNaturalAlignMax) {
    size_t n = (size < alignment ? alignment : (size + alignment - 1) & ~(alignment - 1));
    if (n <= kLargeObjMax && kBinSizes[bin_of(n)] % alignment != 0) n = std::bit_ceil(n);
    return heap_malloc(heap, n, zero);  // huge blocks start on an OS page: aligned too
  }
  return malloc_padded(heap, size, alignment, offset, zero);
}

void* heap_realloc_aligned_at(Heap* heap, void* p, size_t newsize, size_t alignment, size_t offset) {
  if (alignment == 0 || !std::has_single_bit(alignment)) {
    errno = EINVAL;
    return nullptr;
  }
  if (!p) return heap_malloc_aligned_at(heap, newsize, alignment, offset, false);
  if (alignment <= kWordSize && (offset & (alignment - 1)) == 0) return heap_realloc(heap, p, newsize);
  const size_t size = usable_size(p, "realloc");
  if (size == 0) {
    errno = EINVAL;
    return nullptr;
  }
  if (newsize <= size && newsize >= size - size / 2 && is_aligned(p, offset, alignment)) return p;
  void* fresh = heap_malloc_aligned_at(heap, newsize, alignment, offset, false);
  if (!fresh) return nullptr;
  memcpy(fresh, p, newsize < size ? newsize : size);
  free_fast(p);
  return fresh;
}

}  // namespace shardguard
