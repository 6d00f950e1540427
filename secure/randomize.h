// Layer randomize: an attacker cannot predict which block or page the next
// allocation returns, nor where segments sit in the address space:
//  - a fresh page's blocks are threaded onto its free list in random order
//    (page_extend), and pages of blocks of 4 KiB or more are extended
//    several blocks at a time so there is something to shuffle;
//  - when the current page runs out, the next page is chosen at random
//    among up to kCandidates pages of the bin that have free blocks;
//  - a new page takes a random free slot of its segment;
//  - segments are mapped at random addresses (an mmap hint).
// The generator is per thread, seeded from the kernel (secure/random.h).
#pragma once
#include <cstddef>

namespace shardguard::secure {

inline constexpr size_t kMinShuffle = 8;   // blocks threaded at once, at least
inline constexpr size_t kCandidates = 3;   // pages considered on a refill

}  // namespace shardguard::secure
