#include "core/stats.h"

#include <cstdio>
#include <cstring>

#include "core/block_state.h"
#include "core/heap.h"
#include "core/output.h"
#include "core/thread.h"

namespace shardguard::stats {

Counter reserved, segments, pages, huge, purges, threads, abandoned, reclaimed, cache_hits, metadata;

namespace {

// Process totals of allocated blocks, per bin (huge blocks: kBinHuge).
struct BinTotals {
  Counter blocks;
  Counter bytes;
  std::atomic<int64_t> allocated{0};
  std::atomic<int64_t> freed{0};
};
BinTotals bins[kBinCount];
Counter allocated_bytes;  // all bins

// A thread merges once its unmerged bytes exceed this, so the process
// totals (and their peak) are never further off than this per thread.
constexpr int64_t kMergeBytes = 256 * 1024;

void update_peak(Counter& c, int64_t now) {
  int64_t peak = c.peak.load(std::memory_order_relaxed);
  while (now > peak && !c.peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

void apply(size_t bin, const BinStatDelta& d) {
  BinTotals& t = bins[bin];
  if (d.blocks) update_peak(t.blocks, t.blocks.current.fetch_add(d.blocks, std::memory_order_relaxed) + d.blocks);
  if (d.bytes) {
    update_peak(t.bytes, t.bytes.current.fetch_add(d.bytes, std::memory_order_relaxed) + d.bytes);
    update_peak(allocated_bytes, allocated_bytes.current.fetch_add(d.bytes, std::memory_order_relaxed) + d.bytes);
  }
  if (d.allocated) {
    t.allocated.fetch_add(d.allocated, std::memory_order_relaxed);
    t.blocks.total.fetch_add(d.allocated, std::memory_order_relaxed);
  }
  if (d.freed) t.freed.fetch_add(d.freed, std::memory_order_relaxed);
}

// The calling thread's pending counts; nullptr before it has a heap (then
// changes go straight to the process totals).
ThreadStats* thread_stats() {
  Heap* heap = thread_default_heap();
  return heap->tld ? &heap->tld->stats : nullptr;
}

size_t bin_of_page(const Page* page) {
  return page->block_size > kLargeObjMax ? kBinHuge : bin_of(page->block_size);
}

void account(const Page* page, int64_t blocks, int64_t bytes) {
  if (blocks == 0 && bytes == 0) return;
  const size_t bin = bin_of_page(page);
  BinStatDelta d{blocks, bytes, blocks > 0 ? blocks : 0, blocks < 0 ? -blocks : 0};
  ThreadStats* ts = thread_stats();
  if (!ts) {
    apply(bin, d);
    return;
  }
  BinStatDelta& mine = ts->bins[bin];
  mine.blocks += d.blocks;
  mine.bytes += d.bytes;
  mine.allocated += d.allocated;
  mine.freed += d.freed;
  ts->pending_bytes += bytes < 0 ? -bytes : bytes;
  if (ts->pending_bytes > kMergeBytes) merge_thread();
}

}  // namespace

void add(Counter& c, int64_t amount) {
  int64_t now = c.current.fetch_add(amount, std::memory_order_relaxed) + amount;
  c.total.fetch_add(amount, std::memory_order_relaxed);
  update_peak(c, now);
}

void sub(Counter& c, int64_t amount) { c.current.fetch_sub(amount, std::memory_order_relaxed); }

void page_sync(Page* page) {
  const uint32_t live = page_live_blocks(page);
  const int64_t delta = static_cast<int64_t>(live) - static_cast<int64_t>(page->stat_used);
  if (delta == 0) return;
  page->stat_used = live;
  account(page, delta, delta * static_cast<int64_t>(page->block_size));
}

void page_release(Page* page) {
  const int64_t gone = page->stat_used;
  if (gone == 0) return;
  page->stat_used = 0;
  account(page, -gone, -gone * static_cast<int64_t>(page->block_size));
}

void page_resized(Page* page, size_t old_size) {
  const int64_t change = (static_cast<int64_t>(page->block_size) - static_cast<int64_t>(old_size)) * page->stat_used;
  if (change) account(page, 0, change);
}

void merge_thread() {
  ThreadStats* ts = thread_stats();
  if (!ts) return;
  for (size_t bin = 0; bin < kBinCount; bin++) {
    BinStatDelta& d = ts->bins[bin];
    if (d.blocks || d.bytes || d.allocated || d.freed) apply(bin, d);
    d = BinStatDelta{};
  }
  ts->pending_bytes = 0;
}

void sync_and_merge_thread() {
  if (Heap* heap = thread_default_heap(); heap_is_initialized(heap)) {
    for (Heap* h = heap->tld->heaps; h; h = h->next) heap_visit_pages(h, [](Page* page, PageQueue*) { page_sync(page); });
  }
  merge_thread();
}

void reset() {
  sync_and_merge_thread();
  auto rebase = [](Counter& c) {
    const int64_t now = c.current.load(std::memory_order_relaxed);
    c.peak.store(now, std::memory_order_relaxed);
    c.total.store(0, std::memory_order_relaxed);
  };
  for (Counter* c : {&reserved, &segments, &pages, &huge, &purges, &threads, &abandoned, &reclaimed, &cache_hits,
                     &metadata, &allocated_bytes}) {
    rebase(*c);
  }
  for (BinTotals& t : bins) {
    rebase(t.blocks);
    rebase(t.bytes);
    t.allocated.store(0, std::memory_order_relaxed);
    t.freed.store(0, std::memory_order_relaxed);
  }
}

Snapshot committed_snapshot() {
  return Snapshot{static_cast<size_t>(reserved.current.load(std::memory_order_relaxed)),
                  static_cast<size_t>(reserved.peak.load(std::memory_order_relaxed))};
}

Snapshot allocated_snapshot() {
  sync_and_merge_thread();
  const int64_t now = allocated_bytes.current.load(std::memory_order_relaxed);
  const int64_t peak = allocated_bytes.peak.load(std::memory_order_relaxed);
  return Snapshot{now < 0 ? 0 : static_cast<size_t>(now), peak < 0 ? 0 : static_cast<size_t>(peak)};
}

namespace {

struct Printer {
  OutputFn* out;
  void* arg;
  void operator()(const char* fmt, auto... args) const {
    char buf[200];
    snprintf(buf, sizeof buf, fmt, args...);
    if (out) out(buf, arg);
    else output::message(buf);
  }
};

double mib(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

int64_t now(const Counter& c) { return c.current.load(std::memory_order_relaxed); }
int64_t peak(const Counter& c) { return c.peak.load(std::memory_order_relaxed); }
int64_t total(const Counter& c) { return c.total.load(std::memory_order_relaxed); }

void gauge_bytes(const Printer& p, const char* name, const Counter& c) {
  p("  %-14s %12.2f MiB %12.2f MiB %12.2f MiB\n", name, mib(now(c)), mib(peak(c)), mib(total(c)));
}
void gauge_count(const Printer& p, const char* name, const Counter& c) {
  p("  %-14s %16lld %16lld %16lld\n", name, static_cast<long long>(now(c)), static_cast<long long>(peak(c)),
    static_cast<long long>(total(c)));
}
void event_count(const Printer& p, const char* name, const Counter& c) {
  p("  %-14s %16s %16s %16lld\n", name, "", "", static_cast<long long>(total(c)));
}

}  // namespace

void print(OutputFn* out, void* arg) {
  sync_and_merge_thread();
  const Printer p{out, arg};
  p("shardguard statistics (process-wide):\n");
  p("  %-14s %16s %16s %16s\n", "", "current", "peak", "total");
  gauge_bytes(p, "allocated", allocated_bytes);
  gauge_bytes(p, "reserved", reserved);
  gauge_bytes(p, "committed", reserved);
  gauge_bytes(p, "metadata", metadata);
  gauge_count(p, "segments", segments);
  gauge_count(p, "pages", pages);
  gauge_count(p, "huge blocks", huge);
  gauge_count(p, "threads", threads);
  gauge_count(p, "abandoned", abandoned);
  event_count(p, "purges", purges);
  event_count(p, "reclaimed", reclaimed);
  event_count(p, "cache hits", cache_hits);
  p("allocated blocks per size bin:\n");
  p("  %-14s %12s %12s %12s %12s %14s\n", "block size", "current", "peak", "allocated", "freed", "bytes now");
  for (size_t bin = 0; bin < kBinCount; bin++) {
    const BinTotals& t = bins[bin];
    const int64_t allocated = t.allocated.load(std::memory_order_relaxed);
    if (allocated == 0 && now(t.blocks) == 0) continue;
    char size[24];
    if (bin == kBinHuge) snprintf(size, sizeof size, "huge");
    else snprintf(size, sizeof size, "%zu", bin_block_size(bin) - kBlockExtra);  // usable bytes, as mi_good_size
    p("  %-14s %12lld %12lld %12lld %12lld %14lld\n", size, static_cast<long long>(now(t.blocks)),
      static_cast<long long>(peak(t.blocks)), static_cast<long long>(allocated),
      static_cast<long long>(t.freed.load(std::memory_order_relaxed)), static_cast<long long>(now(t.bytes)));
  }
}

void print_thread(OutputFn* out, void* arg) {
  const Printer p{out, arg};
  Heap* heap = thread_default_heap();
  if (!heap_is_initialized(heap)) {
    p("shardguard statistics (this thread): no heap yet\n");
    return;
  }
  // The thread's own pages, counted directly.
  int64_t blocks[kBinCount] = {};
  int64_t bytes[kBinCount] = {};
  int64_t page_count[kBinCount] = {};
  for (Heap* h = heap->tld->heaps; h; h = h->next) {
    heap_visit_pages(h, [&](Page* page, PageQueue*) {
      const size_t bin = bin_of_page(page);
      blocks[bin] += page_live_blocks(page);
      bytes[bin] += static_cast<int64_t>(page_live_blocks(page)) * static_cast<int64_t>(page->block_size);
      page_count[bin]++;
    });
  }
  p("shardguard statistics (this thread's heaps):\n");
  p("  %-14s %12s %12s %14s\n", "block size", "pages", "blocks", "bytes");
  int64_t all = 0;
  for (size_t bin = 0; bin < kBinCount; bin++) {
    if (page_count[bin] == 0) continue;
    all += bytes[bin];
    char size[24];
    if (bin == kBinHuge) snprintf(size, sizeof size, "huge");
    else snprintf(size, sizeof size, "%zu", bin_block_size(bin) - kBlockExtra);  // usable bytes, as mi_good_size
    p("  %-14s %12lld %12lld %14lld\n", size, static_cast<long long>(page_count[bin]), static_cast<long long>(blocks[bin]),
      static_cast<long long>(bytes[bin]));
  }
  p("  %-14s %12s %12s %14lld\n", "total", "", "", static_cast<long long>(all));
}

}  // namespace shardguard::stats
