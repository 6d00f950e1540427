#include "core/deferred_free.h"

namespace shardguard::deferred {

constinit std::atomic<Fn*> registered_fn{nullptr};

namespace {
std::atomic<void*> registered_arg{nullptr};
}  // namespace

void set(Fn* fn, void* arg) {
  registered_arg.store(arg, std::memory_order_relaxed);
  registered_fn.store(fn, std::memory_order_release);
}

void call(ThreadData* tld, bool force) {
  Fn* fn = registered_fn.load(std::memory_order_acquire);
  if (!fn || tld->in_deferred_free) return;
  tld->in_deferred_free = true;
  fn(force, tld->heartbeat, registered_arg.load(std::memory_order_relaxed));
  tld->in_deferred_free = false;
}

}  // namespace shardguard::deferred
