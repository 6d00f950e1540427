// Layer randomize: an attacker cannot predict which block or page the next
// allocation returns, nor where segments sit in the address space:
//  - a fresh page's blocks are threaded onto its free list in random order
//    (page_extend), and pages of blocks from 512 bytes to 8 KiB are extended
//    kMinShuffle blocks at a time so there is something to shuffle (larger
//    blocks are not: every block threaded touches memory, and their order
//    comes from the page and slot choices);
//  - when the current page runs out, the next page is chosen at random
//    among up to kCandidates pages of the bin that have free blocks;
//  - a new page takes a random free slot of its segment;
//  - segments are mapped at random addresses (an mmap hint).
// The generator is per thread, seeded from the kernel (secure/random.h).
#pragma once
#include <cstddef>

namespace shardguard::secure {

inline constexpr size_t kMinShuffle = 8;   // blocks threaded at once, at least
inline constexpr size_t kMaxShuffleBytes = 64 * 1024;  // ... when they span no more than this
inline constexpr size_t kCandidates = 3;   // pages considered on a refill

}  // namespace shardguard::secure
