// Layer double_free: a free of a block that is already free is detected,
// deterministically, whichever thread freed it first and however long ago.
//
// Invariant: a block on any free list (page free, local_free, thread_free,
// a heap's delayed list, or threaded fresh by page_extend) carries the free
// mark in its second word; a block handed out does not (the mark is checked
// and cleared when the block leaves the free list). A free that finds the
// mark is a double free. The mark is secret and differs per block, so a
// program cannot plant it by accident (2^-64) or copy it from another block.
// A block that is handed out without the mark was on a free list twice:
// that is reported too, so a double free can never make two allocations
// return the same block.
#pragma once
#include <cstdint>

#include "core/types.h"
#include "secure/report.h"
#include "secure/secrets.h"
#include "core/track.h"

namespace shardguard::secure {

inline uintptr_t free_mark(const Block* block) { return secrets.free_cookie ^ reinterpret_cast<uintptr_t>(block); }
inline uintptr_t& mark_word(Block* block) { return reinterpret_cast<uintptr_t*>(block)[1]; }

SHARDGUARD_INTERNAL_ACCESS inline void mark_free(Block* block) {
  track::Internal internal;
  mark_word(block) = free_mark(block);
}

SHARDGUARD_INTERNAL_ACCESS inline bool is_marked_free(Block* block) {
  track::Internal internal;
  return track::defined(mark_word(block)) == free_mark(block);
}

inline void check_not_free(const Page* page, Block* block) {
  if (is_marked_free(block)) [[unlikely]] report_attack(kErrDoubleFree, "double free", block, page->block_size);
}

// The block leaves a free list to be handed out; the caller then clears
// the mark (block_hand_out).
SHARDGUARD_INTERNAL_ACCESS inline void check_marked(const Page* page, Block* block) {
  track::Internal internal;
  if (mark_word(block) != free_mark(block)) [[unlikely]] {
    report_attack(kErrCorrupted, "block handed out twice or its free mark overwritten (use after free)", block, page->block_size);
  }
}

}  // namespace shardguard::secure
