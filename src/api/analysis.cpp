// mimalloc API: analysis: which heap holds a pointer, visiting blocks.
#include <cstdlib>

#include "core/free.h"
#include "core/heap.h"
#include "core/options.h"
#include "core/page.h"
#include "core/segment.h"
#include "core/segment_map.h"
#include "core/thread.h"
#include "core/visit.h"
#include "mimalloc.h"

using namespace shardguard;

namespace {
Heap* to_heap(const mi_heap_t* heap) { return reinterpret_cast<Heap*>(const_cast<mi_heap_t*>(heap)); }
}  // namespace

extern "C" {

// p is in a live page of `heap` (any pointer into one of its blocks).
bool mi_heap_contains_block(mi_heap_t* heap, const void* p) {
  Heap* h = to_heap(heap);
  if (!h || !heap_is_initialized(h)) return false;
  Segment* s = segment_of(p);
  if (!s) return false;
  const Page* page = segment_page_of(s, p);
  return !page_has(page, kPageNotInUse) && page_heap(page) == h;
}

// Walks the heap's pages (linear in their number): safe for any pointer.
// Pointers that are not word-aligned are never block starts.
bool mi_heap_check_owned(mi_heap_t* heap, const void* p) {
  if (!p || (reinterpret_cast<uintptr_t>(p) & (sizeof(void*) - 1)) != 0) return false;
  return heap_owns_address(to_heap(heap), p);
}

bool mi_check_owned(const void* p) { return mi_heap_check_owned(mi_heap_get_default(), p); }

bool mi_heap_visit_blocks(const mi_heap_t* heap, bool visit_blocks, mi_block_visit_fun* visitor, void* arg) {
  return heap_visit(to_heap(heap), visit_blocks, visitor, arg);
}

// Only with the visit_abandoned option on, as in mimalloc; every abandoned
// page has heap tag 0 (a thread's first-class heaps are merged into its
// backing heap when it exits). The visitor must not allocate.
bool mi_abandoned_visit_blocks(mi_subproc_id_t subproc_id, int heap_tag, bool visit_blocks, mi_block_visit_fun* visitor,
                               void* arg) {
  (void)subproc_id;
  if (!options::get(mi_option_visit_abandoned)) return false;
  if (heap_tag != 0 && heap_tag != -1) return true;  // no abandoned page has another tag
  return abandoned_visit(visit_blocks, visitor, arg);
}

bool mi_is_in_heap_region(const void* p) noexcept { return segment_of(p) != nullptr; }

// Whether malloc (as this process resolves it) is shardguard's: a block from
// it lies in our memory.
bool mi_is_redirected(void) noexcept {
  void* p = malloc(1);
  const bool ours = p && segment_of(p) != nullptr;
  free(p);
  return ours;
}

// Unsafe: reads the page's counters without synchronisation; for the
// owning thread only.
bool mi_unsafe_heap_page_is_under_utilized(mi_heap_t* heap, void* p, size_t perc_threshold) noexcept {
  if (!p || !mi_heap_contains_block(heap, p)) return false;
  const Page* page = segment_page_of(segment_of(p), p);
  if (page->reserved == 0) return false;
  return size_t{page_live_blocks(page)} * 100 < perc_threshold * size_t{page->reserved};
}

}  // extern "C"
