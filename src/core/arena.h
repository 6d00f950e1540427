// Arenas: ranges of memory reserved up front (mi_reserve_os_memory,
// mi_reserve_huge_os_pages_*) or handed over by the program
// (mi_manage_os_memory), carved into segment-sized, segment-aligned chunks.
// A fixed table, no allocation; ids start at 1 (0 means "no arena").
#pragma once
#include <cstddef>

namespace shardguard::arena {

inline constexpr int kMaxArenas = 64;

// Registers [start, start + size); returns the new id, or 0 when the range
// holds no aligned chunk or the table is full.
int add(void* start, size_t size, bool exclusive, bool is_large, bool is_zero, int numa_node);
bool exists(int id);
// Whether any arena is registered (one relaxed load: the segment path asks).
bool any();
// The arena's start and size (as registered); nullptr for an unknown id.
void* area(int id, size_t* size);
// Whether p lies in some arena.
bool contains(const void* p);
// A chunk-aligned range of `size` bytes from arena `id`, or from any
// non-exclusive arena when id is 0; nullptr when none has room. `*is_zero`
// tells whether the memory reads as zero.
void* alloc(int id, size_t size, bool* is_zero);
// Gives back a range from alloc; false when p is not arena memory.
bool free(void* p, size_t size);
// Writes one line per arena to the output (mi_arenas_print).
void print();

// fork: the arena table's lock is held across fork (thread.cpp).
void lock_before_fork();
void unlock_after_fork(bool in_child);

}  // namespace shardguard::arena
