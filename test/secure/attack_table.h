// Which layer claims to stop each misuse of attacks.h, and what it says.
#pragma once
#include <shardguard/config.h>

#include "attacks.h"

namespace attacks {

enum class Layer { kGuardPages, kRandomize, kEncryptFreelist, kDoubleFree, kInvalidFree, kCanaries, kFillCheck };

struct Attack {
  const char* name;
  void (*run)(bool bug);
  Layer layer;
  // The detection line (a regex), or nullptr: the guard page faults (SIGSEGV).
  const char* message;
};

#define SG_AT "at 0x[0-9a-f]+ \\(size class [0-9a-z]+, thread [0-9]+\\)"
inline constexpr Attack kAttacks[] = {
    {"double_free_immediate_small", double_free_immediate_small, Layer::kDoubleFree, "shardguard: double free " SG_AT},
    {"double_free_delayed_small", double_free_delayed_small, Layer::kDoubleFree, "shardguard: double free " SG_AT},
    {"double_free_immediate_medium", double_free_immediate_medium, Layer::kDoubleFree, "shardguard: double free " SG_AT},
    {"double_free_delayed_medium", double_free_delayed_medium, Layer::kDoubleFree, "shardguard: double free " SG_AT},
    {"double_free_immediate_large", double_free_immediate_large, Layer::kDoubleFree, "shardguard: double free " SG_AT},
    {"double_free_delayed_large", double_free_delayed_large, Layer::kDoubleFree, "shardguard: double free " SG_AT},
    {"double_free_huge", double_free_huge, Layer::kDoubleFree, "shardguard: double free " SG_AT},
    {"double_free_cross_thread_small", double_free_cross_thread_small, Layer::kDoubleFree, "shardguard: double free " SG_AT},
    {"double_free_cross_thread_medium", double_free_cross_thread_medium, Layer::kDoubleFree, "shardguard: double free " SG_AT},
    {"double_free_cross_thread_large", double_free_cross_thread_large, Layer::kDoubleFree, "shardguard: double free " SG_AT},
    {"double_free_two_other_threads", double_free_two_other_threads, Layer::kDoubleFree, "shardguard: double free " SG_AT},
    {"double_free_after_owner_exit", double_free_after_owner_exit, Layer::kDoubleFree, "shardguard: double free " SG_AT},
    {"free_interior", free_interior, Layer::kInvalidFree, "shardguard: invalid free\\(\\) of a pointer that is not the start of a block " SG_AT},
    {"free_misaligned", free_misaligned, Layer::kInvalidFree, "shardguard: invalid free\\(\\) of a pointer that is not the start of a block " SG_AT},
    {"free_stack", free_stack, Layer::kInvalidFree, "shardguard: invalid free\\(\\) of a pointer shardguard does not own " SG_AT},
    {"free_global", free_global, Layer::kInvalidFree, "shardguard: invalid free\\(\\) of a pointer shardguard does not own " SG_AT},
    {"free_foreign_mapping", free_foreign_mapping, Layer::kInvalidFree, "shardguard: invalid free\\(\\) of a pointer shardguard does not own " SG_AT},
    {"free_segment_header", free_segment_header, Layer::kInvalidFree, "shardguard: (double free|invalid free\\(\\) of .*) " SG_AT},
    {"free_after_heap_destroy", free_after_heap_destroy, Layer::kInvalidFree, "shardguard: (double free|invalid free\\(\\) of a block in a freed page.*) " SG_AT},
    {"usable_size_of_interior", usable_size_of_interior, Layer::kInvalidFree, "shardguard: invalid mi_usable_size\\(\\) of a pointer that is not the start of a block " SG_AT},
    {"realloc_freed", realloc_freed, Layer::kDoubleFree, "shardguard: invalid realloc\\(\\) of a freed block " SG_AT},
    {"overwrite_freed_link", overwrite_freed_link, Layer::kEncryptFreelist, "shardguard: corrupted free-list link in a freed block " SG_AT},
    // Whichever layer of the build looks first: the link, the free mark, the
    // canary or the fill of a neighbour.
    {"overflow_across_freed_neighbours", overflow_across_freed_neighbours, Layer::kEncryptFreelist,
     "shardguard: (corrupted free-list link|block handed out twice|heap overflow past the end|write after free).* " SG_AT},
    {"overflow_1_small", overflow_1_small, Layer::kCanaries, "shardguard: heap overflow past the end of a block \\(canary overwritten\\) " SG_AT},
    {"overflow_8_small", overflow_8_small, Layer::kCanaries, "shardguard: heap overflow past the end of a block \\(canary overwritten\\) " SG_AT},
    {"overflow_nul_small", overflow_nul_small, Layer::kCanaries, "shardguard: heap overflow past the end of a block \\(canary overwritten\\) " SG_AT},
    {"overflow_1_large", overflow_1_large, Layer::kCanaries, "shardguard: heap overflow past the end of a block \\(canary overwritten\\) " SG_AT},
    {"overflow_8_large", overflow_8_large, Layer::kCanaries, "shardguard: heap overflow past the end of a block \\(canary overwritten\\) " SG_AT},
    {"overflow_1_huge", overflow_1_huge, Layer::kCanaries, "shardguard: heap overflow past the end of a block \\(canary overwritten\\) " SG_AT},
    {"overflow_off_span_end", overflow_off_span_end, Layer::kGuardPages, nullptr},
    {"overflow_off_grown_span_end", overflow_off_grown_span_end, Layer::kGuardPages, nullptr},
    {"underflow_before_huge", underflow_before_huge, Layer::kGuardPages, nullptr},
    {"write_after_free", write_after_free, Layer::kFillCheck, "shardguard: write after free \\(a freed block was modified\\) " SG_AT},
    {"write_after_free_small", write_after_free_small, Layer::kFillCheck, "shardguard: write after free \\(a freed block was modified\\) " SG_AT},
    {"sized_delete_wrong_size", sized_delete_wrong_size, Layer::kInvalidFree, "shardguard: sized free with the wrong size \\(40 bytes\\) " SG_AT},
};
#undef SG_AT

constexpr bool layer_on(Layer layer) {
  switch (layer) {
    case Layer::kGuardPages: return shardguard::config::guard_pages;
    case Layer::kRandomize: return shardguard::config::randomize;
    case Layer::kEncryptFreelist: return shardguard::config::encrypt_freelist;
    case Layer::kDoubleFree: return shardguard::config::double_free;
    case Layer::kInvalidFree: return shardguard::config::invalid_free;
    case Layer::kCanaries: return shardguard::config::canaries;
    case Layer::kFillCheck: return shardguard::config::fill_check;
  }
  return false;
}

}  // namespace attacks
