// mimalloc API: first-class heaps.
#include <cerrno>

#include "core/aligned.h"
#include "core/alloc.h"
#include "core/heap.h"
#include "core/thread.h"
#include "mimalloc.h"

using namespace shardguard;

namespace {
Heap* to_heap(mi_heap_t* heap) { return reinterpret_cast<Heap*>(heap); }
mi_heap_t* to_api(Heap* heap) { return reinterpret_cast<mi_heap_t*>(heap); }
}  // namespace

extern "C" {

mi_heap_t* mi_heap_new(void) { return to_api(heap_new()); }
void mi_heap_delete(mi_heap_t* heap) { heap_delete(to_heap(heap)); }
void mi_heap_destroy(mi_heap_t* heap) { heap_destroy(to_heap(heap)); }

mi_heap_t* mi_heap_get_default(void) { return to_api(thread_default_heap_initialized()); }

mi_heap_t* mi_heap_get_backing(void) {
  Heap* heap = thread_default_heap_initialized();
  return heap ? to_api(&heap->tld->backing) : nullptr;
}

mi_heap_t* mi_heap_set_default(mi_heap_t* heap) {
  Heap* previous = thread_default_heap_initialized();
  if (heap && heap_is_initialized(to_heap(heap))) thread_set_default_heap(to_heap(heap));
  return to_api(previous);
}

void* mi_heap_malloc(mi_heap_t* heap, size_t size) noexcept { return heap_malloc(to_heap(heap), size); }
void* mi_heap_zalloc(mi_heap_t* heap, size_t size) noexcept { return heap_malloc(to_heap(heap), size, true); }

void* mi_heap_calloc(mi_heap_t* heap, size_t count, size_t size) noexcept {
  size_t total;
  if (!checked_total(count, size, &total)) return nullptr;
  return heap_malloc(to_heap(heap), total, true);
}

void* mi_heap_realloc(mi_heap_t* heap, void* p, size_t newsize) noexcept {
  return heap_realloc(to_heap(heap), p, newsize);
}

void* mi_heap_malloc_aligned_at(mi_heap_t* heap, size_t size, size_t alignment, size_t offset) noexcept {
  return heap_malloc_aligned_at(to_heap(heap), size, alignment, offset, false);
}
void* mi_heap_malloc_aligned(mi_heap_t* heap, size_t size, size_t alignment) noexcept {
  return heap_malloc_aligned_at(to_heap(heap), size, alignment, 0, false);
}
void* mi_heap_zalloc_aligned_at(mi_heap_t* heap, size_t size, size_t alignment, size_t offset) noexcept {
  return heap_malloc_aligned_at(to_heap(heap), size, alignment, offset, true);
}
void* mi_heap_zalloc_aligned(mi_heap_t* heap, size_t size, size_t alignment) noexcept {
  return heap_malloc_aligned_at(to_heap(heap), size, alignment, 0, true);
}
void* mi_heap_calloc_aligned_at(mi_heap_t* heap, size_t count, size_t size, size_t alignment, size_t offset) noexcept {
  size_t total;
  if (!checked_total(count, size, &total)) return nullptr;
  return heap_malloc_aligned_at(to_heap(heap), total, alignment, offset, true);
}
void* mi_heap_calloc_aligned(mi_heap_t* heap, size_t count, size_t size, size_t alignment) noexcept {
  return mi_heap_calloc_aligned_at(heap, count, size, alignment, 0);
}
void* mi_heap_realloc_aligned_at(mi_heap_t* heap, void* p, size_t newsize, size_t alignment, size_t offset) noexcept {
  return heap_realloc_aligned_at(to_heap(heap), p, newsize, alignment, offset);
}
void* mi_heap_realloc_aligned(mi_heap_t* heap, void* p, size_t newsize, size_t alignment) noexcept {
  return heap_realloc_aligned_at(to_heap(heap), p, newsize, alignment, 0);
}

}  // extern "C"
