#include "core/rezalloc.h"

#include <cerrno>
#include <cstring>

#include "core/aligned.h"
#include "core/alloc.h"

namespace shardguard {

namespace {

// alignment 0: no alignment beyond the default.
void* rezalloc(Heap* heap, void* p, size_t newsize, size_t alignment, size_t offset) {
  if (!p) {
    return alignment == 0 ? heap_malloc(heap, newsize, true) : heap_malloc_aligned_at(heap, newsize, alignment, offset, true);
  }
  const size_t old_usable = usable_size(p, "mi_rezalloc");
  if (old_usable == 0) {
    errno = EINVAL;
    return nullptr;
  }
  void* q = alignment == 0 ? heap_realloc(heap, p, newsize) : heap_realloc_aligned_at(heap, p, newsize, alignment, offset);
  if (!q) return nullptr;
  auto* bytes = static_cast<unsigned char*>(q);
  const size_t new_usable = usable_size(q, "mi_rezalloc");
  // What holds the caller's data: the copied (or kept) prefix. Everything
  // after it is cleared, so growing later, in place or not, reads zero:
  // a block kept in place may hold old data past the new size, and a block
  // grown in place (huge blocks) or freshly allocated may hold anything.
  const size_t keep = newsize < old_usable ? newsize : old_usable;
  if (new_usable > keep) memset(bytes + keep, 0, new_usable - keep);
  return q;
}

}  // namespace

void* heap_rezalloc(Heap* heap, void* p, size_t newsize) { return rezalloc(heap, p, newsize, 0, 0); }

void* heap_rezalloc_aligned_at(Heap* heap, void* p, size_t newsize, size_t alignment, size_t offset) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    errno = EINVAL;
    return nullptr;
  }
  return rezalloc(heap, p, newsize, alignment, offset);
}

}  // namespace shardguard
