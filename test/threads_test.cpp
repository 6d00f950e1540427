// Multi-threaded behaviour: cross-thread frees, thread churn and abandonment,
// randomized concurrent stress, per-thread heaps, fork.
// Iteration counts scale with SHARDGUARD_TEST_SCALE (lower under sanitizers).
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test_util.h"

using namespace sgtest;

namespace {

// Collects failures seen by worker threads; the main thread reports them.
class FailureLog {
 public:
  void record(const std::string& msg) {
    if (count_.fetch_add(1) == 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      first_ = msg;
    }
  }
  int count() const { return count_.load(); }
  std::string first() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return first_;
  }

 private:
  std::atomic<int> count_{0};
  mutable std::mutex mutex_;
  std::string first_;
};

#define EXPECT_NO_THREAD_FAILURES(log) \
  EXPECT_EQ((log).count(), 0) << "first failure: " << (log).first()

struct Item {
  void* p;
  size_t size;
  uint64_t seed;
};

std::string describe(const char* what, const Item& it, size_t bad) {
  return std::string(what) + ": block " + std::to_string(reinterpret_cast<uintptr_t>(it.p)) + " size " +
         std::to_string(it.size) + " corrupted at byte " + std::to_string(bad);
}

// Spins until `count` threads have arrived (all threads alive at once).
void arrive_and_wait(std::atomic<int>& arrived, int count) {
  arrived.fetch_add(1);
  while (arrived.load() < count) std::this_thread::yield();
}

}  // namespace

// ---------------------------------------------------------------- producer / consumer

TEST(Threads, BlocksAllocatedByProducersAndFreedByConsumersKeepTheirContents) {
  constexpr int kProducers = 2, kConsumers = 2;
  constexpr size_t kBatch = 256, kMaxQueued = 64;
  const size_t per_producer = scaled(1000000, 5000);

  std::mutex m;
  std::condition_variable not_empty, not_full;
  std::deque<std::vector<Item>> queue;
  int producers_left = kProducers;
  FailureLog fail;
  std::atomic<size_t> consumed{0};
  std::atomic<size_t> rss_warm{0};

  auto producer = [&](int id) {
    Rng rng(1000 + static_cast<uint64_t>(id));
    std::vector<Item> batch;
    batch.reserve(kBatch);
    for (size_t i = 0; i < per_producer; i++) {
      const size_t size = rng.chance(64) ? rng.range(257, 64 * KiB) : rng.range(1, 256);
      const uint64_t seed = (static_cast<uint64_t>(id) << 40) | i;
      void* p = mi_malloc(size);
      if (p == nullptr) {
        fail.record("mi_malloc returned NULL for size " + std::to_string(size));
        break;
      }
      fill_pattern(p, size, seed);
      batch.push_back({p, size, seed});
      if (batch.size() == kBatch) {
        std::unique_lock<std::mutex> lock(m);
        not_full.wait(lock, [&] { return queue.size() < kMaxQueued; });
        queue.push_back(std::move(batch));
        lock.unlock();
        not_empty.notify_one();
        batch = std::vector<Item>();
        batch.reserve(kBatch);
      }
      if (id == 0 && i == per_producer / 10) rss_warm = rss_bytes();
    }
    std::unique_lock<std::mutex> lock(m);
    if (!batch.empty()) queue.push_back(std::move(batch));
    producers_left--;
    lock.unlock();
    not_empty.notify_all();
  };
  auto consumer = [&] {
    for (;;) {
      std::vector<Item> batch;
      {
        std::unique_lock<std::mutex> lock(m);
        not_empty.wait(lock, [&] { return !queue.empty() || producers_left == 0; });
        if (queue.empty()) return;
        batch = std::move(queue.front());
        queue.pop_front();
      }
      not_full.notify_one();
      for (const Item& it : batch) {
        const size_t bad = check_pattern(it.p, it.size, it.seed);
        if (bad != npos) fail.record(describe("consumer", it, bad));
        mi_free(it.p);
      }
      consumed += batch.size();
    }
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < kProducers; i++) threads.emplace_back(producer, i);
  for (int i = 0; i < kConsumers; i++) threads.emplace_back(consumer);
  for (auto& t : threads) t.join();
  const size_t rss_end = rss_bytes();

  EXPECT_NO_THREAD_FAILURES(fail);
  EXPECT_EQ(consumed.load(), per_producer * kProducers);
  // Live memory is bounded by the queue; blocks freed by the consumers must be
  // reused by the producers rather than pile up.
  EXPECT_LE(rss_end, 2 * rss_warm.load() + rss_tolerance(64 * MiB, rss_warm.load()))
      << "RSS grew from " << rss_warm.load() / MiB << " MiB after 10% of the blocks to " << rss_end / MiB
      << " MiB at the end";
}

