// Telling a memory checker which bytes the program may touch: with
// -DSHARDGUARD_TRACK=asan (a build with AddressSanitizer) through its manual
// poisoning interface, with -DSHARDGUARD_TRACK=valgrind through memcheck's
// client requests. A program using the mi_* API then gets the checker's
// precise report for a use after free, an overflow into the rest of a block
// or into a guard page, instead of whatever the bytes happen to hold.
//
// The calls: `allocated` and `freed` at a block's two transitions
// (block_state.h); `resized` when the program may use a block's first n
// bytes after a realloc in place or a question for its usable size;
// `no_access` for fresh blocks, the pages of a destroyed heap and guard
// pages; `reset` for memory that leaves the allocator or stops being a guard
// (AddressSanitizer's shadow must be clean for whoever maps it next).
//
// What the program owns: the `size` bytes it asked for, from the pointer it
// got (and up to the usable size once it asked for that). Everything else
// in a page - free blocks, the tail of a live block past the request (the
// canary), blocks never handed out, guard pages - is poisoned. The allocator
// opens what it reads or writes itself (a link, a free mark, the fill
// window) for just that access: `touch` and `untouch` around it.
//
// Without the option every function here is empty and inline: no code.
#pragma once
#include <cstddef>
#include <cstdint>

#if defined(SHARDGUARD_TRACK_ASAN)
#include <sanitizer/asan_interface.h>
#elif defined(SHARDGUARD_TRACK_VALGRIND)
#include <valgrind/memcheck.h>
#endif

// On a function that reads or writes memory the program does not own (a
// free block's link or mark, the fill window, the canary): AddressSanitizer
// leaves its accesses unchecked; under valgrind the function opens an
// `Internal` scope, in which memcheck reports nothing.
#if defined(SHARDGUARD_TRACK_ASAN)
#define SHARDGUARD_INTERNAL_ACCESS __attribute__((no_sanitize("address")))
#else
#define SHARDGUARD_INTERNAL_ACCESS
#endif

namespace shardguard::track {

#if defined(SHARDGUARD_TRACK_ASAN)
inline constexpr bool kOn = true;
inline void touch(const void* p, size_t n) { ASAN_UNPOISON_MEMORY_REGION(p, n); }
inline void untouch(const void* p, size_t n) { ASAN_POISON_MEMORY_REGION(p, n); }
inline void allocated(const void* p, size_t n, bool) { ASAN_UNPOISON_MEMORY_REGION(p, n); }
inline void freed(const void* p, size_t n) { ASAN_POISON_MEMORY_REGION(p, n); }
inline void resized(const void* block, size_t n, size_t block_size) {
  ASAN_UNPOISON_MEMORY_REGION(block, n);
  ASAN_POISON_MEMORY_REGION(static_cast<const char*>(block) + n, block_size - n);
}
inline void no_access(const void* p, size_t n) { ASAN_POISON_MEMORY_REGION(p, n); }
inline void reset(const void* p, size_t n) { ASAN_UNPOISON_MEMORY_REGION(p, n); }
#elif defined(SHARDGUARD_TRACK_VALGRIND)
inline constexpr bool kOn = true;
inline void touch(const void* p, size_t n) { VALGRIND_MAKE_MEM_DEFINED(p, n); }
inline void untouch(const void* p, size_t n) { VALGRIND_MAKE_MEM_NOACCESS(p, n); }
inline void allocated(const void* p, size_t n, bool zero) { VALGRIND_MALLOCLIKE_BLOCK(p, n, 0, zero); }
inline void freed(const void* p, size_t) { VALGRIND_FREELIKE_BLOCK(p, 0); }
// (The old size of the block is not known without canaries: memcheck's
// resize needs it. The block is registered again, its bytes defined.)
inline void resized(const void* block, size_t n, size_t) {
  VALGRIND_FREELIKE_BLOCK(block, 0);
  VALGRIND_MALLOCLIKE_BLOCK(block, n, 0, 1);
}
inline void no_access(const void* p, size_t n) { VALGRIND_MAKE_MEM_NOACCESS(p, n); }
inline void reset(const void*, size_t) {}
#else
inline constexpr bool kOn = false;
inline void touch(const void*, size_t) {}
inline void untouch(const void*, size_t) {}
inline void allocated(const void*, size_t, bool) {}
inline void freed(const void*, size_t) {}
inline void resized(const void*, size_t, size_t) {}
inline void no_access(const void*, size_t) {}
inline void reset(const void*, size_t) {}
#endif

// Under valgrind, memcheck reports nothing while one lives (it nests).
class Internal {
 public:
#if defined(SHARDGUARD_TRACK_VALGRIND)
  Internal() { VALGRIND_DISABLE_ERROR_REPORTING; }
  ~Internal() { VALGRIND_ENABLE_ERROR_REPORTING; }
#else
  Internal() {}  // (user-provided: a scope object, not an unused variable)
#endif
  Internal(const Internal&) = delete;
  Internal& operator=(const Internal&) = delete;
};

// A word the allocator read from a block that may be live, to compare with
// a secret: memcheck must not report the program's uninitialized bytes as
// the allocator's bug (the copy is defined; the block is left as it is).
inline uintptr_t defined(uintptr_t word) {
#if defined(SHARDGUARD_TRACK_VALGRIND)
  VALGRIND_MAKE_MEM_DEFINED(&word, sizeof word);
#endif
  return word;
}

// Opens [p, p+n) for the allocator's own access for as long as it lives.
class Touch {
 public:
  Touch(const void* p, size_t n) : p_(p), n_(n) { touch(p, n); }
  ~Touch() { untouch(p_, n_); }
  Touch(const Touch&) = delete;
  Touch& operator=(const Touch&) = delete;

 private:
  const void* p_;
  size_t n_;
};

}  // namespace shardguard::track
