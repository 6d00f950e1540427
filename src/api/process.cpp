// mimalloc API: process and thread life, process information, and where
// messages and errors go.
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "core/error.h"
#include "core/options.h"
#include "core/output.h"
#include "core/stats.h"
#include "core/thread.h"
#include "mimalloc.h"

using namespace shardguard;

namespace {

int64_t monotonic_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::atomic<int64_t> process_start_ms{0};
std::atomic<bool> process_done{false};

// Resident pages, from /proc/self/statm (no allocation).
size_t current_rss_bytes() {
  const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* s = buf;
  while (*s && *s != ' ') s++;
  return static_cast<size_t>(strtoull(s, nullptr, 10)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

size_t to_ms(const timeval& tv) {
  return static_cast<size_t>(tv.tv_sec) * 1000 + static_cast<size_t>(tv.tv_usec) / 1000;
}

void set(size_t* out, size_t value) {
  if (out) *out = value;
}

// At load: the clock of mi_process_info starts, and the options are read
// (and listed, with verbose >= 2). At exit: mi_process_done (show_stats).
__attribute__((constructor)) void on_load() {
  int64_t zero = 0;
  process_start_ms.compare_exchange_strong(zero, monotonic_ms());
  options::init_all();
  if (options::get(mi_option_verbose) >= 2) options::print_all();  // 1: the one-line banner only
}

__attribute__((destructor)) void on_unload() { mi_process_done(); }

}  // namespace

extern "C" {

void mi_process_init(void) noexcept {
  int64_t zero = 0;
  process_start_ms.compare_exchange_strong(zero, monotonic_ms());
  thread_default_heap_initialized();
}

// Runs once (at exit, or when the program calls it first): prints the
// statistics with show_stats (or verbose >= 2).
void mi_process_done(void) noexcept {
  if (process_done.exchange(true)) return;
  if (options::get(mi_option_show_stats) || options::get(mi_option_verbose) >= 2) mi_stats_print(nullptr);
}

void mi_thread_init(void) noexcept { thread_default_heap_initialized(); }

void mi_thread_done(void) noexcept { thread_done(); }

// Thread pools need nothing special here.
void mi_thread_set_in_threadpool(void) noexcept {}

void mi_process_info(size_t* elapsed_msecs, size_t* user_msecs, size_t* system_msecs, size_t* current_rss,
                     size_t* peak_rss, size_t* current_commit, size_t* peak_commit, size_t* page_faults) noexcept {
  const int64_t start = process_start_ms.load(std::memory_order_relaxed);
  set(elapsed_msecs, start ? static_cast<size_t>(monotonic_ms() - start) : 0);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  set(user_msecs, to_ms(ru.ru_utime));
  set(system_msecs, to_ms(ru.ru_stime));
  set(current_rss, current_rss_bytes());
  set(peak_rss, static_cast<size_t>(ru.ru_maxrss) * 1024);  // Linux reports KiB
  const stats::Snapshot snap = stats::committed_snapshot();
  set(current_commit, snap.current);
  set(peak_commit, snap.peak);
  set(page_faults, static_cast<size_t>(ru.ru_majflt));
}

void mi_register_output(mi_output_fun* out, void* arg) noexcept { output::set(out, arg); }

void mi_register_error(mi_error_fun* fun, void* arg) { set_error_handler(fun, arg); }

}  // extern "C"
