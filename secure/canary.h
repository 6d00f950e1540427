// Layer canaries: an overflow past the requested size, even of one byte, is
// caught when the block is freed or reallocated.
//
// Layout of a block (kBlockExtra bytes are added to every request):
//   [requested bytes][canary: 8 bytes][slack][end record: 8 bytes]
// The canary and the end record are one value: the offset at which the
// requested bytes end (from the block start, so interior pointers of
// aligned allocations work), shifted up a byte and XOR-ed with a secret and
// the block address. free() decodes the end record, which says where the
// canary is, and compares the two copies: a change to either is reported.
// The value differs per block and per size and cannot be guessed; its first
// byte (the one right after the requested bytes) has its top bit set, so an
// overflow of text or of a NUL byte never rewrites it unchanged. The usable
// size of a block is what was requested: writing into the slack is an
// overflow.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/types.h"
#include "secure/report.h"
#include "secure/secrets.h"
#include "core/track.h"

namespace shardguard::secure {

inline constexpr size_t kCanarySize = 8;
inline constexpr size_t kCanaryExtra = kCanarySize + 8;

// secrets.size_key's low byte has its top bit set (secrets_init), and the
// shifted offset and address leave that byte alone.
inline uint64_t canary_key(const Block* block) { return secrets.size_key ^ (reinterpret_cast<uintptr_t>(block) << 8); }
inline uint64_t canary_value(const Block* block, size_t user_end) { return (uint64_t{user_end} << 8) ^ canary_key(block); }
inline uint64_t* end_word(const Page* page, Block* block) {
  return reinterpret_cast<uint64_t*>(reinterpret_cast<uint8_t*>(block) + page->block_size - 8);
}

// Records that the caller's bytes end `user_end` bytes into the block.
SHARDGUARD_INTERNAL_ACCESS inline void canary_set(const Page* page, Block* block, size_t user_end) {
  track::Internal internal;
  const uint64_t value = canary_value(block, user_end);
  *end_word(page, block) = value;
  memcpy(reinterpret_cast<uint8_t*>(block) + user_end, &value, kCanarySize);
}

// Where the caller's bytes end; reports an end record that cannot be one.
SHARDGUARD_INTERNAL_ACCESS inline size_t canary_user_end(const Page* page, Block* block) {
  track::Internal internal;
  const size_t user_end = (track::defined(*end_word(page, block)) ^ canary_key(block)) >> 8;
  if (user_end > page->block_size - kCanaryExtra) [[unlikely]] {
    report_attack(kErrCorrupted, "heap overflow past the end of a block (size record overwritten)", block, page->block_size);
  }
  return user_end;
}

SHARDGUARD_INTERNAL_ACCESS inline void canary_check(const Page* page, Block* block) {
  track::Internal internal;
  const size_t user_end = canary_user_end(page, block);
  uint64_t canary;
  memcpy(&canary, reinterpret_cast<uint8_t*>(block) + user_end, kCanarySize);
  if (track::defined(canary) != track::defined(*end_word(page, block))) [[unlikely]] {
    report_attack(kErrCorrupted, "heap overflow past the end of a block (canary overwritten)", reinterpret_cast<uint8_t*>(block) + user_end,
                  page->block_size);
  }
}

}  // namespace shardguard::secure
