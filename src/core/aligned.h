// Aligned allocation: p + offset is a multiple of `alignment`.
#pragma once
#include "core/types.h"

namespace shardguard {

// Pages start on OS-page boundaries, so a block whose size is a multiple of
// an alignment up to this is aligned by construction.
inline constexpr size_t kNaturalAlignMax = kOsPageSize;

void* heap_malloc_aligned_at(Heap* heap, size_t size, size_t alignment, size_t offset, bool zero);
void* heap_realloc_aligned_at(Heap* heap, void* p, size_t newsize, size_t alignment, size_t offset);

}  // namespace shardguard
