#include "secure/report.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "core/error.h"
#include "secure/invalid_free.h"

namespace shardguard::secure {

void report_attack(int err, const char* what, const void* address, size_t size_class) noexcept {
  notify_error_handler(err);
  char line[256];
  const long tid = syscall(SYS_gettid);
  if (size_class != 0) {
    snprintf(line, sizeof line, "shardguard: %s at %p (size class %zu, thread %ld)\n", what, address, size_class, tid);
  } else {
    snprintf(line, sizeof line, "shardguard: %s at %p (size class unknown, thread %ld)\n", what, address, tid);
  }
  write_stderr(line);
  abort();
}

}  // namespace shardguard::secure

namespace shardguard::secure {

void report_invalid(const char* function, const char* what, const void* p, size_t size_class) noexcept {
  char line[160];
  snprintf(line, sizeof line, "invalid %s() of %s", function, what);
  report_attack(kErrInvalidPointer, line, p, size_class);
}

}  // namespace shardguard::secure
