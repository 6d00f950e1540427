#include "core/error.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include "core/options.h"
#include "core/output.h"

namespace shardguard {

namespace {

// Warnings and errors printed so far (limited by max_warnings, max_errors).
std::atomic<long> warnings_printed{0};
std::atomic<long> errors_printed{0};

std::atomic<ErrorFn*> error_handler{nullptr};
std::atomic<void*> error_handler_arg{nullptr};

void vreport(const char* fmt, va_list args) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "shardguard: ");
  n += vsnprintf(buf + n, sizeof buf - static_cast<size_t>(n) - 1, fmt, args);
  if (n > static_cast<int>(sizeof buf) - 2) n = static_cast<int>(sizeof buf) - 2;
  buf[n++] = '\n';
  buf[n] = '\0';
  output::message(buf);
}

}  // namespace

void write_stderr(const char* msg) { output::message(msg); }

void set_error_handler(ErrorFn* fn, void* arg) {
  error_handler_arg.store(arg, std::memory_order_relaxed);
  error_handler.store(fn, std::memory_order_release);
}

void notify_error_handler(int err) {
  ErrorFn* fn = error_handler.load(std::memory_order_acquire);
  if (fn) fn(err, error_handler_arg.load(std::memory_order_relaxed));
}

void fatal(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vreport(fmt, args);
  va_end(args);
  abort();
}

void error_message(int err, const char* fmt, ...) {
  notify_error_handler(err);
  if (!options::get(mi_option_show_errors) && !options::get(mi_option_verbose)) return;
  if (errors_printed.fetch_add(1, std::memory_order_relaxed) >= options::get(mi_option_max_errors)) return;
  va_list args;
  va_start(args, fmt);
  vreport(fmt, args);
  va_end(args);
}

void warning(const char* fmt, ...) {
  if (!options::get(mi_option_show_errors) && !options::get(mi_option_verbose)) return;
  if (warnings_printed.fetch_add(1, std::memory_order_relaxed) >= options::get(mi_option_max_warnings)) return;
  va_list args;
  va_start(args, fmt);
  vreport(fmt, args);
  va_end(args);
}

}  // namespace shardguard
