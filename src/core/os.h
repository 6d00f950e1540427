// The only place that talks to the kernel about memory.
// Every function keeps errno as it was: free() must not change errno.
#pragma once
#include <cstddef>
#include <cstdint>

namespace shardguard::os {

void init();
// Fresh, zeroed, read-write memory; nullptr on failure.
void* alloc(size_t size);
// As alloc, with the start aligned to `alignment` (a power of two).
void* alloc_aligned(size_t size, size_t alignment);
void free(void* p, size_t size);
// Give the physical pages back; the range stays mapped and reads as zero.
void purge(void* p, size_t size);
// Makes a range inaccessible (a guard) or read-write again.
void protect(void* p, size_t size, bool accessible);
// A random address hint for the next alloc_aligned (0: let the kernel choose).
void set_placement_hint(uintptr_t hint);
// `size` bytes (a multiple of 1 GiB) backed by 1 GiB huge pages, aligned to
// 1 GiB; nullptr when the system has none to give (the usual case).
void* alloc_huge_1g(size_t size);
// A cheap monotonic clock in milliseconds (coarse: a few ms resolution).
int64_t now_ms();

}  // namespace shardguard::os
