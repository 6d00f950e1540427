// mimalloc API: mi_new_nothrow and mi_new_aligned_nothrow: the new-handler
// loop of mi_new, but NULL where mi_new throws. Built without exceptions
// (see new_handler.h).
#include "api/new_handler.h"
#include "core/aligned.h"
#include "core/alloc.h"
#include "mimalloc.h"

using namespace shardguard;

extern "C" {

void* mi_new_nothrow(size_t size) noexcept {
  for (;;) {
    if (void* p = default_malloc(size)) [[likely]] return p;
    if (!call_new_handler_nothrow()) return nullptr;
  }
}

void* mi_new_aligned_nothrow(size_t size, size_t alignment) noexcept {
  for (;;) {
    if (void* p = heap_malloc_aligned_at(tls_default_heap, size, alignment, 0, false)) [[likely]] return p;
    if (!call_new_handler_nothrow()) return nullptr;
  }
}

}  // extern "C"
