// A block's two transitions, free -> live (block_hand_out) and live -> free
// (block_release): the points where the hardening layers check and mark
// every block. With every layer off both compile to nothing.
#pragma once
#include <cstring>

#include <shardguard/config.h>

#include "core/track.h"
#include "core/types.h"
#include "secure/canary.h"
#include "secure/double_free.h"
#include "secure/fill.h"
#include "secure/malloc_hooks.h"

namespace shardguard {

// Bytes added to every request so the canary and the size record fit.
inline constexpr size_t kBlockExtra = config::canaries ? secure::kCanaryExtra : 0;

inline void block_zero(const Page* page, Block* block) {
  if (page->free_is_zero) {
    block->next = nullptr;  // the rest of a fresh block is already zero
    if constexpr (config::double_free) secure::mark_word(block) = 0;
  } else if (config::fill_check && page->block_size <= secure::kFillMaxBlock) {
    // The fill window is zero (verified, header cleared): zero the rest.
    if (page->block_size > secure::kFillBytes) {
      memset(reinterpret_cast<uint8_t*>(block) + secure::kFillBytes, 0, page->block_size - secure::kFillBytes);
    }
  } else {
    memset(static_cast<void*>(block), 0, page->block_size);
  }
}

// `block` just left the page's free list for a request of `size` bytes.
inline void* block_hand_out(const Page* page, Block* block, size_t size, bool zero) {
  track::touch(block, page->block_size);
  if constexpr (config::double_free) secure::check_marked(page, block);
  if constexpr (config::fill_check) {
    // A fresh block was never freed, and reading its untouched memory would
    // only cost a page fault (the zero page, then a copy on the first write).
    if (!page->free_is_zero) secure::fill_verify(page, block);
    secure::fill_clear_header(block);  // one store for the link and the mark
  } else if constexpr (config::double_free) {
    secure::mark_word(block) = 0;
  }
  if (zero) block_zero(page, block);
  if constexpr (config::canaries) secure::canary_set(page, block, size);
  track::untouch(block, page->block_size);
  track::allocated(block, size, zero);
  secure::hook_malloc(block, size);
  return block;
}

// `block` is being freed: checks it, then marks it free. Called exactly
// once per free, by the freeing thread, before the block joins any list.
inline void block_release(const Page* page, Block* block) {
  track::touch(block, page->block_size);
  if constexpr (config::double_free) secure::check_not_free(page, block);
  if constexpr (config::canaries) secure::canary_check(page, block);
  secure::hook_free(block);
  if constexpr (config::fill_check) secure::fill_freed(page, block);
  if constexpr (config::double_free) secure::mark_free(block);
  track::untouch(block, page->block_size);
  track::freed(block, page->block_size);
}

}  // namespace shardguard
