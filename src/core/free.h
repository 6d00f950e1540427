// free(): the fast path (a block of a page owned by the calling thread) is
// inline; everything else goes to free_generic.
#pragma once
#include <shardguard/config.h>

#include "core/bins.h"
#include "core/block_state.h"
#include "core/free_list.h"
#include "core/page.h"
#include "core/segment.h"
#include "core/segment_map.h"
#include "core/thread.h"
#include "core/thread_id.h"
#include "core/types.h"
#include "secure/block_check.h"
#include "secure/canary.h"
#include "secure/invalid_free.h"
#include "secure/quarantine.h"

namespace shardguard {

// A free from the page's owning thread: no atomics. The block has been
// through block_release (and, with the quarantine, waited its turn).
inline void free_block_local(Page* page, Block* block) {
  block_set_next(page, block, page->local_free);
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
// Reports a pointer that free/realloc/usable_size cannot accept: with the
// invalid_free layer, aborts; without it, warns (a few times) and the caller
// ignores the pointer.
void report_invalid_pointer(const void* p, const char* function);

// The live block that p (inside `page`) designates; nullptr after a report
// when p cannot be one.
inline Block* live_block_of(Page* page, const void* p, const char* function) {
  if constexpr (config::invalid_free) {
    return secure::checked_block(page, p, function);
  } else {
    if (page_has(page, kPageNotInUse)) [[unlikely]] {
      // The page of the block was freed: so was the block.
      if constexpr (config::double_free) secure::report_attack(secure::kErrDoubleFree, "double free", p, page->block_size ? page->block_size : 1);
      report_invalid_pointer(p, function);
      return nullptr;
    }
    if (page_has(page, kPageHasAligned)) return page_block_of(page, p);
    return const_cast<Block*>(static_cast<const Block*>(p));
  }
}

// free() once p's segment and page are known. kStartChecked: the caller
// has already checked that p is the start of a block (free_sized).
template <bool kStartChecked = false>
inline void free_in_page(Segment* s, Page* page, void* p) {
  if (s->thread_id.load(std::memory_order_relaxed) == current_thread_id() && page_flags(page) == 0) [[likely]] {
    // Not in the full queue (flags == 0): only the last free needs more work.
    auto* block = static_cast<Block*>(p);
    if constexpr (config::invalid_free && !kStartChecked) {
      if (!secure::page_is_block_start(page, p)) [[unlikely]] secure::report_invalid("free", "a pointer that is not the start of a block", p, page->block_size);
    }
    block_release(page, block);
    if constexpr (config::quarantine) {
      secure::quarantine_hold(thread_default_heap()->tld, page, block);
      return;
    }
    block_set_next(page, block, page->local_free);
    page->local_free = block;
    if (--page->used == 0) [[unlikely]] page_retire(page);
    return;
  }
  free_generic(s, page, p);
}

inline void free_fast(void* p) {
  Segment* s = segment_of(p);
  if (!s) [[unlikely]] {
    if (p) report_invalid_pointer(p, "free");
    return;
  }
  free_in_page(s, segment_page_of(s, p), p);
}

// A free that names the block's size (free_sized, C++ sized delete): with
// the layers that know the size, a size that does not match the block is
// reported (the caller's bookkeeping is wrong, or the pointer is). Pointers
// that are not plain live blocks are left to the free itself to judge.
[[noreturn]] void report_free_size(const void* p, size_t size, const Page* page);

// Without canaries a page knows only its block size, and a correct program
// may name any size the block was handed out or shrunk in place for: a size
// of its class, or one down to half the usable size (realloc shrinks in
// place that far); after an aligned allocation (kAligned: the aligned forms
// of sized free), any size that fits, since the alignment rounded the
// request up.
template <bool kAligned>
inline bool free_size_fits_block(const Page* page, size_t size) {
  const size_t usable = page->block_size - kBlockExtra;
  if (size > usable) return false;
  if (kAligned || size >= usable / 2) return true;
  if (page->block_size > kLargeObjMax) return (size + kOsPageSize - 1) / kOsPageSize * kOsPageSize == page->block_size;
  return bin_block_size(bin_of(size)) == page->block_size;
}

template <bool kAligned = false>
inline void free_sized(void* p, size_t size) {
  if constexpr (config::invalid_free || config::canaries) {
    Segment* s = segment_of(p);
    if (s) [[likely]] {
      Page* page = segment_page_of(s, p);
      // With canaries every block start records its requested size, in
      // pages with aligned blocks too; without, a block start in such a
      // page may be an aligned block's: its request is not known.
      constexpr uint8_t kUnchecked = config::canaries ? kPageNotInUse : (kPageNotInUse | kPageHasAligned);
      if ((page_flags(page) & kUnchecked) == 0 && secure::page_is_block_start(page, p)) [[likely]] {
        bool ok;
        if constexpr (config::canaries) {
          ok = secure::canary_user_end(page, static_cast<Block*>(p)) == size;
        } else {
          ok = free_size_fits_block<kAligned>(page, size);
        }
        if (!ok) [[unlikely]] report_free_size(p, size, page);
        free_in_page<true>(s, page, p);
        return;
      }
    }
  }
  free_fast(p);
}

}  // namespace shardguard
