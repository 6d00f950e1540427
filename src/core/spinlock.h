// A tiny lock for the slow paths (segment cache, abandoned list, metadata
// pool). Never taken on the malloc/free fast path. No allocation, no libc,
// so it is safe before start-up is complete and can be reset after fork.
#pragma once
#include <atomic>
#include <sched.h>

namespace shardguard {

class SpinLock {
 public:
  void lock() {
    while (flag_.exchange(true, std::memory_order_acquire)) {
      while (flag_.load(std::memory_order_relaxed)) sched_yield();
    }
  }
  void unlock() { flag_.store(false, std::memory_order_release); }
  // Only in the child after fork: the thread that held it is gone.
  void reset() { flag_.store(false, std::memory_order_relaxed); }

 private:
  std::atomic<bool> flag_{false};
};

class SpinGuard {
 public:
  explicit SpinGuard(SpinLock& l) : lock_(l) { lock_.lock(); }
  ~SpinGuard() { lock_.unlock(); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  SpinLock& lock_;
};

}  // namespace shardguard
