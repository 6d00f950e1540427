#include "core/aligned.h"

#include <bit>
#include <cerrno>
#include <cstring>

#include <shardguard/config.h>

#include "core/alloc.h"
#include "core/bins.h"
#include "core/free.h"
#include "core/segment.h"
#include "core/segment_map.h"
#include "core/track.h"
#include "secure/canary.h"
#include "secure/invalid_free.h"

namespace shardguard {

namespace {

// canaries: the caller's bytes end `size` bytes after q (inside block p).
void set_user_size(void* p, const void* q, size_t size) {
  const Page* page = segment_page_of(segment_of(p), p);
  secure::canary_set(page, static_cast<Block*>(p), static_cast<size_t>(static_cast<const uint8_t*>(q) - static_cast<uint8_t*>(p)) + size);
}

// A memory checker (track.h): the program owns up to `size` bytes after q;
// the over-allocation past them is closed again.
void track_request(void* p, const void* q, size_t size) {
  if constexpr (track::kOn) {
    const Page* page = segment_page_of(segment_of(p), p);
    track::resized(p, static_cast<size_t>(static_cast<const uint8_t*>(q) - static_cast<uint8_t*>(p)) + size, page->block_size);
  }
}

bool is_aligned(const void* p, size_t offset, size_t alignment) {
  return ((reinterpret_cast<uintptr_t>(p) + offset) & (alignment - 1)) == 0;
}

// Over-allocates and hands out an interior pointer; the page remembers that
// its blocks may be freed through such pointers. With invalid_free, the
// pointer is at least kTagRoom bytes in, and the block's first word tags it.
constexpr size_t kTagRoom = config::invalid_free ? 16 : 0;

void* malloc_padded(Heap* heap, size_t size, size_t alignment, size_t offset, bool zero) {
  void* p = heap_malloc(heap, size + alignment - 1 + kTagRoom, zero);
  if (!p) return nullptr;
  size_t adjust = (alignment - ((reinterpret_cast<uintptr_t>(p) + offset) & (alignment - 1))) & (alignment - 1);
  if (adjust == 0) {
    if constexpr (config::canaries) set_user_size(p, p, size);
    track_request(p, p, size);
    return p;
  }
  if (adjust < kTagRoom) adjust += alignment;  // alignment > 8 here, so >= 16
  Segment* s = segment_of(p);
  page_add_flag(segment_page_of(s, p), kPageHasAligned);
  uint8_t* q = static_cast<uint8_t*>(p) + adjust;
  if constexpr (config::invalid_free) secure::tag_interior_pointer(static_cast<Block*>(p), q);
  if constexpr (config::canaries) set_user_size(p, q, size);
  track_request(p, q, size);
  return q;
}

}  // namespace

void* heap_malloc_aligned_at(Heap* heap, size_t size, size_t alignment, size_t offset, bool zero) {
  if (alignment == 0 || !std::has_single_bit(alignment)) {
    errno = EINVAL;
    return nullptr;
  }
  if (alignment > kMaxAllocSize / 4 || size > kMaxAllocSize - 2 * alignment - kTagRoom) {
    errno = ENOMEM;
    return nullptr;
  }
  if (alignment <= kWordSize && (offset & (alignment - 1)) == 0) return heap_malloc(heap, size, zero);
  if (offset == 0 && alignment <= kNaturalAlignMax) {
    size_t n = (size < alignment ? alignment : (size + alignment - 1) & ~(alignment - 1));
    if (n + kBlockExtra <= kLargeObjMax && kBinSizes[bin_of(n + kBlockExtra)] % alignment != 0) {
      n = std::bit_ceil(n + kBlockExtra) - kBlockExtra;
    }
    void* p = heap_malloc(heap, n, zero);  // huge blocks start on an OS page: aligned too
    if (p) {
      if constexpr (config::canaries) set_user_size(p, p, size);
      track_request(p, p, size);
    }
    return p;
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
  size_t size;
  if (!live_usable_size(p, "realloc", &size)) {
    errno = EINVAL;
    return nullptr;
  }
  if (newsize <= size && newsize >= size - size / 2 && is_aligned(p, offset, alignment) && block_resize_in_place(p, newsize)) {
    return p;
  }
  void* fresh = heap_malloc_aligned_at(heap, newsize, alignment, offset, false);
  if (!fresh) return nullptr;
  track::touch(p, size);  // past the request, up to the usable size: freed next anyway
  memcpy(fresh, p, newsize < size ? newsize : size);
  free_fast(p);
  return fresh;
}

}  // namespace shardguard
