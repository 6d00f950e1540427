// The one place that reports: a single line to stderr, "shardguard: ...".
// Never allocates.
#pragma once

namespace shardguard {

// Reports and aborts the process.
[[noreturn]] void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Reports (at most a few times per process) and returns.
void warning(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// An error the program made that the library survives (an invalid pointer
// passed to free, ...): tells the mi_register_error handler `err` (an errno
// value), then reports (at most max_errors times, with show_errors).
void error_message(int err, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// Writes a message without any decoration, to the mi_register_output
// function when one is registered, else to stderr.
void write_stderr(const char* msg);

// The handler of mi_register_error: told of a detected error (an errno value:
// EFAULT corruption, EAGAIN double free, EINVAL invalid pointer, ...) before
// the process aborts.
using ErrorFn = void(int err, void* arg);
void set_error_handler(ErrorFn* fn, void* arg);
void notify_error_handler(int err);

}  // namespace shardguard
