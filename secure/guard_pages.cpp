#include "secure/guard_pages.h"

#include "core/os.h"
#include "core/segment.h"

namespace shardguard::secure {

void guard_segment(Segment* s) {
  if constexpr (config::guard_pages) {
    auto* base = reinterpret_cast<uint8_t*>(s);
    os::protect(base + s->info_size - kGuardSize, kGuardSize, false);
    if (s->kind == SegmentKind::kLarge || s->kind == SegmentKind::kHuge) {
      // The span ends where its area ends (page_area): the guard follows.
      size_t size;
      uint8_t* area = page_area(s, &s->pages[0], &size);
      os::protect(area + size, kGuardSize, false);
      return;
    }
    for (uint32_t i = 0; i < s->capacity; i++) {
      if (!slot_has_guard(s->kind, i, s->capacity)) continue;
      size_t size;
      uint8_t* area = page_area(s, &s->pages[i], &size);
      os::protect(area + size, kGuardSize, false);
    }
  }
}

void move_huge_guard(Segment* s, size_t old_size, size_t new_size) {
  if constexpr (config::guard_pages) {
    size_t size;
    uint8_t* area = page_area(s, &s->pages[0], &size);
    os::protect(area + new_size, kGuardSize, false);
    os::protect(area + old_size, kGuardSize, true);
    s->span_size = new_size;
  }
}

void unguard_segment(Segment* s, size_t size) {
  if constexpr (config::guard_pages) os::protect(s, size, true);
}

}  // namespace shardguard::secure
