#include "core/error.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace shardguard {

namespace {

constexpr int kMaxWarnings = 16;
std::atomic<int> warnings_left{kMaxWarnings};

void vreport(const char* fmt, va_list args) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "shardguard: ");
  n += vsnprintf(buf + n, sizeof buf - static_cast<size_t>(n) - 1, fmt, args);
  if (n > static_cast<int>(sizeof buf) - 2) n = static_cast<int>(sizeof buf) - 2;
  buf[n++] = '\n';
  buf[n] = '\0';
  write_stderr(buf);
}

}  // namespace

void write_stderr(const char* msg) {
  size_t len = strlen(msg);
  while (len > 0) {
    ssize_t w = write(STDERR_FILENO, msg, len);
    if (w <= 0) return;
    msg += w;
    len -= static_cast<size_t>(w);
  }
}

void fatal(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vreport(fmt, args);
  va_end(args);
  abort();
}

void warning(const char* fmt, ...) {
  if (warnings_left.fetch_sub(1, std::memory_order_relaxed) <= 0) return;
  va_list args;
  va_start(args, fmt);
  vreport(fmt, args);
  va_end(args);
}

}  // namespace shardguard
