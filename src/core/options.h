// Run-time options (mi_option_t): each one has a default, may be set from
// the environment (SHARDGUARD_<NAME>, else MIMALLOC_<NAME>) and by the
// program. The environment is read the first time an option is asked for,
// without allocating; after that, reading an option is one load.
#pragma once
#include <atomic>

#include "mimalloc.h"

namespace shardguard::options {

enum State : unsigned char {
  kUninit,     // not read yet: the next read consults the environment
  kDefaulted,  // the environment had nothing (or nonsense): the default holds
  kInitialized,  // from the environment or set by the program
};

struct Slot {
  std::atomic<long> value;
  std::atomic<unsigned char> state;
};

extern Slot slots[_mi_option_last];

// Reads the environment for `option` (first use) and returns its value.
long init_from_env(mi_option_t option);

inline long get(mi_option_t option) {
  Slot& slot = slots[option];
  if (slot.state.load(std::memory_order_acquire) != kUninit) [[likely]] return slot.value.load(std::memory_order_relaxed);
  return init_from_env(option);
}

// Sizes in KiB (reserve_os_memory, arena_reserve) come back in bytes.
size_t get_size(mi_option_t option);
void set(mi_option_t option, long value);
// Changes the default: the environment still wins.
void set_default(mi_option_t option, long value);

// The option's name without prefix ("purge_delay"), or "" if out of range.
const char* name(mi_option_t option);

// Reads every option from the environment (process start-up).
void init_all();

// Writes every option and its value to the output (mi_options_print).
void print_all();

}  // namespace shardguard::options