// ---------------------------------------------------------------- thread churn, abandonment

TEST(Threads, ShortLivedThreadsLeaveBlocksThatOutliveThemWithoutGrowingMemory) {
  const size_t total_threads = scaled(2000, 100);
  constexpr size_t kRounds = 10, kConcurrent = 8, kFromMain = 16, kPerThread = 64;
  const size_t per_round = total_threads / kRounds;
  FailureLog fail;
  size_t rss_warm = 0;
  uint64_t thread_index = 0;

  for (size_t round = 0; round < kRounds; round++) {
    for (size_t done = 0; done < per_round; done += kConcurrent) {
      std::vector<std::vector<Item>> from_main(kConcurrent), left_behind(kConcurrent);
      std::vector<std::thread> threads;
      for (size_t t = 0; t < kConcurrent; t++, thread_index++) {
        // blocks the main thread allocates and the short-lived thread frees
        for (size_t j = 0; j < kFromMain; j++) {
          const size_t size = 16 + (thread_index * 131 + j * 17) % 2000;
          const uint64_t seed = (thread_index << 24) | (1u << 20) | j;
          void* p = mi_malloc(size);
          if (p == nullptr) {
            fail.record("mi_malloc returned NULL in the main thread");
            continue;
          }
          fill_pattern(p, size, seed);
          from_main[t].push_back({p, size, seed});
        }
        threads.emplace_back([&, t, idx = thread_index] {
          for (const Item& it : from_main[t]) {
            const size_t bad = check_pattern(it.p, it.size, it.seed);
            if (bad != npos) fail.record(describe("block from main", it, bad));
            mi_free(it.p);
          }
          Rng rng(idx);
          for (size_t j = 0; j < kPerThread; j++) {
            size_t size = rng.range(8, 4096);
            if (j == 0 && idx % 10 == 0) size = 100 * KiB;
            if (j == 1 && idx % 25 == 0) size = 2 * MiB;
            const uint64_t seed = (idx << 24) | j;
            void* p = mi_malloc(size);
            if (p == nullptr) {
              fail.record("mi_malloc returned NULL in a short-lived thread");
              return;
            }
            fill_pattern(p, size, seed);
            if (j % 2 == 0 && j > 1)
              mi_free(p);
            else
              left_behind[t].push_back({p, size, seed});  // outlives the thread
          }
        });
      }
      for (auto& th : threads) th.join();
      // the threads are gone: their pages are abandoned; free what they left
      for (auto& blocks : left_behind) {
        for (const Item& it : blocks) {
          const size_t bad = check_pattern(it.p, it.size, it.seed);
          if (bad != npos) fail.record(describe("block of an exited thread", it, bad));
          mi_free(it.p);
        }
      }
    }
    if (round == 0) rss_warm = rss_bytes();
  }
  const size_t rss_end = rss_bytes();
  EXPECT_NO_THREAD_FAILURES(fail);
  EXPECT_LE(rss_end, 2 * rss_warm + rss_tolerance(32 * MiB, rss_warm))
      << "RSS grew from " << rss_warm / MiB << " MiB after the first round of threads to " << rss_end / MiB
      << " MiB after " << thread_index << " threads";
}

