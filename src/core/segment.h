// Segments: kSegmentSize-aligned chunks of OS memory, owned by one thread
// and carved into page slots of one kind (small, medium, large), or holding
// a single huge block. Owned segments of an exited thread are abandoned and
// later reclaimed by a live thread.
#pragma once
#include "core/types.h"
#include "secure/guard_pages.h"

namespace shardguard {

inline Segment* segment_of_page(const Page* page) {
  // Page structs live in their segment's header, inside its first chunk.
  return reinterpret_cast<Segment*>(reinterpret_cast<uintptr_t>(page) & ~kSegmentMask);
}

// The first byte of a page's blocks; `*size` gets the bytes available.
// (info_size includes the guard page after the header; see secure/guard_pages.h.)
inline uint8_t* page_area(const Segment* s, const Page* page, size_t* size) {
  auto* base = reinterpret_cast<uint8_t*>(const_cast<Segment*>(s));
  if (s->kind == SegmentKind::kLarge || s->kind == SegmentKind::kHuge) {
    *size = s->span_size;
    return base + s->info_size;
  }
  const size_t page_size = size_t{1} << s->page_shift;
  uint8_t* start = base + (size_t{page->slot} << s->page_shift);
  *size = page_size;
  if (page->slot == 0) {
    start += s->info_size;
    *size -= s->info_size;
  }
  if (secure::slot_has_guard(s->kind, page->slot, s->capacity)) *size -= secure::kGuardSize;
  return start;
}

inline uint8_t* page_start(const Page* page) {
  size_t size;
  return page_area(segment_of_page(page), page, &size);
}

// The page slot holding p (p inside segment s).
inline Page* segment_page_of(Segment* s, const void* p) {
  const uintptr_t offset = reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(s);
  return &s->pages[offset >> s->page_shift];
}

// A free page slot for blocks of `block_size` (for huge blocks, sized for
// `block_size` bytes), owned by the heap's thread; nullptr when out of memory.
Page* segment_page_alloc(Heap* heap, size_t block_size);
// Returns a page slot whose blocks are all free; frees the segment when it
// becomes empty.
void segment_page_free(Page* page, ThreadData* tld);

// Adopts up to `max` abandoned segments into the backing heap (their empty
// pages and segments are freed on the way); returns how many it adopted.
size_t segments_reclaim_abandoned(Heap* backing, size_t max);

// Thread exit: every page must already be collected and detached from its
// heap. Empty segments are freed, the rest wait for a new owner.
void segments_abandon_all(ThreadData* tld);
// A free() hit an abandoned segment: adopt it into the caller's backing heap.
bool segment_try_reclaim(Segment* s, Heap* backing);

// The largest huge block that fits in the segment of a huge page.
size_t segment_huge_capacity(const Page* page);

}  // namespace shardguard
