// Where the library's messages go: the function registered with
// mi_register_output, or stderr. Never allocates.
#pragma once

namespace shardguard::output {

using OutputFn = void(const char* msg, void* arg);

// nullptr restores stderr.
void set(OutputFn* fn, void* arg);
// Writes msg to the registered output (or stderr).
void message(const char* msg);
// Writes msg to `fn` when given, else as message() does.
void message_to(OutputFn* fn, void* arg, const char* msg);

}  // namespace shardguard::output
