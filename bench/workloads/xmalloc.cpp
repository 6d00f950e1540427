// xmalloc — producers and consumers: producer threads allocate batches of
// blocks and queue them; consumer threads take batches, check them and free
// them. Every free is of a block another thread allocated, which is the case
// a thread-local allocator finds hardest.
//
// THREADS: split into producers and consumers (at least one of each, so one
// thread still runs two). SIZE: blocks in all.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "workload.h"

namespace {

constexpr const char* kName = "xmalloc";
constexpr size_t kBatch = 256;
constexpr size_t kMaxQueued = 64;  // batches: keeps the live size bounded

struct Item {
  void* p;
  uint32_t size;
  uint64_t tag;
};

// One batch is itself a malloc'd block: it too changes threads.
struct Batch {
  size_t count;
  Item items[kBatch];
};

class BatchQueue {
 public:
  void push(Batch* b) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return q_.size() < kMaxQueued; });
    q_.push_back(b);
    not_empty_.notify_one();
  }
  // nullptr once every producer is done and the queue is empty.
  Batch* pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !q_.empty() || producers_left_ == 0; });
    if (q_.empty()) return nullptr;
    Batch* b = q_.front();
    q_.pop_front();
    not_full_.notify_one();
    return b;
  }
  void set_producers(unsigned n) { producers_left_ = n; }
  void producer_done() {
    std::lock_guard lock(mu_);
    if (--producers_left_ == 0) not_empty_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<Batch*> q_;
  unsigned producers_left_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const wl::Args a = wl::parse_args(argc, argv, kName, 2, 2000000);
  const unsigned producers = a.threads >= 2 ? a.threads / 2 : 1;
  const unsigned consumers = a.threads >= 2 ? a.threads - producers : 1;
  const uint64_t batches_per_producer = (a.size + kBatch * producers - 1) / (kBatch * producers);
  BatchQueue queue;
  queue.set_producers(producers);
  std::vector<uint64_t> made_sum(producers, 0), seen_sum(consumers, 0), seen(consumers, 0);

  wl::Stopwatch clock;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < producers; ++t) {
    pool.emplace_back([&, t] {
      XorShift64 rng(0xA110C + t);
      uint64_t tag = uint64_t{t} << 48;
      for (uint64_t i = 0; i < batches_per_producer; ++i) {
        auto* batch = static_cast<Batch*>(std::malloc(sizeof(Batch)));
        if (!batch) wl::fail(kName, "malloc of a batch returned NULL", nullptr, i);
        batch->count = kBatch;
        for (Item& it : batch->items) {
          it.size = static_cast<uint32_t>(8 + rng.below(rng.below(16) == 0 ? 1024 : 120));
          it.tag = ++tag;
          it.p = std::malloc(it.size);
          if (!it.p) wl::fail(kName, "malloc returned NULL", nullptr, it.size);
          wl::stamp(it.p, it.size, it.tag);
          made_sum[t] += it.tag ^ it.size;
        }
        queue.push(batch);
      }
      queue.producer_done();
    });
  }
  for (unsigned t = 0; t < consumers; ++t) {
    pool.emplace_back([&, t] {
      while (Batch* batch = queue.pop()) {
        for (size_t i = 0; i < batch->count; ++i) {
          const Item& it = batch->items[i];
          seen_sum[t] += wl::verify(kName, it.p, it.size, it.tag);
          std::free(it.p);
        }
        seen[t] += batch->count;
        std::free(batch);
      }
    });
  }
  for (auto& th : pool) th.join();
  const double elapsed = clock.seconds();

  uint64_t made = 0, checked = 0, checked_sum = 0;
  for (uint64_t s : made_sum) made += s;
  for (unsigned t = 0; t < consumers; ++t) {
    checked += seen[t];
    checked_sum += seen_sum[t];
  }
  wl::expect_equal(kName, "blocks consumed", checked, batches_per_producer * producers * kBatch);
  wl::expect_equal(kName, "checksum of consumed blocks", checked_sum, made);
  wl::report(kName, a, elapsed, checked, checked_sum);
  return 0;
}
