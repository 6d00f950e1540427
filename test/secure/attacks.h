// The misuses the hardening layers claim to stop, each as a small program
// with a switch: attack(true) commits the bug, attack(false) runs the same
// steps without it (and must run clean under every policy). Shared by the
// GoogleTest death tests (test/secure/*_test.cpp) and the misuse table
// (test/misuse/misuse.cpp), which runs each one under every policy.
#pragma once
#include <mimalloc.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include <shardguard/config.h>  // the build's fill window (SHARDGUARD_FILL_BYTES)

namespace attacks {

// Keeps the compiler from reasoning about the allocator calls.
inline void* opaque(void* p) {
  __asm__ volatile("" : "+r"(p)::"memory");
  return p;
}
inline void sink(volatile void* p) { __asm__ volatile("" ::"r"(p) : "memory"); }

// Churn of other sizes and of the same size: "delayed" frees.
inline void churn(size_t size, int rounds) {
  void* keep[64];
  for (int r = 0; r < rounds; r++) {
    for (auto& k : keep) k = opaque(malloc(size + static_cast<size_t>(r % 3) * 16));
    for (auto& k : keep) free(k);
  }
}

inline void double_free(size_t size, bool bug, bool delayed) {
  void* p = opaque(malloc(size));
  memset(p, 1, size);
  free(p);
  if (delayed) churn(size, 4);
  if (bug) free(p);
}

inline void double_free_immediate_small(bool bug) { double_free(24, bug, false); }
inline void double_free_delayed_small(bool bug) { double_free(24, bug, true); }
inline void double_free_immediate_medium(bool bug) { double_free(20000, bug, false); }
inline void double_free_delayed_medium(bool bug) { double_free(20000, bug, true); }
inline void double_free_immediate_large(bool bug) { double_free(200000, bug, false); }
inline void double_free_delayed_large(bool bug) { double_free(200000, bug, true); }
inline void double_free_huge(bool bug) { double_free(3 << 20, bug, false); }

// The first free from another thread, the second from the owner.
inline void double_free_cross_thread(size_t size, bool bug) {
  void* p = opaque(malloc(size));
  std::thread([p] { free(p); }).join();
  churn(size, 2);
  if (bug) free(p);
}
inline void double_free_cross_thread_small(bool bug) { double_free_cross_thread(48, bug); }
inline void double_free_cross_thread_medium(bool bug) { double_free_cross_thread(30000, bug); }
inline void double_free_cross_thread_large(bool bug) { double_free_cross_thread(150000, bug); }

// Both frees from other threads, the owner still alive.
inline void double_free_two_other_threads(bool bug) {
  void* p = opaque(malloc(96));
  std::thread([p] { free(p); }).join();
  if (bug) std::thread([p] { free(p); }).join();
}

// The thread that allocated has exited before either free.
inline void double_free_after_owner_exit(bool bug) {
  void* p = nullptr;
  std::thread([&p] { p = opaque(malloc(64)); }).join();
  free(p);
  if (bug) free(p);
}

inline void free_interior(bool bug) {
  auto* p = static_cast<char*>(opaque(malloc(64)));
  free(bug ? p + 16 : p);
  if (bug) free(p);
}

inline void free_misaligned(bool bug) {
  auto* p = static_cast<char*>(opaque(malloc(64)));
  free(bug ? p + 1 : p);
  if (bug) free(p);
}

inline void free_stack(bool bug) {
  char local[64];
  sink(local);
  void* p = opaque(malloc(64));
  free(bug ? opaque(local) : p);
  if (bug) free(p);
}

inline char global_buffer[64];
inline void free_global(bool bug) {
  void* p = opaque(malloc(64));
  free(bug ? opaque(global_buffer) : p);
  if (bug) free(p);
}

inline void free_foreign_mapping(bool bug) {
  void* m = mmap(nullptr, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* p = opaque(malloc(64));
  free(bug ? static_cast<char*>(m) + 64 : p);
  if (bug) free(p);
  munmap(m, 1 << 16);
}

// A pointer into the allocator's own segment header (the 4 MiB-aligned
// start of the segment holding a block).
inline void free_segment_header(bool bug) {
  auto* p = static_cast<char*>(opaque(malloc(64)));
  auto* header = reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t{(4 << 20) - 1});
  free(bug ? header + 64 : p);
  if (bug) free(p);
}

inline void realloc_freed(bool bug) {
  void* p = opaque(malloc(32));
  void* q = p;
  if (bug) free(p);
  q = realloc(q, 64);
  sink(q);
  if (!bug) free(q);
}

inline void usable_size_of_interior(bool bug) {
  auto* p = static_cast<char*>(opaque(malloc(100)));
  sink(reinterpret_cast<void*>(mi_usable_size(bug ? p + 8 : p)));
  free(p);
}

// A write into a freed block's link, then allocations of its size: the
// next allocations must not go where the attacker aimed.
// Allocates blocks of `size` until `freed` comes back (and one more, which
// follows its link), at most `limit`; frees them all.
inline void allocate_until_reused(size_t size, const void* freed, const void* target, int limit) {
  static void* held[100000];
  int n = 0, after = -1;
  for (; n < limit && n < 100000; n++) {
    held[n] = opaque(malloc(size));
    if (held[n] == target) abort();  // the attack worked: must never happen silently
    if (held[n] == freed && after < 0) after = 2;
    if (after >= 0 && after-- == 0) break;
  }
  for (int i = 0; i < n && i < 100000; i++) free(held[i]);
}

inline void overwrite_freed_link(bool bug) {
  static char target[256];
  void* blocks[32];
  for (auto& b : blocks) b = opaque(malloc(32));
  free(blocks[7]);
  if (bug) *static_cast<void**>(blocks[7]) = target + 16;
  allocate_until_reused(32, blocks[7], target + 16, 100000);
  for (int i = 0; i < 32; i++) {
    if (i != 7) free(blocks[i]);
  }
}

// A linear overflow from a live block across freed neighbours. In a heap of
// its own, so that the neighbours are this page's free blocks (not blocks
// of the test framework), and every one of them is handed out again.
inline void overflow_across_freed_neighbours(bool bug) {
  mi_heap_t* heap = mi_heap_new();
  void* blocks[16];
  for (auto& b : blocks) b = opaque(mi_heap_malloc(heap, 32));
  for (int i = 1; i < 16; i++) mi_free(blocks[i]);
  auto* p = static_cast<char*>(blocks[0]);
  memset(p, 'A', bug ? 32 * 8 : 32);
  for (int i = 0; i < 8192; i++) sink(opaque(mi_heap_malloc(heap, 32)));  // more than a page holds
  mi_free(p);
  mi_heap_destroy(heap);
}

inline void overflow_past(size_t size, size_t by, bool bug) {
  auto* p = static_cast<char*>(opaque(malloc(size)));
  memset(p, 'x', size);
  if (bug) memset(p + size, 'A', by);
  free(p);
}
inline void overflow_1_small(bool bug) { overflow_past(24, 1, bug); }
inline void overflow_8_small(bool bug) { overflow_past(40, 8, bug); }
inline void overflow_1_large(bool bug) { overflow_past(300000, 1, bug); }
inline void overflow_8_large(bool bug) { overflow_past(300000, 8, bug); }
inline void overflow_1_huge(bool bug) { overflow_past((1 << 20) + 3, 1, bug); }
inline void overflow_nul_small(bool bug) {  // the classic off-by-one: a terminating NUL
  auto* p = static_cast<char*>(opaque(malloc(16)));
  memcpy(p, "0123456789abcdef", bug ? 17 : 16);
  free(p);
}

// A linear overflow off the end of a huge block runs into a guard page.
inline void overflow_off_span_end(bool bug) {
  auto* p = static_cast<char*>(opaque(malloc(1 << 20)));
  memset(p, 'x', 1 << 20);
  const size_t end = mi_usable_size(p) + 64;  // past the block's slack
  for (size_t i = 1 << 20; i < (bug ? end + 8192 : (1u << 20)); i++) p[i] = 'A';
  free(p);
}

// The same after the block grew in place (realloc): the guard moved along.
inline void overflow_off_grown_span_end(bool bug) {
  constexpr size_t size = (5 << 20) + (300 << 10);
  auto* p = static_cast<char*>(opaque(malloc(5 << 20)));
  p = static_cast<char*>(opaque(realloc(p, size)));
  memset(p, 'x', size);
  for (size_t i = size; i < (bug ? size + 8192 : size); i++) p[i] = 'A';
  free(p);
}

inline void underflow_before_huge(bool bug) {
  auto* p = static_cast<char*>(opaque(malloc(2 << 20)));
  memset(p, 'x', 2 << 20);
  if (bug) static_cast<volatile char*>(p)[-1] = 'A';
  free(p);
}

inline void write_after_free(bool bug) {
  auto* p = static_cast<char*>(opaque(malloc(64)));
  free(p);
  // Into a field past the header, inside the fill window however small.
  constexpr size_t at = shardguard::config::fill_bytes > 40 ? 40 : shardguard::config::fill_bytes - 8;
  if (bug) p[at] = 'A';
  // Allocate until the block comes back (random order: it may take a while).
  allocate_until_reused(64, p, nullptr, 100000);
}

// A block smaller than the fill window (its last bytes sit in the window's
// last, overlapping 16-byte chunk).
inline void write_after_free_small(bool bug) {
  auto* p = static_cast<char*>(opaque(malloc(24)));
  free(p);
  if (bug) p[23] = 'A';
  allocate_until_reused(24, p, nullptr, 100000);
}

inline void sized_delete_wrong_size(bool bug) {
  void* p = opaque(::operator new(200));
  ::operator delete(p, bug ? 40 : 200);
}

inline void free_after_heap_destroy(bool bug) {
  mi_heap_t* heap = mi_heap_new();
  void* p = opaque(mi_heap_malloc(heap, 48));
  mi_heap_destroy(heap);
  if (bug) free(p);
}

}  // namespace attacks
