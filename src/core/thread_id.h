// A cheap, unique id of the running thread: its thread-pointer register.
#pragma once
#include <cstdint>

namespace shardguard {

inline uintptr_t current_thread_id() {
#if defined(__x86_64__)
  uintptr_t tp;
  __asm__("movq %%fs:0, %0" : "=r"(tp));
  return tp;
#else
  return reinterpret_cast<uintptr_t>(__builtin_thread_pointer());
#endif
}

}  // namespace shardguard
