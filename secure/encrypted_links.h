// Layer encrypt_freelist: every free-list link (the page lists free,
// local_free and thread_free, and the heaps' delayed lists) is stored
// encoded, so an attacker who overwrites a freed block's first word cannot
// aim the next allocation at an address of their choosing.
//
// Invariant: a decoded link is nullptr or the start of a block of the same
// page (checked before it is used); anything else is reported as corruption.
// The keys are per page (drawn from the owning thread's generator when the
// page is initialized) and live in the segment header, which a guard page
// separates from the blocks.
#pragma once
#include <cstdint>

#include "core/types.h"
#include "secure/secrets.h"

namespace shardguard::secure {

inline uintptr_t rotl(uintptr_t x, unsigned r) { return (x << r) | (x >> ((64 - r) & 63)); }
inline uintptr_t rotr(uintptr_t x, unsigned r) { return (x >> r) | (x << ((64 - r) & 63)); }

// keys[1] & 63 is never 0 (see page_init): every link is rotated.
inline uintptr_t link_encode(const uintptr_t keys[2], const void* p) {
  return rotl(reinterpret_cast<uintptr_t>(p) ^ keys[0], keys[1] & 63) + keys[1];
}
inline void* link_decode(const uintptr_t keys[2], uintptr_t v) {
  return reinterpret_cast<void*>(rotr(v - keys[1], keys[1] & 63) ^ keys[0]);
}

// Links of a heap's delayed list (blocks of any page of the heap) use
// process-wide keys; the reader checks each decoded block (heap.cpp).
inline uintptr_t delayed_encode(const void* p) { return link_encode(secrets.delayed_keys, p); }
inline void* delayed_decode(uintptr_t v) { return link_decode(secrets.delayed_keys, v); }

}  // namespace shardguard::secure
