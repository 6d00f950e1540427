// free(): the fast path (a block of a page owned by the calling thread) is
// inline; everything else goes to free_generic.
#pragma once
#include "core/page.h"
#include "core/segment.h"
#include "core/segment_map.h"
#include "core/thread_id.h"
#include "core/types.h"

namespace shardguard {

// A free from the page's owning thread: no atomics.
inline void free_block_local(Page* page, Block* block) {
  block->next = page->local_free;
  page->local_free = block;
  if (--page->used == 0) [[unlikely]] {
    page_retire(page);
  } else if (page_has(page, kPageInFull)) [[unlikely]] {
    page_unfull(page);
  }
}

// The start of the block holding p, for pages that hand out interior
// (aligned) pointers.
inline Block* page_block_of(const Page* page, const void* p) {
  uint8_t* start = page_start(page);
  const size_t offset = static_cast<size_t>(static_cast<const uint8_t*>(p) - start);
  return reinterpret_cast<Block*>(start + offset - offset % page->block_size);
}

void free_generic(Segment* s, Page* page, void* p);
// Reports a pointer that free/realloc/usable_size cannot accept.
void report_invalid_pointer(const void* p, const char* function);

inline void free_fast(void* p) {
  Segment* s = segment_of(p);
  if (!s) [[unlikely]] {
    if (p) report_invalid_pointer(p, "free");
    return;
  }
  Page* page = segment_page_of(s, p);
  if (s->thread_id.load(std::memory_order_relaxed) == current_thread_id() && page_flags(page) == 0) [[likely]] {
    // Not in the full queue (flags == 0): only the last free needs more work.
    auto* block = static_cast<Block*>(p);
    block->next = page->local_free;
    page->local_free = block;
    if (--page->used == 0) [[unlikely]] page_retire(page);
    return;
  }
  free_generic(s, page, p);
}

}  // namespace shardguard
