#include "core/free.h"

#include <cerrno>
#include <cstdio>

#include "core/alloc.h"
#include "core/bins.h"
#include "core/error.h"
#include "core/heap.h"
#include "core/thread.h"

namespace shardguard {

namespace {

// A free from a thread that does not own the page. The block goes onto the
// page's thread_free list with one CAS, unless the page asked (mode
// kUseDelayedFree, typically because it is in the full queue) to be told:
// then the block goes to the owning heap's delayed list, so the owner finds
// the page again. kDelayedFreeing marks the window in which this thread
// reads the page's heap; heap delete/destroy and thread exit wait it out
// (page_set_delayed) before the heap can go away.
void free_block_mt(Page* page, Block* block) {
  uintptr_t tf = page->xthread_free.load(std::memory_order_relaxed);
  uintptr_t next;
  bool use_delayed;
  do {
    use_delayed = tf_mode(tf) == kUseDelayedFree;
    if (use_delayed) {
      next = (tf & ~kDelayedMask) | kDelayedFreeing;
    } else {
      block_set_next(page, block, tf_block(tf));
      next = reinterpret_cast<uintptr_t>(block) | (tf & kDelayedMask);
    }
  } while (!page->xthread_free.compare_exchange_weak(tf, next, std::memory_order_release, std::memory_order_relaxed));
  if (!use_delayed) return;

  Heap* heap = page->xheap.load(std::memory_order_acquire);
  Block* pending = block;
  if (heap) {
    heap_delayed_push(heap, block);
    pending = nullptr;
  }
  // Leave the delayed window; without a heap, the block goes to the page.
  tf = page->xthread_free.load(std::memory_order_relaxed);
  do {
    if (pending) block_set_next(page, pending, tf_block(tf));
    next = (pending ? reinterpret_cast<uintptr_t>(pending) : (tf & ~kDelayedMask)) | kNoDelayedFree;
  } while (!page->xthread_free.compare_exchange_weak(tf, next, std::memory_order_release, std::memory_order_relaxed));
}

}  // namespace

void report_invalid_pointer(const void* p, const char* function) {
  if constexpr (config::double_free) {
    // The segment that held p was released: p was freed before.
    if (segment_map_was_released(p)) secure::report_attack(secure::kErrDoubleFree, "double free", p, 0);
  }
  if constexpr (config::invalid_free) secure::report_invalid(function, "a pointer shardguard does not own", p, 0);
  error_message(EINVAL, "%s(): pointer %p was not allocated by shardguard or is no longer live; ignored", function, p);
}

void free_generic(Segment* s, Page* page, void* p) {
  Block* block = live_block_of(page, p, "free");
  if (!block) return;
  block_release(page, block);
  const uintptr_t owner = s->thread_id.load(std::memory_order_acquire);
  if (owner == current_thread_id()) {
    if constexpr (config::quarantine) {
      secure::quarantine_hold(thread_default_heap()->tld, page, block);
    } else {
      free_block_local(page, block);
    }
    return;
  }
  if (owner == 0) {
    // The owner exited: adopt the segment, so its memory is reused here.
    Heap* heap = thread_default_heap();
    // Not held in quarantine: that would pin the adopted segment.
    if (heap_is_initialized(heap) && segment_try_reclaim(s, &heap->tld->backing)) {
      free_block_local(page, block);
      return;
    }
  }
  free_block_mt(page, block);
}

void report_free_size(const void* p, size_t size, const Page* page) {
  char what[96];
  snprintf(what, sizeof what, "sized free with the wrong size (%zu bytes)", size);
  secure::report_attack(secure::kErrInvalidPointer, what, p, page->block_size);
}

}  // namespace shardguard
