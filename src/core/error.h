// The one place that reports: a single line to stderr, "shardguard: ...".
// Never allocates.
#pragma once

namespace shardguard {

// Reports and aborts the process.
[[noreturn]] void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Reports (at most a few times per process) and returns.
void warning(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Writes a message without any decoration.
void write_stderr(const char* msg);

}  // namespace shardguard
