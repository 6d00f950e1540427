#include "core/segment.h"

#include <cstdint>
#include <cstring>

#include <shardguard/config.h>

#include "core/abandoned.h"
#include "core/thread.h"
#include "core/arena.h"
#include "core/os.h"
#include "core/page.h"
#include "core/page_queue.h"
#include "core/purge_queue.h"
#include "core/segment_cache.h"
#include "core/segment_map.h"
#include "core/stats.h"
#include "core/track.h"
#include "secure/guard_pages.h"
#include "secure/random.h"
#include "secure/quarantine.h"

namespace shardguard {

namespace {

constexpr size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

// Intrusive lists: `segments` links through next/prev, the free-slot queues
// through free_next/free_prev.
template <Segment* Segment::*Next, Segment* Segment::*Prev>
void list_push(SegmentList& l, Segment* s) {
  s->*Prev = l.last;
  s->*Next = nullptr;
  if (l.last) l.last->*Next = s;
  else l.first = s;
  l.last = s;
}

template <Segment* Segment::*Next, Segment* Segment::*Prev>
void list_remove(SegmentList& l, Segment* s) {
  if (s->*Prev) (s->*Prev)->*Next = s->*Next;
  else l.first = s->*Next;
  if (s->*Next) (s->*Next)->*Prev = s->*Prev;
  else l.last = s->*Prev;
  s->*Next = s->*Prev = nullptr;
}

constexpr auto owned_push = list_push<&Segment::next, &Segment::prev>;
constexpr auto owned_remove = list_remove<&Segment::next, &Segment::prev>;
constexpr auto free_push = list_push<&Segment::free_next, &Segment::free_prev>;
constexpr auto free_remove = list_remove<&Segment::free_next, &Segment::free_prev>;

SegmentList& free_queue(ThreadData* tld, SegmentKind kind, int arena_id) {
  return kind == SegmentKind::kSmall ? tld->small_free[arena_id] : tld->medium_free[arena_id];
}

void free_queue_add(ThreadData* tld, Segment* s) {
  if (s->in_free_queue) return;
  free_push(free_queue(tld, s->kind, s->arena_id), s);
  s->in_free_queue = true;
}

void free_queue_drop(ThreadData* tld, Segment* s) {
  if (!s->in_free_queue) return;
  free_remove(free_queue(tld, s->kind, s->arena_id), s);
  s->in_free_queue = false;
}

struct Shape {
  uint32_t capacity;
  uint8_t page_shift;
};

constexpr Shape shape_of(SegmentKind kind) {
  switch (kind) {
    case SegmentKind::kSmall: return {kSegmentSize / kSmallPageSize, kSmallPageShift};
    case SegmentKind::kMedium: return {kSegmentSize / kMediumPageSize, kMediumPageShift};
    default: return {1, 48};  // one page spanning the whole segment
  }
}

constexpr size_t info_size_of(uint32_t capacity) {
  return round_up(sizeof(Segment) + (capacity - 1) * sizeof(Page), kOsPageSize) + secure::kGuardSize;
}

constexpr size_t kLargestInfoSize = info_size_of(shape_of(SegmentKind::kSmall).capacity);

// A segment for a heap of `arena_id`: from that arena only, or, for 0, from
// a non-exclusive arena, the cache or the OS.
Segment* segment_alloc(ThreadData* tld, SegmentKind kind, size_t block_size, int arena_id) {
  const Shape shape = shape_of(kind);
  const size_t info = info_size_of(shape.capacity);
  size_t size = kSegmentSize;
  if (kind == SegmentKind::kHuge) size = round_up(info + block_size + secure::kGuardSize, kSegmentSize);

  bool dirty = false, from_arena = false;
  void* mem = nullptr;
  if (arena_id != 0 || arena::any()) {
    bool is_zero = false;
    mem = arena::alloc(arena_id, size, &is_zero);
    if (!mem && arena_id != 0) return nullptr;  // a heap in an arena uses nothing else
    from_arena = mem != nullptr;
    dirty = !is_zero;
  }
  uint8_t cached_guards = 0;
  // A huge block may take a cached segment up to twice its need: the rest
  // is already mapped, and a miss costs an mmap and a fault on every page.
  if (!mem) {
    mem = segment_cache::pop(&size, kind == SegmentKind::kHuge ? 2 * size : size, secure::guard_layout(kind), &dirty,
                             &cached_guards);
  }
  // A cached segment of the same layout still has the right guard pages.
  const bool keep_guards = cached_guards != 0 && cached_guards == secure::guard_layout(kind);
  // Memory of an earlier segment (cached, or from an arena) may still be
  // poisoned for a memory checker: the new layout starts clean. (A freed
  // segment stays poisoned meanwhile: a use after mi_heap_destroy is caught.)
  if (mem) track::reset(mem, size);
  if (from_arena) {
    memset(mem, 0, kLargestInfoSize);
  } else if (keep_guards) {
    memset(mem, 0, info - secure::kGuardSize);  // the header, up to its guard
  } else if (mem) {
    // The old layout's guards go; the new layout sets its own.
    secure::unguard_segment(static_cast<Segment*>(mem), size);
    // The old header may have been larger than this kind's: clear the
    // largest, so a clean segment reads as zero past `info` again.
    memset(mem, 0, kLargestInfoSize);
  } else {
    if constexpr (config::randomize) os::set_placement_hint(secure::random_placement(tld->rng, kSegmentSize));
    mem = os::alloc_aligned(size, kSegmentSize);
    if (!mem) return nullptr;
  }
  if (!segment_map_insert(static_cast<Segment*>(mem), size)) {
    if (from_arena) arena::free(mem, size);
    else os::free(mem, size);
    return nullptr;
  }
  auto* s = static_cast<Segment*>(mem);
  s->kind = kind;
  s->page_shift = shape.page_shift;
  s->capacity = shape.capacity;
  s->segment_size = size;
  s->info_size = info;
  s->span_size = size - info - secure::kGuardSize;
  s->arena_id = arena_id;
  s->from_arena = from_arena;
  if (kind == SegmentKind::kHuge && config::guard_pages) s->span_size = block_size;  // the guard right after the block
  for (uint32_t i = 0; i < shape.capacity; i++) {
    Page* page = &s->pages[i];
    page->slot = i;
    page_set_flags(page, kPageNotInUse);
    // Fresh from the OS or purged in the cache: zero. Warm from the cache:
    // anything, all of it to purge when the slot is next freed.
    page->is_zero_init = !dirty;
    if (dirty) page_area(s, page, &page->dirty_size);
  }
  if (!keep_guards) secure::guard_segment(s);
  s->thread_id.store(tld->thread_id, std::memory_order_release);
  owned_push(tld->segments, s);
  stats::add(stats::segments, 1);
  stats::add(stats::metadata, static_cast<int64_t>(info));
  return s;
}

// An empty segment goes to the process-wide cache still warm; the cache
// purges it if nobody takes it within the purge delay.
void segment_free(Segment* s, ThreadData* tld) {
  free_queue_drop(tld, s);
  owned_remove(tld->segments, s);
  segment_map_remove(s, s->segment_size);
  stats::sub(stats::segments, 1);
  stats::sub(stats::metadata, static_cast<int64_t>(s->info_size));
  const bool dirty = s->kind == SegmentKind::kLarge || s->kind == SegmentKind::kHuge || s->purge_pending > 0;
  purge::forget(tld, s);
  if (s->from_arena) {
    secure::unguard_segment(s, s->segment_size);
    arena::free(s, s->segment_size);
    return;
  }
  if (segment_cache::push(s, s->segment_size, dirty, secure::guard_layout(s->kind))) return;
  os::free(s, s->segment_size);
}

Page* take_slot(ThreadData* tld, Segment* s, uint32_t slot) {
  Page* page = &s->pages[slot];
  purge::cancel(tld, page);  // reused before its purge: keeps its memory (dirty)
  page_set_flags(page, 0);
  s->used++;
  stats::add(stats::pages, 1);
  return page;
}

void adopt(Segment* s, Heap* heap);

// Adopts abandoned segments until one gives the thread a free slot of the
// kind it needs, at most kReclaimBatch of them: the work of one slow path
// stays bounded however many segments dead threads left behind.
void reclaim_some(Heap* backing, const SegmentList& fq) {
  for (size_t i = 0; i < kReclaimBatch && !fq.first; i++) {
    Segment* s = abandoned::pop(thread_subproc());
    if (!s) return;
    adopt(s, backing);
  }
}

Page* slot_alloc(Heap* heap, SegmentKind kind) {
  ThreadData* tld = heap->tld;
  SegmentList& fq = free_queue(tld, kind, heap->arena_id);
  if (!fq.first && abandoned::any()) reclaim_some(&tld->backing, fq);
  if (!fq.first) {
    Segment* s = segment_alloc(tld, kind, 0, heap->arena_id);
    if (!s) return nullptr;
    free_queue_add(tld, s);
  }
  // Prefer a slot whose memory is still resident (purge pending): no page
  // faults, and one less purge.
  Segment* s = fq.first;
  uint32_t slot = s->capacity;
  if constexpr (config::randomize) {
    // Any free slot, at random: the n-th free one.
    uint32_t n = secure::rng_below(tld->rng, s->capacity - s->used);
    for (uint32_t i = 0; i < s->capacity; i++) {
      if (page_has(&s->pages[i], kPageNotInUse) && n-- == 0) {
        slot = i;
        break;
      }
    }
  } else {
    for (uint32_t i = 0; i < s->capacity; i++) {
      if (!page_has(&s->pages[i], kPageNotInUse)) continue;
      if (slot == s->capacity) slot = i;
      if (s->pages[i].purge_at != 0) {
        slot = i;
        break;
      }
    }
  }
  Page* page = take_slot(tld, s, slot);
  if (s->used == s->capacity) free_queue_drop(tld, s);
  return page;
}

// Takes ownership of an abandoned segment (already unlinked from the
// abandoned list): its pages join `heap`, empty ones are freed.
void adopt(Segment* s, Heap* heap) {
  ThreadData* tld = heap->tld;
  // The quarantine lets go first: blocks of segments adopted before and
  // freed here since would otherwise keep those segments alive.
  if constexpr (config::quarantine) secure::quarantine_flush(tld);
  s->thread_id.store(tld->thread_id, std::memory_order_release);
  owned_push(tld->segments, s);
  stats::add(stats::reclaimed, 1);
  if ((s->kind == SegmentKind::kSmall || s->kind == SegmentKind::kMedium) && s->used < s->capacity) {
    free_queue_add(tld, s);
  }
  uint32_t remaining = s->used;
  for (uint32_t i = 0; remaining > 0 && i < s->capacity; i++) {  // s is gone once remaining hits 0
    Page* page = &s->pages[i];
    if (page_has(page, kPageNotInUse)) continue;
    remaining--;
    page->xheap.store(heap, std::memory_order_release);
    page_set_delayed(page, kUseDelayedFree, true);
    page_drop_flag(page, kPageInFull);
    page_collect(page, true);
    if (page->used == 0) {
      segment_page_free(page, tld);  // may free s itself, on the last page
    } else {
      queue_push_front(heap, heap_queue_of(heap, page), page);
    }
  }
}

}  // namespace

Page* segment_page_alloc(Heap* heap, size_t block_size) {
  purge::run(heap->tld, false);  // cheap when nothing is due, bounded otherwise
  if (block_size <= kSmallObjMax) return slot_alloc(heap, SegmentKind::kSmall);
  if (block_size <= kMediumObjMax) return slot_alloc(heap, SegmentKind::kMedium);
  const SegmentKind kind = block_size <= kLargeObjMax ? SegmentKind::kLarge : SegmentKind::kHuge;
  Segment* s = segment_alloc(heap->tld, kind, block_size, heap->arena_id);
  if (!s) return nullptr;
  if (kind == SegmentKind::kHuge) stats::add(stats::huge, 1);
  return take_slot(heap->tld, s, 0);
}

void segment_page_free(Page* page, ThreadData* tld) {
  stats::page_release(page);
  Segment* s = segment_of_page(page);
  // The slot keeps dirty_size: it tells a later purge how much to give back.
  page_set_flags(page, kPageNotInUse);
  page->free = page->local_free = nullptr;
  page->used = 0;
  page->retire_expire = 0;
  page->next = page->prev = nullptr;
  page->xheap.store(nullptr, std::memory_order_relaxed);
  page->xthread_free.store(0, std::memory_order_relaxed);
  s->used--;
  stats::sub(stats::pages, 1);
  if (s->kind == SegmentKind::kLarge || s->kind == SegmentKind::kHuge) {
    if (s->kind == SegmentKind::kHuge) stats::sub(stats::huge, 1);
    segment_free(s, tld);
    return;
  }
  // The slot stays dirty for the purge delay, so a burst of frees followed
  // by a burst of allocations reuses the same memory without a system call
  // or a page fault; an empty segment goes to the cache, warm, likewise.
  purge::schedule(tld, page);
  if (s->used == 0) {
    segment_free(s, tld);
    return;
  }
  free_queue_add(tld, s);
  purge::run(tld, false);
}

void segments_abandon_all(ThreadData* tld) {
  purge::run(tld, true);  // an abandoned segment holds no dirty free page
  while (Segment* s = tld->segments.first) {
    free_queue_drop(tld, s);
    owned_remove(tld->segments, s);
    if (s->used == 0) {  // cannot stay: empty segments are freed eagerly
      owned_push(tld->segments, s);
      segment_free(s, tld);
      continue;
    }
    s->thread_id.store(0, std::memory_order_release);
    abandoned::push(s, thread_subproc());
  }
}

size_t segments_reclaim_abandoned(Heap* backing, size_t max) {
  size_t n = 0;
  for (; n < max; n++) {
    Segment* s = abandoned::pop(thread_subproc());
    if (!s) break;
    adopt(s, backing);
  }
  return n;
}

bool segment_try_reclaim(Segment* s, Heap* backing) {
  if (!abandoned::remove(s, thread_subproc())) return false;
  adopt(s, backing);
  return true;
}

size_t segment_huge_capacity(const Page* page) {
  const Segment* s = segment_of_page(page);
  return s->segment_size - s->info_size - secure::kGuardSize;
}

}  // namespace shardguard
