#include "core/page_queue.h"

#include "core/bins.h"

namespace shardguard {

constinit Page page_empty{};

void heap_update_direct(Heap* heap, PageQueue* pq) {
  const size_t bin = static_cast<size_t>(pq - heap->pages);
  // With bin 1 unused (bins.h), bin 2 serves the smallest requests too.
  const size_t first_w = bin <= 1 || bin == bin_of(kWordSize) ? 0 : kBinSizes[bin - 1] / kWordSize + 1;
  if (first_w > kDirectWsizeMax) return;  // also the huge and full queues
  const size_t last_w = kBinSizes[bin] / kWordSize < kDirectWsizeMax ? kBinSizes[bin] / kWordSize : kDirectWsizeMax;
  Page* page = pq->first ? pq->first : &page_empty;
  for (size_t w = first_w; w <= last_w; w++) heap->pages_free_direct.at[w] = page;
}

void queue_push_front(Heap* heap, PageQueue* pq, Page* page) {
  page->prev = nullptr;
  page->next = pq->first;
  if (pq->first) pq->first->prev = page;
  else pq->last = page;
  pq->first = page;
  heap_update_direct(heap, pq);
}

void queue_remove(Heap* heap, PageQueue* pq, Page* page) {
  if (page->prev) page->prev->next = page->next;
  if (page->next) page->next->prev = page->prev;
  if (pq->first == page) {
    pq->first = page->next;
    heap_update_direct(heap, pq);
  }
  if (pq->last == page) pq->last = page->prev;
  page->next = page->prev = nullptr;
}

void queue_move_to_front(Heap* heap, PageQueue* pq, Page* page) {
  if (pq->first == page) return;
  queue_remove(heap, pq, page);
  queue_push_front(heap, pq, page);
}

void queue_move(Heap* heap, PageQueue* from, PageQueue* to, Page* page) {
  queue_remove(heap, from, page);
  page->next = nullptr;
  page->prev = to->last;
  if (to->last) to->last->next = page;
  else {
    to->first = page;
    heap_update_direct(heap, to);
  }
  to->last = page;
}

}  // namespace shardguard
