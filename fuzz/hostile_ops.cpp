#include "hostile_ops.h"

#include <errno.h>
#include <mimalloc.h>
#include <sys/mman.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <shardguard/config.h>

#include "detection.h"
#include "helper_thread.h"

namespace fuzz {

namespace {

namespace layers = shardguard::config;

// What each hostile operation needs from the policy.
inline constexpr bool kDoubleFree = layers::double_free;
inline constexpr bool kDoubleAndInvalid = layers::double_free && layers::invalid_free;
inline constexpr bool kInvalidFree = layers::invalid_free;
inline constexpr bool kCanaries = layers::canaries;
inline constexpr bool kFillCheck = layers::fill_check;
// The free-list link and the double-free mark open a freed block; the
// fill check watches the bytes after them.
inline constexpr size_t kFreedHeader = 16;
// The fill check covers blocks up to 64 KiB (SECURITY.md); a request of
// 48 KiB gets a block below that whatever its bin and the canary's bytes.
inline constexpr size_t kFillCheckedRequest = 48 << 10;

// Counts of what was committed and detected, printed at exit.
struct Tally {
  const char* name;
  std::atomic<unsigned long> committed{0};
  std::atomic<unsigned long> detected{0};
  std::atomic<unsigned long> harmless{0};  // not detected, and nothing left corrupted (the write was erased, or never reused)
};
std::array<Tally, 8> tallies{{{"double free (immediate)"},
                              {"double free / realloc / usable size of a freed block (delayed)"},
                              {"double free across threads"},
                              {"interior or misaligned pointer"},
                              {"foreign pointer"},
                              {"sized free with a wrong size"},
                              {"overflow past the end (forked)"},
                              {"write after free (forked)"}}};

void print_tallies() {
  for (const Tally& t : tallies) {
    if (t.committed) {
      fprintf(stderr, "fuzz: hostile %-62s committed %lu, detected %lu, harmless %lu\n", t.name, t.committed.load(), t.detected.load(),
              t.harmless.load());
    }
  }
}

bool forked_this_input = false;

// Commits `misuse` (kind k); it must be detected.
void expect_detected(size_t k, const std::function<void()>& misuse, const void* p) {
  tallies[k].committed++;
  FUZZ_TRACE("hostile: %s on %p\n", tallies[k].name, p);
  if (!detected_in_process(misuse)) {
    fprintf(stderr, "fuzz: hostile operation '%s' on %p went UNDETECTED\n", tallies[k].name, p);
    abort();
  }
  tallies[k].detected++;
}

// One of free, realloc, usable size, sized free: the calls a freed or
// foreign pointer can reach.
std::function<void()> misuse_of(uint8_t how, void* p) {
  switch (how % 4) {
    case 0: return [p] { mi_free(p); };
    case 1: return [p] { void* q = mi_realloc(p, 64); (void)q; };
    case 2: return [p] { (void)mi_usable_size(p); };
    default: return [p] { mi_free_size(p, 32); };
  }
}

size_t live_slot(Input& in, HeapModel& m) {
  const size_t start = in.below(kSlots);
  for (size_t k = 0; k < kSlots; k++) {
    if (m.slots[(start + k) % kSlots].p) return (start + k) % kSlots;
  }
  return kSlots;
}

void double_free_immediate(Input& in, HeapModel& m) {
  const size_t i = live_slot(in, m);
  const uint8_t how = in.byte();
  if (i == kSlots) return;
  uint8_t* p = m.release(i);
  mi_free(p);
  // (usable size of a freed aligned pointer is a misuse of the invalid-free layer too)
  expect_detected(0, misuse_of(how % 2 == 0 || !kInvalidFree ? 0 : how, p), p);
}

void freed_pointer_later(Input& in, HeapModel& m) {
  if (m.freed.empty()) return;
  uint8_t* p = m.freed[in.below(m.freed.size())];
  const uint8_t how = in.byte();
  FUZZ_TRACE("hostile: freed pointer %p, misuse %u\n", p, how % 4u);
  if (m.inside_live_block(p)) return;  // handed out again: now another block's
  expect_detected(1, misuse_of(how, p), p);
}

void double_free_cross_thread(Input& in, HeapModel& m) {
  const size_t i = live_slot(in, m);
  const uint8_t variant = in.byte() % 3;
  if (i == kSlots) return;
  uint8_t* p = m.release(i);
  if (variant == 0) {  // the helper, then this thread
    run_on_helper([p] { mi_free(p); });
    expect_detected(2, [p] { mi_free(p); }, p);
  } else {  // this thread or the helper first, then the helper again
    if (variant == 1) mi_free(p);
    else run_on_helper([p] { mi_free(p); });
    run_on_helper([p] { expect_detected(2, [p] { mi_free(p); }, p); });
  }
}

void interior_pointer(Input& in, HeapModel& m) {
  const size_t i = live_slot(in, m);
  const uint32_t at = in.u32();
  const uint8_t how = in.byte();
  if (i == kSlots) return;
  uint8_t* p = m.slots[i].p;
  const size_t usable = mi_usable_size(p);
  if (usable < 2) return;
  uint8_t* q = p + 1 + at % (usable - 1);
  expect_detected(3, misuse_of(how, q), q);
}

char global_area[256];

void foreign_pointer(Input& in, HeapModel&) {
  static void* mapping = mmap(nullptr, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  static void* libc_block = malloc(128);  // glibc's heap (this harness does not override malloc)
  char stack_area[64];
  __asm__ volatile("" ::"r"(stack_area) : "memory");
  const uint8_t which = in.byte();
  const uint8_t how = in.byte();
  const size_t off = in.byte() % 64;
  char* q;
  switch (which % 6) {
    case 0: q = stack_area; break;
    case 1: q = global_area + off; break;
    case 2: q = static_cast<char*>(libc_block) + off; break;
    case 3: q = static_cast<char*>(mapping) + off * 64; break;
    case 4: q = reinterpret_cast<char*>(uintptr_t{0xdead} << 20); break;  // unmapped
    default: q = reinterpret_cast<char*>(~uintptr_t{0} << 52 | off * 16); break;  // not a user address
  }
  expect_detected(4, misuse_of(how, q), q);
}

void sized_free_wrong_size(Input& in, HeapModel& m) {
  const size_t i = live_slot(in, m);
  const uint16_t delta = in.u16();
  if (i == kSlots || m.slots[i].aligned || delta == 0) return;
  uint8_t* p = m.slots[i].p;
  const size_t wrong = m.slots[i].recorded_size + delta;  // bigger than requested, so never the right size
  FUZZ_TRACE("hostile: sized free of %p (size %zu, recorded %zu, usable %zu, heap %d, helper %d) with %zu\n", p, m.slots[i].size,
             m.slots[i].recorded_size, mi_usable_size(p), m.slots[i].heap, m.slots[i].on_helper, wrong);
  expect_detected(5, [p, wrong] { mi_free_size(p, wrong); }, p);
}

void overflow_past_end(Input& in, HeapModel& m) {
  const size_t i = live_slot(in, m);
  const size_t by = 1 + in.byte() % 16;  // inside the canary: never into a neighbour
  if (i == kSlots || forked_this_input) return;
  forked_this_input = true;
  uint8_t* p = m.slots[i].p;
  const size_t size = m.slots[i].recorded_size;  // the block's end as the allocator knows it (not mi_expand's)
  tallies[6].committed++;
  const ChildOutcome out = run_in_child([p, size, by] {
    memset(p + size, 'A', by);
    mi_free(p);
  });
  if (!out.detected) {
    fprintf(stderr, "fuzz: overflow of %zu bytes past %p (size %zu) went UNDETECTED (exit %d)\n", by, p, size, out.exit_code);
    abort();
  }
  tallies[6].detected++;
}

// Exit codes of the write-after-free child when nothing was detected.
constexpr int kBlockNeverCameBack = 2;
constexpr int kWriteErased = 3;  // the page was released and renewed: the write is gone
constexpr int kWriteSurvived = 4;  // handed out with the attacker's byte: undetected corruption

void write_after_free(Input& in, HeapModel& m) {
  const size_t i = live_slot(in, m);
  const size_t pick = in.byte();
  if (i == kSlots || forked_this_input) return;
  const Slot s = m.slots[i];
  const size_t window = s.size < layers::fill_bytes ? s.size : layers::fill_bytes;
  if (s.aligned || s.on_helper || window <= kFreedHeader || s.size > kFillCheckedRequest) return;
  forked_this_input = true;
  const size_t at = kFreedHeader + pick % (window - kFreedHeader);
  mi_heap_t* heap = s.heap == kDefaultHeap ? nullptr : m.heaps[static_cast<size_t>(s.heap)];
  tallies[7].committed++;
  const ChildOutcome out = run_in_child([s, at, heap] {
    mi_free(s.p);
    s.p[at] = 'A';
    // With the quarantine, the block leaves (and is verified) only when
    // enough frees follow it, or on a forced collect.
    if constexpr (layers::quarantine) mi_collect(true);
    for (int n = 0; n < 20000; n++) {
      auto* q = static_cast<uint8_t*>(heap ? mi_heap_malloc(heap, s.size) : mi_malloc(s.size));
      if (q == s.p) _exit(q[at] == 'A' ? kWriteSurvived : kWriteErased);
    }
    _exit(kBlockNeverCameBack);
  });
  if (out.detected) {
    tallies[7].detected++;
    return;
  }
  if (out.exit_code == kWriteSurvived || out.exit_code < 0 || out.exit_code == 0) {
    fprintf(stderr, "fuzz: write after free at %p+%zu (size %zu) went UNDETECTED (exit %d)\n", s.p, at, s.size, out.exit_code);
    abort();
  }
  tallies[7].harmless++;
}

using HostileOp = void (*)(Input&, HeapModel&);

constexpr auto enabled_ops() {
  std::array<HostileOp, 8> ops{};
  unsigned n = 0;
  if constexpr (kDoubleFree) ops[n++] = double_free_immediate;
  if constexpr (kDoubleAndInvalid) ops[n++] = freed_pointer_later;
  if constexpr (kDoubleFree) ops[n++] = double_free_cross_thread;
  if constexpr (kInvalidFree) ops[n++] = interior_pointer;
  if constexpr (kInvalidFree) ops[n++] = foreign_pointer;
  if constexpr (kCanaries) ops[n++] = sized_free_wrong_size;
  if constexpr (kCanaries) ops[n++] = overflow_past_end;
  if constexpr (kFillCheck) ops[n++] = write_after_free;
  return std::pair{ops, n};
}
constexpr auto kEnabled = enabled_ops();

}  // namespace

unsigned hostile_op_count() {
  static const bool registered = atexit(print_tallies) == 0;
  (void)registered;
  return kEnabled.second;
}

void run_hostile_op(unsigned op, Input& in, HeapModel& m) { kEnabled.first[op](in, m); }

void hostile_input_starts() { forked_this_input = false; }

}  // namespace fuzz
