// mi_register_deferred_free: a runtime that frees in batches (reference
// counting, garbage collection) registers one function, which the
// allocator calls on its slow paths, with a per-thread heartbeat, and with
// force = true when a collect asks for all the memory it can get.
#pragma once
#include <atomic>

#include "core/types.h"

namespace shardguard::deferred {

using Fn = void(bool force, unsigned long long heartbeat, void* arg);

extern std::atomic<Fn*> registered_fn;

// Registers fn (nullptr: none); at most one is active. Any thread.
void set(Fn* fn, void* arg);
// Calls the registered function, unless it is already running on this
// thread (it may allocate and free).
void call(ThreadData* tld, bool force);

// One heartbeat of the thread. The count depends only on the thread's own
// allocations: deterministic for a deterministic program.
inline void run(ThreadData* tld, bool force) {
  tld->heartbeat++;
  if (registered_fn.load(std::memory_order_relaxed) != nullptr) [[unlikely]] call(tld, force);
}

}  // namespace shardguard::deferred
