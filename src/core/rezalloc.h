// Zero-initialized re-allocation (mi_rezalloc, mi_recalloc and their
// aligned and heap forms): the bytes past the old block's usable size, up to
// the new block's usable size, read as zero afterwards.
#pragma once
#include "core/types.h"

namespace shardguard {

void* heap_rezalloc(Heap* heap, void* p, size_t newsize);
// alignment must be a power of two (else EINVAL and nullptr).
void* heap_rezalloc_aligned_at(Heap* heap, void* p, size_t newsize, size_t alignment, size_t offset);

}  // namespace shardguard
