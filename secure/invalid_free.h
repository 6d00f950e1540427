// Layer invalid_free: free(), realloc() and malloc_usable_size() of a pointer
// that is not the start of a live block of ours is detected, not ignored and
// not rounded down: a pointer outside our segments (stack, globals, another
// mapping, glibc's heap), into a segment header, into a free page slot (a
// destroyed heap, a double free after the page emptied), or inside a block.
//
// Aligned allocations hand out interior pointers: the block's first word
// then records the pointer (XOR-ed with a secret), and only that pointer is
// accepted for the block.
#pragma once
#include <cstdint>

#include <shardguard/config.h>

#include "core/types.h"
#include "secure/block_check.h"
#include "secure/report.h"
#include "secure/secrets.h"

namespace shardguard::secure {

inline uintptr_t aligned_tag(const void* p) { return secrets.aligned_tag ^ reinterpret_cast<uintptr_t>(p); }

// Called by aligned allocation, `p` at least 8 bytes into `block`.
inline void tag_interior_pointer(Block* block, const void* p) { *reinterpret_cast<uintptr_t*>(block) = aligned_tag(p); }

// "invalid free() of ..." / "invalid realloc() of ..." and so on.
[[noreturn, gnu::cold, gnu::noinline]] void report_invalid(const char* function, const char* what, const void* p, size_t size_class) noexcept;

// The block that `p` (passed to `function`) designates, or a report.
inline Block* checked_block(const Page* page, const void* p, const char* function) {
  if (page_has(page, kPageNotInUse)) [[unlikely]] {
    if constexpr (config::double_free) report_attack(kErrDoubleFree, "double free", p, page->block_size ? page->block_size : 1);
    report_invalid(function, "a block in a freed page (double free, or a heap destroyed)", p, page->block_size ? page->block_size : 1);
  }
  if (page_is_block_start(page, p)) [[likely]] return const_cast<Block*>(static_cast<const Block*>(p));
  const uintptr_t offset = reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(page->area);
  if (page_has(page, kPageHasAligned) && offset < page->area_used) {
    auto* block = reinterpret_cast<Block*>(page->area + page_block_index(page, offset) * page->block_size);
    if (static_cast<const uint8_t*>(p) - reinterpret_cast<uint8_t*>(block) >= 8 &&
        *reinterpret_cast<const uintptr_t*>(block) == aligned_tag(p)) {
      return block;
    }
  }
  report_invalid(function, "a pointer that is not the start of a block", p, page->block_size);
}

}  // namespace shardguard::secure
