// Layer guard_pages: PROT_NONE pages, so a linear overflow or underflow off
// the end of a page or span faults at once:
//  - after every segment header (the page structs and the free-list keys),
//    so blocks cannot underflow into it; the memory before a header is the
//    end of another segment's last page (guarded) or not ours;
//  - after every guard_every-th small page, after every medium page, and
//    after the last page of every segment;
//  - after every large span and huge block (the header guard is before it);
//  - around each chunk of heap and thread metadata (meta_alloc).
// Mappings stay bounded: each guard splits a mapping in two, so a small
// segment (4 MiB) costs 2 * (64 / guard_every + 2) + 1 mappings (37 with the
// default guard_every = 4), a medium one 19, a large or huge one 5. With
// Linux's default vm.max_map_count of 65530 that is room for about 7 GiB of
// small blocks; raise guard_every, or the limit, for bigger heaps.
// Guards are set when a segment is mapped, or taken from the cache for a
// different layout, and are never touched by a purge.
#pragma once
#include <cstddef>
#include <cstdint>

#include <shardguard/config.h>

#include "core/config.h"
#include "core/types.h"

namespace shardguard::secure {

inline constexpr size_t kGuardSize = config::guard_pages ? kOsPageSize : 0;

// Whether the slot of a small or medium segment ends with a guard page.
inline bool slot_has_guard(SegmentKind kind, uint32_t slot, uint32_t capacity) {
  if constexpr (!config::guard_pages) return false;
  if (kind != SegmentKind::kSmall || slot + 1 == capacity) return true;
  return (slot + 1) % config::guard_every == 0;
}

// A tag of where a segment of `kind` has its guard pages, for the segment
// cache: a cached segment whose tag matches the kind it is reused for keeps
// its guards (no mprotect at all). 0: no reusable layout (guard pages off,
// or a huge segment, whose guard follows its block wherever that ends).
inline uint8_t guard_layout(SegmentKind kind) {
  if constexpr (!config::guard_pages) return 0;
  return kind == SegmentKind::kHuge ? 0 : static_cast<uint8_t>(kind) + 1;
}

// Protects the guard pages of a freshly laid-out segment.
void guard_segment(Segment* s);
// A huge block of a segment grows in place from `old_size` to `new_size`
// bytes (both page multiples, within the segment): its guard moves to the
// new end. The new guard is set before the old one goes.
void move_huge_guard(Segment* s, size_t old_size, size_t new_size);
// Makes a whole segment read-write again (before it is laid out anew).
void unguard_segment(Segment* s, size_t size);

}  // namespace shardguard::secure
