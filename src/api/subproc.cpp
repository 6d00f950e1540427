// mimalloc API: sub-processes. A sub-process is a group of threads (for
// example one interpreter of several in a process). Every thread's memory
// is its own until it exits; what it leaves behind (abandoned segments) is
// reclaimed only by threads of the same sub-process (core/abandoned.h).
#include <atomic>
#include <new>

#include "core/meta_alloc.h"
#include "core/thread.h"
#include "mimalloc.h"

using namespace shardguard;

namespace {

struct Subproc {
  std::atomic<long> threads;  // threads that joined and have not been counted out
};

Subproc main_subproc{};

constinit thread_local Subproc* current __attribute__((tls_model("initial-exec"))) = nullptr;

Subproc* of(mi_subproc_id_t id) { return static_cast<Subproc*>(id); }

}  // namespace

extern "C" {

mi_subproc_id_t mi_subproc_main(void) { return &main_subproc; }

mi_subproc_id_t mi_subproc_new(void) {
  void* mem = meta::alloc(sizeof(Subproc));
  return mem ? new (mem) Subproc{} : nullptr;
}

// The main sub-process is never deleted.
void mi_subproc_delete(mi_subproc_id_t subproc) {
  Subproc* s = of(subproc);
  if (!s || s == &main_subproc) return;
  if (current == s) {
    current = nullptr;
    thread_set_subproc(nullptr);
  }
  meta::free(s);
}

void mi_subproc_add_current_thread(mi_subproc_id_t subproc) {
  Subproc* s = of(subproc);
  if (!s || current == s) return;
  if (current) current->threads.fetch_sub(1, std::memory_order_relaxed);
  s->threads.fetch_add(1, std::memory_order_relaxed);
  current = s;
  thread_set_subproc(s == &main_subproc ? nullptr : s);
}

}  // extern "C"
