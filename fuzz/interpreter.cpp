#include "interpreter.h"

#include <cstring>

#include "helper_thread.h"

namespace fuzz {

namespace {

mi_heap_t* heap_at(HeapModel& m, int h) { return h == kDefaultHeap ? nullptr : m.heaps[static_cast<size_t>(h)]; }

// A heap index for a new block: the default heap, or a live first-class heap.
int pick_heap(Input& in, HeapModel& m) {
  const int h = static_cast<int>(in.below(kHeaps + 1)) - 1;
  return h == kDefaultHeap || m.heaps[static_cast<size_t>(h)] ? h : kDefaultHeap;
}

void* allocate(mi_heap_t* heap, size_t size) { return heap ? mi_heap_malloc(heap, size) : mi_malloc(size); }

// The slot an operation acts on; a new block first frees what was there.
size_t target_slot(Input& in, HeapModel& m) {
  const size_t i = in.below(kSlots);
  if (m.slots[i].p) mi_free(m.release(i));
  return i;
}

// A live slot, or kSlots when the table is empty (searching from a chosen start).
size_t live_slot(Input& in, HeapModel& m) {
  const size_t start = in.below(kSlots);
  for (size_t k = 0; k < kSlots; k++) {
    const size_t i = (start + k) % kSlots;
    if (m.slots[i].p) return i;
  }
  return kSlots;
}

void op_malloc(Input& in, HeapModel& m) {
  const int h = pick_heap(in, m);
  const size_t size = in.size();
  const size_t i = target_slot(in, m);
  m.adopt(i, allocate(heap_at(m, h), size), size, 1, h, false, false);
}

void op_calloc(Input& in, HeapModel& m) {
  const int h = pick_heap(in, m);
  const size_t count = in.below(64) + 1;
  const size_t each = in.size() / count;
  const size_t i = target_slot(in, m);
  mi_heap_t* heap = heap_at(m, h);
  void* p = heap ? mi_heap_calloc(heap, count, each) : mi_calloc(count, each);
  m.adopt(i, p, count * each, 1, h, false, true);
}

void op_zalloc(Input& in, HeapModel& m) {
  const size_t size = in.size();
  const size_t i = target_slot(in, m);
  m.adopt(i, mi_zalloc(size), size, 1, kDefaultHeap, false, true);
}

void op_aligned(Input& in, HeapModel& m) {
  const int h = pick_heap(in, m);
  const size_t alignment = in.alignment();
  const size_t size = in.size();
  const bool zero = in.byte() & 1;
  const size_t i = target_slot(in, m);
  mi_heap_t* heap = heap_at(m, h);
  void* p;
  if (heap) p = zero ? mi_heap_zalloc_aligned(heap, size, alignment) : mi_heap_malloc_aligned(heap, size, alignment);
  else p = zero ? mi_zalloc_aligned(size, alignment) : mi_malloc_aligned(size, alignment);
  m.adopt(i, p, size, alignment, h, true, zero);
}

void op_posix_memalign(Input& in, HeapModel& m) {
  const size_t requested = in.alignment();
  const size_t alignment = requested < sizeof(void*) ? sizeof(void*) : requested;
  const size_t size = in.size();
  const size_t i = target_slot(in, m);
  void* p = nullptr;
  if (mi_posix_memalign(&p, alignment, size) != 0) p = nullptr;
  m.adopt(i, p, size, alignment, kDefaultHeap, true, false);
}

void op_realloc(Input& in, HeapModel& m) {
  const size_t i = live_slot(in, m);
  const size_t size = in.size();
  if (i == kSlots) return;
  Slot& s = m.slots[i];
  m.check_contents(i);
  mi_heap_t* heap = heap_at(m, s.heap);
  void* p;
  if (s.aligned) p = heap ? mi_heap_realloc_aligned(heap, s.p, size, s.alignment) : mi_realloc_aligned(s.p, size, s.alignment);
  else p = heap ? mi_heap_realloc(heap, s.p, size) : mi_realloc(s.p, size);
  if (!p) return;  // failed: the old block is untouched
  m.resized(i, p, size);
  m.slots[i].recorded_size = size;
}

void op_expand(Input& in, HeapModel& m) {
  const size_t i = live_slot(in, m);
  const size_t size = in.size();
  if (i == kSlots) return;
  // Succeeds within the usable size only, and leaves the block as it was
  // (its recorded size too): the program just may use `size` bytes now.
  void* p = mi_expand(m.slots[i].p, size);
  if (p) m.resized(i, p, size);
}

void op_free(Input& in, HeapModel& m) {
  const size_t i = live_slot(in, m);
  if (i != kSlots) mi_free(m.release(i));
}

void op_free_sized(Input& in, HeapModel& m) {
  const size_t i = live_slot(in, m);
  if (i == kSlots) return;
  const Slot s = m.slots[i];
  m.release(i);
  if (s.aligned) mi_free_size_aligned(s.p, s.recorded_size, s.alignment);
  else mi_free_size(s.p, s.recorded_size);
}

void op_heap_new(Input& in, HeapModel& m) {
  const size_t h = in.below(kHeaps);
  if (!m.heaps[h]) m.heaps[h] = mi_heap_new();
}

// mi_heap_destroy frees every block of the heap at once; mi_heap_delete
// hands them to the backing heap, where they stay live.
void op_heap_end(Input& in, HeapModel& m) {
  const size_t h = in.below(kHeaps);
  const bool destroy = in.byte() & 1;
  if (!m.heaps[h]) return;
  for (size_t i = 0; i < kSlots; i++) {
    Slot& s = m.slots[i];
    if (!s.p || s.heap != static_cast<int>(h)) continue;
    if (destroy) {
      m.check_contents(i);
      m.forget(i);
    } else {
      s.heap = kDefaultHeap;
    }
  }
  if (destroy) mi_heap_destroy(m.heaps[h]);
  else mi_heap_delete(m.heaps[h]);
  m.heaps[h] = nullptr;
}

void op_free_on_helper(Input& in, HeapModel& m) {
  const size_t i = live_slot(in, m);
  if (i == kSlots) return;
  uint8_t* p = m.release(i);
  run_on_helper([p] { mi_free(p); });
}

// The helper allocates; the block is later freed by this thread (or again by the helper).
void op_malloc_on_helper(Input& in, HeapModel& m) {
  const size_t size = in.size();
  const size_t i = target_slot(in, m);
  void* p = nullptr;
  run_on_helper([&] { p = mi_malloc(size); });
  m.adopt(i, p, size, 1, kDefaultHeap, false, false);
  m.slots[i].on_helper = p != nullptr;
}

void op_write(Input& in, HeapModel& m) {
  const size_t i = live_slot(in, m);
  const uint8_t fill = in.byte();
  if (i == kSlots) return;
  m.check_contents(i);
  m.rewrite(i, fill);
}

void op_collect(Input& in, HeapModel& m) {
  const bool force = in.byte() & 1;
  const size_t h = in.below(kHeaps + 1);
  if (h < kHeaps && m.heaps[h]) mi_heap_collect(m.heaps[h], force);
  else mi_collect(force);
}

void op_check_all(Input&, HeapModel& m) {
  for (size_t i = 0; i < kSlots; i++) {
    if (m.slots[i].p) m.check_contents(i);
  }
}

// A block whose address is a heap's: mi_heap_check_owned and mi_check_owned agree.
void op_owned(Input& in, HeapModel& m) {
  const size_t i = live_slot(in, m);
  if (i == kSlots) return;
  const Slot& s = m.slots[i];
  if (!mi_is_in_heap_region(s.p)) oracle_failure("a live block is not in the heap region", s.p, s.size);
  if (s.heap != kDefaultHeap && !mi_heap_check_owned(m.heaps[static_cast<size_t>(s.heap)], s.p)) {
    oracle_failure("a heap does not own its live block", s.p, s.size);
  }
}

}  // namespace

void run_safe_op(unsigned opcode, Input& in, HeapModel& m) {
  switch (opcode) {
    case 0: case 1: case 2: op_malloc(in, m); break;
    case 3: op_calloc(in, m); break;
    case 4: op_zalloc(in, m); break;
    case 5: op_aligned(in, m); break;
    case 6: op_posix_memalign(in, m); break;
    case 7: op_realloc(in, m); break;
    case 8: op_expand(in, m); break;
    case 9: case 10: op_free(in, m); break;
    case 11: op_free_sized(in, m); break;
    case 12: op_heap_new(in, m); break;
    case 13: op_heap_end(in, m); break;
    case 14: op_free_on_helper(in, m); break;
    case 15: op_malloc_on_helper(in, m); break;
    case 16: op_write(in, m); break;
    case 17: op_collect(in, m); break;
    case 18: op_check_all(in, m); break;
    default: op_owned(in, m); break;
  }
}

void run_program(Input& in, HeapModel& m, const std::function<void(unsigned, Input&, HeapModel&)>& extra,
                 unsigned extra_ops) {
  const unsigned ops = kSafeOps + (extra ? extra_ops : 0);
  while (!in.done()) {
    const unsigned opcode = in.byte() % ops;
    FUZZ_TRACE("op %u%s\n", opcode, opcode < kSafeOps ? "" : " (hostile)");
    if (opcode < kSafeOps) run_safe_op(opcode, in, m);
    else extra(opcode - kSafeOps, in, m);
  }
  m.clear();
}

}  // namespace fuzz
