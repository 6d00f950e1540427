// mimalloc API: giving memory back (mi_collect, mi_heap_collect,
// mi_collect_reduce) and the deferred-free hook.
#include "core/collect.h"
#include "core/deferred_free.h"
#include "core/heap.h"
#include "mimalloc.h"

using namespace shardguard;

extern "C" {

void mi_collect(bool force) noexcept { thread_collect(force); }

void mi_heap_collect(mi_heap_t* heap, bool force) noexcept { heap_collect(reinterpret_cast<Heap*>(heap), force); }

// mimalloc's experimental call: here, mi_collect(true) that keeps up to
// `target_thread_owned` bytes of empty segments cached for reuse.
void mi_collect_reduce(size_t target_thread_owned) noexcept { thread_collect_reduce(target_thread_owned); }

void mi_register_deferred_free(mi_deferred_free_fun* fn, void* arg) noexcept { deferred::set(fn, arg); }

}  // extern "C"
