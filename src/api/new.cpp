// mimalloc API: the throwing mi_new family, with C++ semantics on
// out-of-memory: the std::new_handler is called until the allocation
// succeeds, and without one std::bad_alloc is thrown (the nothrow forms are
// in new_nothrow.cpp). Compiled with -fexceptions. Like
// src/override/new_delete.cpp, it refers to the C++ runtime only weakly, so
// the library still loads into C programs.
#include <new>

#include "api/cxx_runtime.h"
#include "api/new_handler.h"

#include "core/aligned.h"
#include "core/alloc.h"
#include "core/error.h"
#include "mimalloc.h"

using namespace shardguard;

namespace {

// One failed allocation: calls the new-handler and returns to retry;
// without one throws std::bad_alloc.
void handle_out_of_memory() {
  if (!cxx_runtime_loaded()) fatal("mi_new: out of memory, and no C++ runtime is loaded to throw std::bad_alloc");
  std::new_handler handler = std::get_new_handler();
  if (!handler) throw std::bad_alloc();
  handler();
}

template <typename Alloc>
void* allocate_or_throw(Alloc alloc) {
  for (;;) {
    if (void* p = alloc()) [[likely]] return p;
    handle_out_of_memory();
  }
}

Heap* to_heap(mi_heap_t* heap) { return reinterpret_cast<Heap*>(heap); }

}  // namespace

bool shardguard::call_new_handler_nothrow() {
  if (!cxx_runtime_loaded()) return false;
  std::new_handler handler = std::get_new_handler();
  if (!handler) return false;
  try {
    handler();
  } catch (...) {
    return false;
  }
  return true;
}

extern "C" {

void* mi_new(size_t size) { return allocate_or_throw([=] { return default_malloc(size); }); }

void* mi_new_aligned(size_t size, size_t alignment) {
  return allocate_or_throw([=] { return heap_malloc_aligned_at(tls_default_heap, size, alignment, 0, false); });
}

// An overflowing count cannot be retried: the handler runs once (it may
// throw), then std::bad_alloc.
void* mi_new_n(size_t count, size_t size) {
  size_t total;
  if (!checked_total(count, size, &total)) {
    handle_out_of_memory();
    throw std::bad_alloc();
  }
  return mi_new(total);
}

void* mi_new_realloc(void* p, size_t newsize) {
  return allocate_or_throw([=] { return heap_realloc(tls_default_heap, p, newsize); });
}

void* mi_new_reallocn(void* p, size_t newcount, size_t size) {
  size_t total;
  if (!checked_total(newcount, size, &total)) {
    handle_out_of_memory();
    throw std::bad_alloc();
  }
  return mi_new_realloc(p, total);
}

void* mi_heap_alloc_new(mi_heap_t* heap, size_t size) {
  return allocate_or_throw([=] { return heap_malloc(to_heap(heap), size); });
}

void* mi_heap_alloc_new_n(mi_heap_t* heap, size_t count, size_t size) {
  size_t total;
  if (!checked_total(count, size, &total)) {
    handle_out_of_memory();
    throw std::bad_alloc();
  }
  return mi_heap_alloc_new(heap, total);
}

}  // extern "C"
