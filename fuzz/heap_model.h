// The interpreter's model of the heap: a table of slots, each either empty
// or holding a live block with what the program knows about it (requested
// size, alignment, the byte it wrote, the heap it came from), and the
// oracle that checks the allocator against the model:
//   - a live block keeps exactly the bytes written to it;
//   - its usable size is at least the requested size;
//   - it has the requested alignment;
//   - no two live blocks overlap.
#pragma once
#include <mimalloc.h>

#include <array>
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace fuzz {

inline constexpr size_t kSlots = 32;
inline constexpr size_t kHeaps = 4;
inline constexpr int kDefaultHeap = -1;

struct Slot {
  uint8_t* p = nullptr;  // nullptr: empty
  size_t size = 0;       // requested
  size_t recorded_size = 0;  // the size a sized free must name (mi_expand does not change it)
  size_t alignment = 1;
  uint8_t fill = 0;      // every byte of [p, p + size) holds this
  int heap = kDefaultHeap;  // index into HeapModel::heaps, or kDefaultHeap
  bool aligned = false;  // came from an aligned allocation (interior pointer possible)
  bool on_helper = false;  // allocated by the helper thread (a page of its heap)
};

// FUZZ_TRACE=1 in the environment: every step is printed (to read a crash).
bool tracing();
#define FUZZ_TRACE(...) \
  do {                                  \
    if (::fuzz::tracing()) fprintf(stderr, "trace: " __VA_ARGS__); \
  } while (0)

// Stops the process with a message: the allocator broke the oracle.
[[noreturn]] void oracle_failure(const char* what, const void* p, size_t size);

class HeapModel {
 public:
  std::array<Slot, kSlots> slots{};
  std::array<mi_heap_t*, kHeaps> heaps{};
  // Blocks freed in this run (addresses only: they may be handed out again).
  std::vector<uint8_t*> freed;

  // A fresh block from the allocator enters slot i (which must be empty).
  // `zeroed`: the allocator promised zeroes (calloc, zalloc).
  void adopt(size_t i, void* p, size_t size, size_t alignment, int heap, bool aligned, bool zeroed);
  // Slot i's block keeps its contents (checked) and leaves the model.
  uint8_t* release(size_t i);
  // Slot i's block left without being checked (a heap destroy freed it).
  void forget(size_t i);
  // A realloc moved or resized slot i's block to p with a new size.
  void resized(size_t i, void* p, size_t size);
  // Writes a new fill over slot i's whole block.
  void rewrite(size_t i, uint8_t fill);
  void check_contents(size_t i) const;
  // Whether address a may lie in a live block: between the start of its
  // usable bytes and their end, or, for an aligned block, in the padding
  // before the aligned pointer (less than the alignment), where the block
  // the allocator handed out may start.
  bool inside_live_block(const void* a) const;
  // Frees every block and destroys every heap: the next input starts clean.
  void clear();

 private:
  // live block start -> end of its usable size
  std::map<uintptr_t, uintptr_t> extents_;
  uint8_t next_fill_ = 1;

  void add_extent(const Slot& s);
  void remove_extent(const Slot& s);
};

}  // namespace fuzz
