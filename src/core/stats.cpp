#include "core/stats.h"

#include <cstdio>

#include "core/error.h"

namespace shardguard::stats {

Counter reserved, segments, pages, huge, purges, threads, abandoned, reclaimed, cache_hits;

void add(Counter& c, int64_t amount) {
  int64_t now = c.current.fetch_add(amount, std::memory_order_relaxed) + amount;
  c.total.fetch_add(amount, std::memory_order_relaxed);
  int64_t peak = c.peak.load(std::memory_order_relaxed);
  while (now > peak && !c.peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

void sub(Counter& c, int64_t amount) { c.current.fetch_sub(amount, std::memory_order_relaxed); }

namespace {

// A gauge (bytes or objects in use) shows current and peak; an event
// counter only its total.
void line(OutputFn* out, void* arg, const char* name, const Counter& c, bool bytes, bool gauge) {
  char buf[160];
  const double unit = bytes ? 1024.0 * 1024.0 : 1.0;
  const char* suffix = bytes ? " MiB" : "";
  const auto value = [&](const std::atomic<int64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)) / unit; };
  if (gauge) {
    snprintf(buf, sizeof buf, "  %-12s current %10.2f%s  peak %10.2f%s\n", name, value(c.current), suffix, value(c.peak), suffix);
  } else {
    snprintf(buf, sizeof buf, "  %-12s total   %10.0f\n", name, value(c.total));
  }
  out(buf, arg);
}

void to_stderr(const char* msg, void*) { write_stderr(msg); }

}  // namespace

void print(OutputFn* out, void* arg) {
  if (!out) out = to_stderr;
  out("shardguard statistics (process-wide):\n", arg);
  line(out, arg, "reserved", reserved, true, true);
  line(out, arg, "segments", segments, false, true);
  line(out, arg, "pages", pages, false, true);
  line(out, arg, "huge blocks", huge, false, true);
  line(out, arg, "threads", threads, false, true);
  line(out, arg, "abandoned", abandoned, false, true);
  line(out, arg, "purges", purges, false, false);
  line(out, arg, "reclaimed", reclaimed, false, false);
  line(out, arg, "cache hits", cache_hits, false, false);
}

}  // namespace shardguard::stats