// Memory that short-lived threads leave behind, once freed, serves the
// threads that come after them: thread churn costs about the live set plus a
// bounded cache, not a multiple of the churn rate. (A build that kept each
// emptied segment with the thread that freed it for its whole purge delay
// held 60 MiB here.)
TEST(Threads, ThreadChurnReusesTheMemoryOfExitedThreads) {
  const size_t batches = scaled(400, 40);
  constexpr size_t kThreadsPerBatch = 10, kBlocks = 200;
  const size_t rss_before = rss_bytes();
  size_t rss_max = 0;
  for (size_t b = 0; b < batches; b++) {
    std::vector<std::vector<void*>> kept(kThreadsPerBatch);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < kThreadsPerBatch; t++) {
      threads.emplace_back([&kept, t] {
        for (size_t i = 0; i < kBlocks; i++) {
          const size_t size = (i * 97) % 3000 + 1;
          void* p = mi_malloc(size);
          ASSERT_NE(p, nullptr);
          std::memset(p, 1, size);
          if (i % 2) mi_free(p);
          else kept[t].push_back(p);  // freed by the main thread after this one exits
        }
      });
    }
    for (auto& th : threads) th.join();
    for (auto& blocks : kept)
      for (void* p : blocks) mi_free(p);
    rss_max = std::max(rss_max, rss_bytes());
  }
  // Under TSan the churn still runs (for races); its RSS is TSan's.
  const size_t allowed = rss_tolerance(24 * MiB, rss_before);
  if (!kThreadSanitizer) EXPECT_LE(rss_max, rss_before + allowed)
      << "RSS rose from " << rss_before / MiB << " MiB to " << rss_max / MiB << " MiB over "
      << batches * kThreadsPerBatch << " threads that each leave about 150 KiB behind";
}

