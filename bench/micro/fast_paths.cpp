// fast_paths — Google Benchmark microbenchmarks of an allocator's fast paths,
// run with the allocator preloaded (one binary for every policy and every
// other allocator, so they are measured by the same code):
//
//   malloc_free/SIZE         malloc then free of one size, same thread
//   remote_free/SIZE         free of blocks another thread allocated
//   realloc_in_place/SIZE    realloc between two sizes of one size class
//
// Each checks what it measures: a block must be writable, realloc must keep
// the first byte (a benchmark that measures a bug exits with status 2).
#include <benchmark/benchmark.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fast_paths: SELF-CHECK FAILED: %s\n", what);
  std::exit(2);
}

void malloc_free(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    auto* p = static_cast<char*>(std::malloc(size));
    if (!p) fail("malloc returned NULL");
    *p = 1;
    benchmark::DoNotOptimize(p);
    std::free(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(malloc_free)->Arg(16)->Arg(128)->Arg(1024)->Arg(8192);

// A helper thread that fills a batch of blocks on request, so the timed
// thread only frees (the remote free path: no allocation in the timed part).
class RemoteAllocator {
 public:
  explicit RemoteAllocator(size_t size) : size_(size), worker_([this] { loop(); }) {}
  ~RemoteAllocator() {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  // Blocks until the helper has allocated `n` blocks into `out`.
  void fill(std::vector<void*>& out, size_t n) {
    std::unique_lock lock(mu_);
    target_ = &out;
    want_ = n;
    cv_.notify_all();
    cv_.wait(lock, [&] { return target_ == nullptr; });
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return quit_ || target_ != nullptr; });
      if (quit_) return;
      target_->clear();
      for (size_t i = 0; i < want_; ++i) {
        auto* p = static_cast<char*>(std::malloc(size_));
        if (!p) fail("malloc returned NULL");
        *p = 7;
        target_->push_back(p);
      }
      target_ = nullptr;
      cv_.notify_all();
    }
  }
  size_t size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<void*>* target_ = nullptr;
  size_t want_ = 0;
  bool quit_ = false;
  std::thread worker_;
};

void remote_free(benchmark::State& state) {
  constexpr size_t kBatch = 4096;
  RemoteAllocator remote(static_cast<size_t>(state.range(0)));
  std::vector<void*> blocks;
  blocks.reserve(kBatch);
  for (auto _ : state) {
    state.PauseTiming();
    remote.fill(blocks, kBatch);
    state.ResumeTiming();
    for (void* p : blocks) {
      if (*static_cast<char*>(p) != 7) fail("remote block changed");
      std::free(p);
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(remote_free)->Arg(16)->Arg(128)->Arg(1024)->UseRealTime();

void realloc_in_place(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  auto* p = static_cast<char*>(std::malloc(size));
  if (!p) fail("malloc returned NULL");
  *p = 42;
  bool big = false;
  for (auto _ : state) {
    // Between SIZE and SIZE - SIZE/16: one size class in every allocator here.
    p = static_cast<char*>(std::realloc(p, big ? size - size / 16 : size));
    if (!p || *p != 42) fail("realloc lost the block");
    big = !big;
    benchmark::DoNotOptimize(p);
  }
  std::free(p);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(realloc_in_place)->Arg(128)->Arg(4096)->Arg(1 << 20);

}  // namespace

BENCHMARK_MAIN();
