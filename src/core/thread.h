// Threads: the thread-local default heap, thread start-up and exit
// (abandoning the heap's segments), process start-up and fork.
#pragma once
#include "core/heap.h"
#include "core/types.h"

namespace shardguard {

// initial-exec TLS: one instruction to read, no __tls_get_addr call.
extern constinit thread_local Heap* tls_default_heap __attribute__((tls_model("initial-exec")));

inline Heap* thread_default_heap() { return tls_default_heap; }
void thread_set_default_heap(Heap* heap);

// Sets up the calling thread (and the process, the first time); returns its
// default heap, or nullptr when out of memory.
Heap* thread_init();

inline Heap* thread_default_heap_initialized() {
  Heap* heap = tls_default_heap;
  if (!heap_is_initialized(heap)) [[unlikely]] heap = thread_init();
  return heap;
}

// True in a process created by fork() from a process that had threads of
// ours: state left half-done by threads that did not survive the fork may
// then be taken over instead of waited for.
bool process_is_fork_child();

// The sub-process (mi_subproc_*) the calling thread belongs to: an opaque
// identity; abandoned segments are reclaimed only within one.
const void* thread_subproc();
void thread_set_subproc(const void* subproc);

// Releases the calling thread's heaps (also called by the thread-exit hook).
void thread_done();

}  // namespace shardguard
