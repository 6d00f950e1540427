// mimalloc API: first-class heaps.
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "core/aligned.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/free.h"
#include "core/heap.h"
#include "core/rezalloc.h"
#include "core/thread.h"
#include "mimalloc.h"

using namespace shardguard;

namespace {
Heap* to_heap(mi_heap_t* heap) { return reinterpret_cast<Heap*>(heap); }
mi_heap_t* to_api(Heap* heap) { return reinterpret_cast<mi_heap_t*>(heap); }

char* heap_strndup_impl(Heap* heap, const char* s, size_t len) {
  auto* copy = static_cast<char*>(heap_malloc(heap, len + 1));
  if (!copy) return nullptr;
  memcpy(copy, s, len);
  copy[len] = '\0';
  return copy;
}
}  // namespace

extern "C" {

mi_heap_t* mi_heap_new(void) { return to_api(heap_new()); }

mi_heap_t* mi_heap_new_ex(int heap_tag, bool allow_destroy, mi_arena_id_t arena_id) {
  if (arena_id != 0 && !arena::exists(arena_id)) return nullptr;
  Heap* heap = heap_new();
  if (!heap) return nullptr;
  heap->tag = heap_tag;
  heap->no_destroy = !allow_destroy;
  heap->arena_id = arena_id;
  return to_api(heap);
}

mi_heap_t* mi_heap_new_in_arena(mi_arena_id_t arena_id) { return mi_heap_new_ex(0, true, arena_id); }

void mi_heap_delete(mi_heap_t* heap) { heap_delete(to_heap(heap)); }

void mi_heap_destroy(mi_heap_t* heap) {
  Heap* h = to_heap(heap);
  if (h && heap_is_initialized(h) && h->no_destroy) {
    heap_delete(h);  // a heap made without allow_destroy keeps its live blocks
    return;
  }
  heap_destroy(h);
}

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

void* mi_heap_mallocn(mi_heap_t* heap, size_t count, size_t size) noexcept {
  size_t total;
  if (!checked_total(count, size, &total)) return nullptr;
  return heap_malloc(to_heap(heap), total);
}

// Any size is served (mimalloc requires size <= MI_SMALL_SIZE_MAX).
void* mi_heap_malloc_small(mi_heap_t* heap, size_t size) noexcept { return heap_malloc(to_heap(heap), size); }
void* mi_heap_zalloc_small(mi_heap_t* heap, size_t size) noexcept { return heap_malloc(to_heap(heap), size, true); }

void* mi_heap_realloc(mi_heap_t* heap, void* p, size_t newsize) noexcept {
  return heap_realloc(to_heap(heap), p, newsize);
}

void* mi_heap_reallocn(mi_heap_t* heap, void* p, size_t count, size_t size) noexcept {
  size_t total;
  if (!checked_total(count, size, &total)) return nullptr;
  return heap_realloc(to_heap(heap), p, total);
}

void* mi_heap_reallocf(mi_heap_t* heap, void* p, size_t newsize) noexcept {
  void* q = heap_realloc(to_heap(heap), p, newsize);
  if (!q && p) free_fast(p);
  return q;
}

char* mi_heap_strdup(mi_heap_t* heap, const char* s) noexcept {
  return s ? heap_strndup_impl(to_heap(heap), s, strlen(s)) : nullptr;
}

char* mi_heap_strndup(mi_heap_t* heap, const char* s, size_t n) noexcept {
  return s ? heap_strndup_impl(to_heap(heap), s, strnlen(s, n)) : nullptr;
}

char* mi_heap_realpath(mi_heap_t* heap, const char* fname, char* resolved_name) noexcept {
  if (resolved_name) return realpath(fname, resolved_name);
  // realpath(fname, NULL) would allocate with whatever malloc libc has:
  // resolve into a buffer and copy into a block of the heap.
  char buf[PATH_MAX];
  if (!realpath(fname, buf)) return nullptr;
  return heap_strndup_impl(to_heap(heap), buf, strlen(buf));
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

void* mi_heap_rezalloc(mi_heap_t* heap, void* p, size_t newsize) noexcept {
  return heap_rezalloc(to_heap(heap), p, newsize);
}
void* mi_heap_recalloc(mi_heap_t* heap, void* p, size_t newcount, size_t size) noexcept {
  size_t total;
  if (!checked_total(newcount, size, &total)) return nullptr;
  return heap_rezalloc(to_heap(heap), p, total);
}
void* mi_heap_rezalloc_aligned_at(mi_heap_t* heap, void* p, size_t newsize, size_t alignment, size_t offset) noexcept {
  return heap_rezalloc_aligned_at(to_heap(heap), p, newsize, alignment, offset);
}
void* mi_heap_rezalloc_aligned(mi_heap_t* heap, void* p, size_t newsize, size_t alignment) noexcept {
  return heap_rezalloc_aligned_at(to_heap(heap), p, newsize, alignment, 0);
}
void* mi_heap_recalloc_aligned_at(mi_heap_t* heap, void* p, size_t newcount, size_t size, size_t alignment, size_t offset) noexcept {
  size_t total;
  if (!checked_total(newcount, size, &total)) return nullptr;
  return heap_rezalloc_aligned_at(to_heap(heap), p, total, alignment, offset);
}
void* mi_heap_recalloc_aligned(mi_heap_t* heap, void* p, size_t newcount, size_t size, size_t alignment) noexcept {
  return mi_heap_recalloc_aligned_at(heap, p, newcount, size, alignment, 0);
}

// Sampled guard pages: the settings are kept per heap. Blocks get guard
// pages from the build's guard-page layer (SHARDGUARD_GUARD_PAGES: a guard
// after every page and span), not per sampled object; see docs/api.md.
void mi_heap_guarded_set_sample_rate(mi_heap_t* heap, size_t sample_rate, size_t seed) {
  (void)seed;
  Heap* h = to_heap(heap);
  if (h && heap_is_initialized(h)) h->guarded_sample_rate = sample_rate;
}

void mi_heap_guarded_set_size_bound(mi_heap_t* heap, size_t min, size_t max) {
  Heap* h = to_heap(heap);
  if (!h || !heap_is_initialized(h)) return;
  h->guarded_size_min = min;
  h->guarded_size_max = max < min ? min : max;
}

}  // extern "C"
