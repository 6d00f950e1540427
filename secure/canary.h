// Layer canaries: an overflow past the requested size, even of one byte, is
// caught when the block is freed or reallocated.
//
// Layout of a block (kBlockExtra bytes are added to every request):
//   [requested bytes][canary: 8 bytes][slack][encoded end offset: 8 bytes]
// The last word records where the requested bytes end (as an offset from
// the block start, so interior pointers of aligned allocations work), XOR-ed
// with a secret and the block address. The canary is secret, differs per
// block, and every byte has its top bit set: an overflow of text or of NUL
// bytes can never rewrite it unchanged. The usable size of a block is what
// was requested: writing into the slack is an overflow.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/types.h"
#include "secure/report.h"
#include "secure/secrets.h"

namespace shardguard::secure {

inline constexpr size_t kCanarySize = 8;
inline constexpr size_t kCanaryExtra = kCanarySize + 8;

inline uint64_t canary_value(const Block* block) {
  return (secrets.canary ^ reinterpret_cast<uintptr_t>(block)) | 0x8080808080808080ull;
}
inline uint64_t* end_word(const Page* page, Block* block) {
  return reinterpret_cast<uint64_t*>(reinterpret_cast<uint8_t*>(block) + page->block_size - 8);
}
inline uint64_t end_key(const Block* block) { return secrets.size_key ^ reinterpret_cast<uintptr_t>(block); }

// Records that the caller's bytes end `user_end` bytes into the block.
inline void canary_set(const Page* page, Block* block, size_t user_end) {
  *end_word(page, block) = user_end ^ end_key(block);
  const uint64_t canary = canary_value(block);
  memcpy(reinterpret_cast<uint8_t*>(block) + user_end, &canary, kCanarySize);
}

// Where the caller's bytes end; reports a corrupted end word.
inline size_t canary_user_end(const Page* page, Block* block) {
  const size_t user_end = *end_word(page, block) ^ end_key(block);
  if (user_end > page->block_size - kCanaryExtra) [[unlikely]] {
    report_attack(kErrCorrupted, "heap overflow past the end of a block (size record overwritten)", block, page->block_size);
  }
  return user_end;
}

inline void canary_check(const Page* page, Block* block) {
  const size_t user_end = canary_user_end(page, block);
  uint64_t canary;
  memcpy(&canary, reinterpret_cast<uint8_t*>(block) + user_end, kCanarySize);
  if (canary != canary_value(block)) [[unlikely]] {
    report_attack(kErrCorrupted, "heap overflow past the end of a block (canary overwritten)", reinterpret_cast<uint8_t*>(block) + user_end,
                  page->block_size);
  }
}

}  // namespace shardguard::secure
