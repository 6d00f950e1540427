// The C++ runtime, seen from a library that must also load into C programs:
// every libstdc++ symbol the throwing operator new and the mi_new family use
// is a weak reference (libshardguard.so NEEDs only libc). Only a C++
// program calls them, and its runtime is then loaded; cxx_runtime_loaded()
// tells the other case (a C program calling a mangled operator by hand).
// Included by src/override/new_delete.cpp and src/api/new.cpp only.
#pragma once
#include <new>

__asm__(
    ".weak _ZSt15get_new_handlerv\n"
    ".weak _ZNSt9bad_allocD1Ev\n"
    ".weak _ZTISt9bad_alloc\n"
    ".weak _ZTVSt9bad_alloc\n"
    ".weak __cxa_allocate_exception\n"
    ".weak __cxa_begin_catch\n"
    ".weak __cxa_end_catch\n"
    ".weak __cxa_throw\n"
    ".weak __gxx_personality_v0\n");

extern "C" std::new_handler sg_cxx_get_new_handler() noexcept __asm__("_ZSt15get_new_handlerv");

namespace shardguard {

inline bool cxx_runtime_loaded() {
  std::new_handler (*getter)() noexcept = &sg_cxx_get_new_handler;
  __asm__("" : "+r"(getter));  // the weak symbol may be null: keep the test
  return getter != nullptr;
}

}  // namespace shardguard
