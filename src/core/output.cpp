#include "core/output.h"

#include <unistd.h>

#include <atomic>
#include <cstring>

namespace shardguard::output {

namespace {

std::atomic<OutputFn*> registered{nullptr};
std::atomic<void*> registered_arg{nullptr};

// A registered output that itself calls into the library and reports again
// would recurse: nested messages on the same thread go to stderr instead.
constinit thread_local bool in_output __attribute__((tls_model("initial-exec"))) = false;

void write_raw(const char* msg) {
  size_t len = strlen(msg);
  while (len > 0) {
    const ssize_t w = write(STDERR_FILENO, msg, len);
    if (w <= 0) return;
    msg += w;
    len -= static_cast<size_t>(w);
  }
}

}  // namespace

void set(OutputFn* fn, void* arg) {
  registered_arg.store(arg, std::memory_order_relaxed);
  registered.store(fn, std::memory_order_release);
}

void message_to(OutputFn* fn, void* arg, const char* msg) {
  if (!fn) {
    fn = registered.load(std::memory_order_acquire);
    arg = registered_arg.load(std::memory_order_relaxed);
  }
  if (!fn || in_output) {
    write_raw(msg);
    return;
  }
  in_output = true;
  fn(msg, arg);
  in_output = false;
}

void message(const char* msg) { message_to(nullptr, nullptr, msg); }

}  // namespace shardguard::output
