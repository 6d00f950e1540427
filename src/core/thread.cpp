#include "core/thread.h"

#include <pthread.h>
#include <sched.h>

#include <atomic>

#include <shardguard/config.h>

#include "core/abandoned.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/meta_alloc.h"
#include "core/os.h"
#include "core/page.h"
#include "core/page_queue.h"
#include "core/segment.h"
#include "core/segment_cache.h"
#include "core/stats.h"
#include "core/thread_id.h"
#include "secure/random.h"
#include "secure/secrets.h"
#include "secure/quarantine.h"

namespace shardguard {

constinit thread_local Heap* tls_default_heap __attribute__((tls_model("initial-exec"))) = &heap_empty;

namespace {

pthread_key_t thread_key;
pthread_once_t process_once = PTHREAD_ONCE_INIT;

void on_thread_exit(void* value) {
  if (value) thread_done();
}

// fork: every lock of the allocator is held across fork, so the child finds
// each structure consistent and every lock free.
void before_fork() {
  arena::lock_before_fork();
  meta::lock_before_fork();
  abandoned::lock_before_fork();
  segment_cache::lock_before_fork();
}
void after_fork_parent() {
  segment_cache::unlock_after_fork(false);
  abandoned::unlock_after_fork(false);
  meta::unlock_after_fork(false);
  arena::unlock_after_fork(false);
}
std::atomic<bool> fork_child{false};

void after_fork_child() {
  fork_child.store(true, std::memory_order_relaxed);
  segment_cache::unlock_after_fork(true);
  abandoned::unlock_after_fork(true);
  meta::unlock_after_fork(true);
  arena::unlock_after_fork(true);
}

void process_init() {
  os::init();
  if constexpr (config::any_layer) secure::secrets_init();
  if (pthread_key_create(&thread_key, on_thread_exit) != 0) fatal("cannot create the thread-exit key");
}

// The fork handlers must be in place before any lock is first taken: a fork
// while another thread held a lock that no handler knew of would leave it
// held forever in the child. pthread_atfork may itself call malloc, which
// comes back here on the same thread: that nested call goes ahead (the
// registering thread holds no lock yet), every other thread waits.
enum AtforkState { kAtforkNone, kAtforkRegistering, kAtforkDone };
std::atomic<int> atfork_state{kAtforkNone};
constinit thread_local bool registering_atfork __attribute__((tls_model("initial-exec"))) = false;

void ensure_atfork_registered() {
  int state = atfork_state.load(std::memory_order_acquire);
  if (state == kAtforkDone) [[likely]] return;
  if (state == kAtforkNone && atfork_state.compare_exchange_strong(state, kAtforkRegistering, std::memory_order_acq_rel)) {
    registering_atfork = true;
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    registering_atfork = false;
    atfork_state.store(kAtforkDone, std::memory_order_release);
    return;
  }
  while (!registering_atfork && atfork_state.load(std::memory_order_acquire) != kAtforkDone) sched_yield();
}

}  // namespace

void thread_set_default_heap(Heap* heap) { tls_default_heap = heap; }

namespace {
// nullptr: the main sub-process.
constinit thread_local const void* tls_subproc __attribute__((tls_model("initial-exec"))) = nullptr;
}  // namespace

const void* thread_subproc() { return tls_subproc; }
void thread_set_subproc(const void* subproc) { tls_subproc = subproc; }

bool process_is_fork_child() { return fork_child.load(std::memory_order_relaxed); }

Heap* thread_init() {
  if (heap_is_initialized(tls_default_heap)) return tls_default_heap;
  pthread_once(&process_once, process_init);
  ensure_atfork_registered();
  if (heap_is_initialized(tls_default_heap)) return tls_default_heap;  // pthread_atfork allocated
  auto* tld = static_cast<ThreadData*>(meta::alloc(sizeof(ThreadData)));
  if (!tld) return nullptr;
  tld->thread_id = current_thread_id();
  if constexpr (config::any_layer) tld->rng = secure::os_random();
  heap_init(&tld->backing, tld, true);
  tls_default_heap = &tld->backing;
  stats::add(stats::threads, 1);
  pthread_setspecific(thread_key, tld);
  return tls_default_heap;
}

void thread_done() {
  Heap* heap = tls_default_heap;
  if (!heap_is_initialized(heap)) return;
  ThreadData* tld = heap->tld;
  Heap* backing = &tld->backing;
  if constexpr (config::quarantine) secure::quarantine_flush(tld);
  tls_default_heap = backing;
  // First-class heaps left alive hand their blocks to the backing heap.
  // (heaps are pushed at the front: the backing heap is the last one).
  while (tld->heaps != backing) heap_delete(tld->heaps);
  heap_stop_delayed_frees(backing);
  // Free what is empty; detach the rest from the heap, which goes away.
  heap_visit_pages(backing, [&](Page* page, PageQueue* pq) {
    page_collect(page, true);
    stats::page_sync(page);
    if (page->used == 0) {
      page_free(page, pq);
    } else {
      queue_remove(backing, pq, page);
      page->xheap.store(nullptr, std::memory_order_release);
    }
  });
  segments_abandon_all(tld);
  stats::merge_thread();
  tls_default_heap = &heap_empty;
  pthread_setspecific(thread_key, nullptr);
  meta::free(tld);
  stats::sub(stats::threads, 1);
}

}  // namespace shardguard
