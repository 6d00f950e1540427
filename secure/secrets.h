// Process-wide secrets of the hardening layers, drawn from the kernel when
// the process initializes the allocator (before the first block is handed
// out) and never written to afterwards. They live in the library's data
// segment, not in the heap, so a heap overflow cannot reach them.
#pragma once
#include <cstdint>


namespace shardguard::secure {

struct Secrets {
  uint64_t free_cookie;  // double_free: marks a block as free
  uint64_t size_key;     // canaries: encodes the canary and size record (low byte: top bit set)
  uintptr_t delayed_keys[2];  // encrypt_freelist: links of the heaps' delayed lists
  uint64_t aligned_tag;  // invalid_free: marks an interior pointer handed out by an aligned allocation
};

extern Secrets secrets;

// Fills `secrets`; called once, from process start-up.
void secrets_init();

}  // namespace shardguard::secure