TEST(Threads, LiveBlocksOfAnExitedThreadAreNeverHandedOutAgain) {
  constexpr int kThreads = 4;
  const size_t n = scaled(20000, 2000);
  std::vector<Item> survivors;
  std::thread owner([&] {
    for (size_t i = 0; i < n; i++) {
      const size_t size = 8 + (i * 8) % 2048;
      void* p = mi_malloc(size);
      if (p == nullptr) return;
      fill_pattern(p, size, i);
      if (i % 2)
        survivors.push_back({p, size, i});
      else
        mi_free(p);  // leave free room in the pages the thread abandons
    }
  });
  owner.join();
  ASSERT_EQ(survivors.size(), n / 2);

  // Other threads allocate the same sizes (likely reclaiming the abandoned
  // pages), scribble over what they get, and free a disjoint part of the
  // survivors while doing so.
  FailureLog fail;
  std::atomic<int> arrived{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; k++) {
    threads.emplace_back([&, k] {
      std::vector<void*> mine;
      for (size_t i = 0; i < n; i++) {
        const size_t size = 8 + (i * 8) % 2048;
        void* p = mi_malloc(size);
        if (p == nullptr) {
          fail.record("mi_malloc returned NULL");
          break;
        }
        std::memset(p, 0xCD, mi_usable_size(p));
        mine.push_back(p);
        const size_t s = i * kThreads * 2 + static_cast<size_t>(k);  // survivors this thread frees
        if (s < survivors.size()) {
          const size_t bad = check_pattern(survivors[s].p, survivors[s].size, survivors[s].seed);
          if (bad != npos) fail.record(describe("survivor freed by another thread", survivors[s], bad));
          mi_free(survivors[s].p);
        }
      }
      arrive_and_wait(arrived, kThreads);  // everyone's blocks are live together
      for (void* p : mine) mi_free(p);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_NO_THREAD_FAILURES(fail);
  for (size_t s = 0; s < survivors.size(); s++) {
    if (s % (kThreads * 2) < static_cast<size_t>(kThreads)) continue;  // freed above
    EXPECT_EQ(check_pattern(survivors[s].p, survivors[s].size, survivors[s].seed), npos)
        << "survivor " << s << " of the exited thread was overwritten";
    mi_free(survivors[s].p);
  }
}

// ---------------------------------------------------------------- randomized stress

namespace {

// Layout of a stress block: a header then a pattern derived from the seed.
struct StressHeader {
  uint64_t size;
  uint64_t seed;
  uint64_t alignment;  // 0 if not allocated aligned
};
constexpr size_t kHeader = sizeof(StressHeader);

size_t stress_size(Rng& rng) {
  const uint64_t r = rng.next() % 1000;
  if (r < 950) return rng.range(kHeader, 256);
  if (r < 995) return rng.range(257, 16 * KiB);
  if (r < 999) return rng.range(16 * KiB, 256 * KiB);
  return rng.range(256 * KiB, 1 * MiB);
}

void stress_fill(void* p, size_t size, uint64_t seed, uint64_t alignment, size_t from = kHeader) {
  StressHeader h{size, seed, alignment};
  std::memcpy(p, &h, kHeader);
  fill_pattern_range(p, from, size, seed);
}

// Returns an empty string if the block is intact.
std::string stress_verify(const void* p) {
  StressHeader h;
  std::memcpy(&h, p, kHeader);
  if (h.size < kHeader || h.size > 1 * MiB) return "header clobbered (size " + std::to_string(h.size) + ")";
  if (mi_usable_size(p) < h.size) return "usable size below the allocated size";
  if (h.alignment && !is_aligned(p, h.alignment)) return "aligned block lost its alignment";
  const size_t bad = check_pattern_range(p, kHeader, h.size, h.seed);
  if (bad != npos) return "byte " + std::to_string(bad) + " of " + std::to_string(h.size) + " corrupted";
  return {};
}

}  // namespace

TEST(Threads, RandomizedConcurrentOperationsKeepEveryLiveBlockIntact) {
  constexpr int kThreads = 4;
  constexpr size_t kSlots = 4096;
  const size_t ops = scaled(150000, 5000);
  std::vector<std::atomic<void*>> slots(kSlots);
  for (auto& s : slots) s.store(nullptr);
  FailureLog fail;

  auto worker = [&](int id) {
    Rng rng(0x5EED0000u + static_cast<uint64_t>(id));
    uint64_t counter = 0;
    auto new_seed = [&](size_t slot) { return (static_cast<uint64_t>(slot) << 40) ^ (static_cast<uint64_t>(id) << 32) ^ ++counter; };
    auto check_and_free = [&](void* p, const char* when) {
      std::string err = stress_verify(p);
      if (!err.empty()) fail.record(std::string(when) + ": " + err);
      mi_free(p);
    };
    for (size_t op = 0; op < ops; op++) {
      const size_t slot = rng.next() % kSlots;
      void* p = slots[slot].exchange(nullptr);  // we own the block now
      void* put = nullptr;
      if (p == nullptr) {
        const size_t size = stress_size(rng);
        uint64_t alignment = 0;
        if (rng.chance(16)) {
          alignment = size_t{16} << rng.range(0, 8);  // 16 .. 4096
          put = mi_malloc_aligned(size, alignment);
        } else if (rng.chance(8)) {
          put = mi_zalloc(size);
          if (put && first_nonzero(put, size) != npos) fail.record("mi_zalloc returned dirty memory");
        } else {
          put = mi_malloc(size);
        }
        if (put == nullptr) {
          fail.record("allocation of " + std::to_string(size) + " bytes returned NULL");
          continue;
        }
        stress_fill(put, size, new_seed(slot), alignment);
      } else {
        std::string err = stress_verify(p);
        if (!err.empty()) fail.record("before free/realloc: " + err);
        const uint64_t r = rng.next() % 4;
        if (r < 2) {
          mi_free(p);
        } else if (r == 2) {
          StressHeader old;
          std::memcpy(&old, p, kHeader);
          const size_t size = stress_size(rng);
          void* q = old.alignment ? mi_realloc_aligned(p, size, old.alignment) : mi_realloc(p, size);
          if (q == nullptr) {
            fail.record("realloc returned NULL");
            mi_free(p);
            continue;
          }
          const size_t keep = std::min<size_t>(old.size, size);
          const size_t bad = check_pattern_range(q, kHeader, keep, old.seed);
          if (bad != npos) fail.record("realloc " + std::to_string(old.size) + " -> " + std::to_string(size) +
                                       " lost byte " + std::to_string(bad));
          if (old.alignment && !is_aligned(q, old.alignment)) fail.record("realloc_aligned lost the alignment");
          stress_fill(q, size, new_seed(slot), old.alignment);
          put = q;
        } else {
          put = p;  // keep it
        }
      }
      if (put != nullptr) {
        void* displaced = slots[slot].exchange(put);
        if (displaced != nullptr) check_and_free(displaced, "displaced block");
      }
    }
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; i++) threads.emplace_back(worker, i);
  for (auto& t : threads) t.join();
  EXPECT_NO_THREAD_FAILURES(fail);
  size_t live = 0;
  for (auto& s : slots) {
    void* p = s.load();
    if (p == nullptr) continue;
    live++;
    std::string err = stress_verify(p);
    EXPECT_TRUE(err.empty()) << "block left in a slot: " << err;
    mi_free(p);
  }
  EXPECT_GT(live, 0u);
}

// ---------------------------------------------------------------- per-thread heaps

TEST(Threads, BlocksOfAThreadHeapCanBeFreedByAnotherThreadBeforeTheOwnerReleasesTheHeap) {
  constexpr int kOwners = 4;
  const size_t rounds = scaled(20, 3);
  constexpr size_t kBlocks = 10000;
  FailureLog fail;
  for (size_t round = 0; round < rounds; round++) {
    std::vector<std::vector<Item>> after_delete(kOwners);
    std::vector<std::thread> owners;
    for (int o = 0; o < kOwners; o++) {
      owners.emplace_back([&, o] {
        mi_heap_t* heap = mi_heap_new();
        if (heap == nullptr) {
          fail.record("mi_heap_new returned NULL");
          return;
        }
        Rng rng(round * 100 + static_cast<uint64_t>(o));
        std::vector<Item> given, kept;
        for (size_t i = 0; i < kBlocks; i++) {
          const size_t size = rng.chance(200) ? rng.range(8 * KiB, 512 * KiB) : rng.range(1, 600);
          void* p = mi_heap_malloc(heap, size);
          if (p == nullptr) {
            fail.record("mi_heap_malloc returned NULL");
            break;
          }
          fill_pattern(p, size, i);
          (i % 2 ? given : kept).push_back({p, size, i});
        }
        // another thread frees half of the heap's blocks
        std::thread freer([&] {
          for (const Item& it : given) {
            const size_t bad = check_pattern(it.p, it.size, it.seed);
            if (bad != npos) fail.record(describe("freer", it, bad));
            mi_free(it.p);
          }
        });
        // meanwhile the owner keeps allocating from its heap
        std::vector<void*> extra;
        for (size_t i = 0; i < kBlocks / 4; i++) {
          void* p = mi_heap_malloc(heap, 1 + i % 500);
          if (p) std::memset(p, 0x42, 1 + i % 500);
          extra.push_back(p);
        }
        freer.join();
        for (const Item& it : kept) {
          const size_t bad = check_pattern(it.p, it.size, it.seed);
          if (bad != npos) fail.record(describe("owner", it, bad));
        }
        if ((o + static_cast<int>(round)) % 2 == 0) {
          mi_heap_destroy(heap);  // releases kept and extra at once
        } else {
          for (void* p : extra) mi_free(p);
          mi_heap_delete(heap);  // kept blocks live on; main frees them
          after_delete[o] = std::move(kept);
        }
      });
    }
    for (auto& t : owners) t.join();
    for (auto& blocks : after_delete) {
      for (const Item& it : blocks) {
        const size_t bad = check_pattern(it.p, it.size, it.seed);
        if (bad != npos) fail.record(describe("block of a deleted heap", it, bad));
        mi_free(it.p);
      }
    }
  }
  EXPECT_NO_THREAD_FAILURES(fail);
}

// ---------------------------------------------------------------- fork

TEST(Threads, ForkedChildCanAllocateWhileOtherThreadsAreAllocating) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  struct StopWorkers {  // joins the workers however the test ends
    std::atomic<bool>& stop;
    std::vector<std::thread>& workers;
    ~StopWorkers() {
      stop = true;
      for (auto& t : workers) t.join();
    }
  } stop_workers{stop, workers};
  for (int w = 0; w < 2; w++) {
    workers.emplace_back([&, w] {
      Rng rng(77 + static_cast<uint64_t>(w));
      std::vector<void*> live(64, nullptr);
      while (!stop.load(std::memory_order_relaxed)) {
        const size_t i = rng.next() % live.size();
        mi_free(live[i]);
        live[i] = mi_malloc(rng.chance(100) ? rng.range(64 * KiB, 4 * MiB) : rng.range(1, 2000));
      }
      for (void* p : live) mi_free(p);
    });
  }
  const int forks = static_cast<int>(scaled(20, 4));
  for (int i = 0; i < forks; i++) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0) << "fork failed";
    if (pid == 0) {
      alarm(20);  // a deadlock in the child shows up as SIGALRM
      for (int j = 0; j < 20000; j++) {
        const size_t size = 1 + static_cast<size_t>(j) % 5000;
        void* p = mi_malloc(size);
        if (p == nullptr) _exit(2);
        std::memset(p, 1, size);
        if (j % 3) mi_free(p);
      }
      void* big = mi_malloc(8 * MiB);
      if (big == nullptr) _exit(3);
      std::memset(big, 2, 8 * MiB);
      mi_free(big);
      _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) {
      ADD_FAILURE() << "child " << i << " killed by signal " << WTERMSIG(status)
                    << (WTERMSIG(status) == SIGALRM ? " (deadlocked after fork)" : "");
    } else {
      EXPECT_EQ(WEXITSTATUS(status), 0) << "child " << i << " could not allocate";
    }
  }
}
