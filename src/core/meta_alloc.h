// Memory for allocator metadata that lives outside segments (heaps and
// per-thread data): fixed-size slots from OS memory, never from a heap, so
// metadata is never next to user blocks.
#pragma once
#include <cstddef>

namespace shardguard::meta {

// Zeroed memory of at least `size` bytes (size <= slot size), or nullptr.
void* alloc(size_t size);
void free(void* p);

// fork: hold the lock across fork so the child sees a consistent pool.
void lock_before_fork();
void unlock_after_fork(bool in_child);

}  // namespace shardguard::meta
