// Heap visiting (mi_heap_visit_blocks, mi_abandoned_visit_blocks): every
// page becomes an area, and each live block of it is found by marking the
// blocks on the page's free lists and taking the rest.
#pragma once
#include "core/types.h"
#include "mimalloc.h"

namespace shardguard {

// The calling thread's own heap. Collects each page's free lists first, so
// the counts are exact. False when the visitor stopped the visit.
bool heap_visit(Heap* heap, bool visit_blocks, mi_block_visit_fun* visitor, void* arg);

// The pages of abandoned segments (their threads exited), under the lock of
// the abandoned list, so no thread reclaims one meanwhile.
bool abandoned_visit(bool visit_blocks, mi_block_visit_fun* visitor, void* arg);

// p is inside the block area of one of the heap's pages.
bool heap_owns_address(Heap* heap, const void* p);

}  // namespace shardguard
