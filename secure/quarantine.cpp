#include "secure/quarantine.h"

#include "core/free.h"
#include "core/segment.h"
#include "core/segment_map.h"
#include "core/track.h"
#include "secure/double_free.h"
#include "secure/fill.h"
#include "secure/report.h"

namespace shardguard::secure {

#if SHARDGUARD_HAS_QUARANTINE
namespace {

constexpr uint32_t kSlots = static_cast<uint32_t>(config::quarantine_blocks);

// The block waited; whatever touched it meanwhile is reported before it can
// be handed out again (see the invariant in quarantine.h).
SHARDGUARD_INTERNAL_ACCESS void check_untouched(const Page* page, Block* block) {
  track::Internal internal;
  if constexpr (config::double_free) check_marked(page, block);
  if constexpr (config::fill_check) {
    fill_verify(page, block);
    // The same words as a free-list link found corrupted when it is followed.
    if (block->next != nullptr) [[unlikely]] report_attack(kErrCorrupted, "corrupted free-list link in a freed block", block, page->block_size);
  }
}

void release_oldest(QuarantineRing& q) {
  Block* block = q.slot[q.head];
  q.head = q.head + 1 == kSlots ? 0 : q.head + 1;
  q.count--;
  // A held block is one of ours, of a page this thread owns.
  Page* page = segment_page_of(segment_of(block), block);
  q.bytes -= page->block_size;
  page->held--;
  check_untouched(page, block);
  free_block_local(page, block);
}

}  // namespace

void quarantine_hold(ThreadData* tld, Page* page, Block* block) {
  QuarantineRing& q = tld->quarantine;
  if (q.count == kSlots) release_oldest(q);
  uint32_t at = q.head + q.count;
  if (at >= kSlots) at -= kSlots;
  q.slot[at] = block;
  q.count++;
  q.bytes += page->block_size;
  page->held++;
  // A block bigger than the whole budget leaves at once.
  while (q.bytes > config::quarantine_bytes) release_oldest(q);
}

void quarantine_flush(ThreadData* tld) {
  QuarantineRing& q = tld->quarantine;
  while (q.count > 0) release_oldest(q);
}
#else
// Never called: every call site tests config::quarantine.
void quarantine_hold(ThreadData*, Page*, Block*) {}
void quarantine_flush(ThreadData*) {}
#endif

}  // namespace shardguard::secure
