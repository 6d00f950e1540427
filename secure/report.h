// The one place that reports a detected attack or corruption: one line on
// stderr, always of the shape
//   shardguard: <what was detected> at <address> (size class N, thread T)
// (N is the block size of the page, in bytes; T the kernel thread id), after
// telling the mi_register_error handler, if any; then abort(). Nothing here
// writes to heap memory, so a detection never corrupts the heap further.
#pragma once
#include <cerrno>
#include <cstddef>

namespace shardguard::secure {

// errno-style codes for the error handler, as mimalloc uses them.
inline constexpr int kErrDoubleFree = EAGAIN;
inline constexpr int kErrCorrupted = EFAULT;
inline constexpr int kErrInvalidPointer = EINVAL;

// `size_class` 0 means: not known (the pointer is not in a page of ours).
[[noreturn, gnu::cold, gnu::noinline]] void report_attack(int err, const char* what, const void* address, size_t size_class) noexcept;

}  // namespace shardguard::secure
