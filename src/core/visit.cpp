#include "core/visit.h"

#include <cstdint>
#include <cstring>

#include "core/abandoned.h"
#include "core/block_state.h"
#include "core/free_list.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/segment.h"
#include "secure/quarantine.h"

namespace shardguard {

namespace {

// The most blocks a page can hold: a small page of the smallest blocks.
inline constexpr size_t kMaxPageBlocks = kSmallPageSize / kWordSize;
inline constexpr size_t kBitsPerWord = 64;

struct FreeMap {
  uint64_t bits[kMaxPageBlocks / kBitsPerWord];
};

// Marks each block of `list` in the map; counts them. A list that strays
// outside the page (corruption) stops the walk.
size_t mark_list(const Page* page, const Block* list, FreeMap* map) {
  const uint8_t* start = page_start(page);
  size_t n = 0;
  for (const Block* b = list; b; b = block_next(page, b)) {
    const size_t offset = static_cast<size_t>(reinterpret_cast<const uint8_t*>(b) - start);
    const size_t index = offset / page->block_size;
    if (index >= page->capacity || index >= kMaxPageBlocks) break;
    map->bits[index / kBitsPerWord] |= uint64_t{1} << (index % kBitsPerWord);
    if (++n > page->capacity) break;
  }
  return n;
}

mi_heap_area_t area_of(const Page* page, int tag, size_t live) {
  mi_heap_area_t area;
  area.blocks = page_start(page);
  area.reserved = size_t{page->reserved} * page->block_size;
  area.committed = size_t{page->capacity} * page->block_size;
  area.used = live;
  area.block_size = page->block_size - kBlockExtra;
  area.full_block_size = page->block_size;
  area.heap_tag = tag;
  return area;
}

// Visits one page: the area, then its live blocks. `heap` is what the
// visitor is told the area belongs to.
bool visit_page(const mi_heap_t* heap, const Page* page, int tag, bool visit_blocks, mi_block_visit_fun* visitor,
                void* arg) {
  if (page->capacity > kMaxPageBlocks) return true;  // cannot happen: no page holds more
  FreeMap map;
  memset(&map, 0, sizeof map);
  size_t free_count = mark_list(page, page->free, &map);
  free_count += mark_list(page, page->local_free, &map);
  free_count += mark_list(page, tf_block(page->xthread_free.load(std::memory_order_acquire)), &map);
  const size_t live = free_count >= page->capacity ? 0 : page->capacity - free_count;
  const mi_heap_area_t area = area_of(page, tag, live);
  if (!visitor(heap, &area, nullptr, area.block_size, arg)) return false;
  if (!visit_blocks || live == 0) return true;
  uint8_t* start = page_start(page);
  for (size_t i = 0; i < page->capacity; i++) {
    if ((map.bits[i / kBitsPerWord] >> (i % kBitsPerWord)) & 1) continue;
    if (!visitor(heap, &area, start + i * page->block_size, area.block_size, arg)) return false;
  }
  return true;
}

}  // namespace

bool heap_visit(Heap* heap, bool visit_blocks, mi_block_visit_fun* visitor, void* arg) {
  if (!heap || !heap_is_initialized(heap) || !visitor) return false;
  // Blocks other threads handed to this heap are free ones: settle them, and
  // the blocks this thread holds in quarantine.
  if constexpr (config::quarantine) secure::quarantine_flush(heap->tld);
  heap_delayed_free(heap);
  bool go_on = true;
  heap_visit_pages(heap, [&](Page* page, PageQueue*) {
    if (!go_on) return;
    page_collect(page, true);
    go_on = visit_page(reinterpret_cast<const mi_heap_t*>(heap), page, heap->tag, visit_blocks, visitor, arg);
  });
  return go_on;
}

bool abandoned_visit(bool visit_blocks, mi_block_visit_fun* visitor, void* arg) {
  if (!visitor) return false;
  struct Ctx {
    bool visit_blocks;
    mi_block_visit_fun* visitor;
    void* arg;
    bool go_on;
  } ctx{visit_blocks, visitor, arg, true};
  abandoned::for_each(
      [](Segment* s, void* c) {
        auto* ctx = static_cast<Ctx*>(c);
        for (uint32_t i = 0; i < s->capacity && ctx->go_on; i++) {
          const Page* page = &s->pages[i];
          if (page_has(page, kPageNotInUse) || page->capacity == 0) continue;
          ctx->go_on = visit_page(nullptr, page, 0, ctx->visit_blocks, ctx->visitor, ctx->arg);
        }
        return ctx->go_on;
      },
      &ctx);
  return ctx.go_on;
}

bool heap_owns_address(Heap* heap, const void* p) {
  if (!heap || !heap_is_initialized(heap)) return false;
  const auto* a = static_cast<const uint8_t*>(p);
  bool found = false;
  heap_visit_pages(heap, [&](Page* page, PageQueue*) {
    const uint8_t* start = page_start(page);
    if (!found && a >= start && a < start + size_t{page->capacity} * page->block_size) found = true;
  });
  return found;
}

}  // namespace shardguard
