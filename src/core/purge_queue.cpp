#include "core/purge_queue.h"

#include "core/options.h"
#include "core/os.h"
#include "core/segment.h"

namespace shardguard::purge {

namespace {

constexpr size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

void unlink(ThreadData* tld, Page* page) {
  if (page->prev) page->prev->next = page->next;
  else tld->purge_first = page->next;
  if (page->next) page->next->prev = page->prev;
  else tld->purge_last = page->prev;
  page->next = page->prev = nullptr;
}

void leave_queue(ThreadData* tld, Page* page) {
  unlink(tld, page);
  page->purge_at = 0;
  segment_of_page(page)->purge_pending--;
}

// The bytes of a free slot that may be resident.
uint8_t* dirty_range(Page* page, size_t* size) {
  size_t area_size;
  uint8_t* area = page_area(segment_of_page(page), page, &area_size);
  const size_t dirty = round_up(page->dirty_size, kOsPageSize);
  *size = dirty < area_size ? dirty : area_size;
  return area;
}

}  // namespace

int64_t delay_ms() { return options::get(mi_option_purge_delay); }

int64_t due_at(int64_t now) {
  const int64_t delay = delay_ms();
  if (delay < 0) return INT64_MAX;  // only a forced collect purges it
  int64_t at;
  if (__builtin_add_overflow(now, delay, &at)) return INT64_MAX;
  return at > 0 ? at : 1;
}

void schedule(ThreadData* tld, Page* page) {
  page->is_zero_init = false;
  page->purge_at = due_at(os::now_ms());
  page->next = nullptr;
  page->prev = tld->purge_last;
  if (tld->purge_last) tld->purge_last->next = page;
  else tld->purge_first = page;
  tld->purge_last = page;
  segment_of_page(page)->purge_pending++;
}

void cancel(ThreadData* tld, Page* page) {
  if (page->purge_at != 0) leave_queue(tld, page);
}

void run(ThreadData* tld, bool force) {
  Page* page = tld->purge_first;
  if (!page) return;
  const int64_t now = os::now_ms();
  if (!force && page->purge_at > now) return;
  // Slots freed one after the other are often neighbours: one madvise for
  // a run of adjacent ranges.
  uint8_t* run_start = nullptr;
  uint8_t* run_end = nullptr;
  size_t budget = kPurgeBudgetBytes;
  while ((page = tld->purge_first) != nullptr) {
    if (!force && (page->purge_at > now || budget == 0)) break;
    size_t size;
    uint8_t* start = dirty_range(page, &size);
    leave_queue(tld, page);
    page->dirty_size = 0;
    page->is_zero_init = true;
    if (size == 0) continue;
    budget = size < budget ? budget - size : 0;
    if (start != run_end) {
      if (run_start) os::purge(run_start, static_cast<size_t>(run_end - run_start));
      run_start = start;
    }
    run_end = start + size;
  }
  if (run_start) os::purge(run_start, static_cast<size_t>(run_end - run_start));
}

void forget(ThreadData* tld, Segment* s) {
  for (uint32_t i = 0; i < s->capacity && s->purge_pending > 0; i++) {
    Page* page = &s->pages[i];
    if (page->purge_at != 0) leave_queue(tld, page);
  }
}

}  // namespace shardguard::purge
