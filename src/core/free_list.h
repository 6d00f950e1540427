// Reading and writing the link word of a free block. All code that walks or
// builds a free list goes through these two functions, so the encrypted
// free-list layer (secure/encrypted_links.h) sees every link.
#pragma once
#include <shardguard/config.h>

#include "core/types.h"
#include "secure/block_check.h"
#include "secure/encrypted_links.h"
#include "secure/report.h"
#include "core/track.h"

namespace shardguard {

SHARDGUARD_INTERNAL_ACCESS inline Block* block_next(const Page* page, const Block* block) {
  track::Internal internal;
  if constexpr (config::encrypt_freelist) {
    auto* next = static_cast<Block*>(secure::link_decode(page->keys, reinterpret_cast<uintptr_t>(block->next)));
    if (next && !secure::page_is_block_start(page, next)) [[unlikely]] {
      secure::report_attack(secure::kErrCorrupted, "corrupted free-list link in a freed block", block, page->block_size);
    }
    return next;
  } else {
    return block->next;
  }
}

SHARDGUARD_INTERNAL_ACCESS inline void block_set_next(const Page* page, Block* block, const Block* next) {
  track::Internal internal;
  if constexpr (config::encrypt_freelist) {
    block->next = reinterpret_cast<Block*>(secure::link_encode(page->keys, next));
  } else {
    block->next = const_cast<Block*>(next);
  }
}

}  // namespace shardguard
