// The storage of the quarantine layer (secure/quarantine.h): a per-thread
// ring of freed blocks, part of ThreadData. Without the layer it is an empty
// struct that takes no room.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <shardguard/config.h>

namespace shardguard {
struct Block;
}

namespace shardguard::secure {

struct QuarantineRing {
  Block* slot[config::quarantine_blocks];
  uint32_t head;   // the oldest block
  uint32_t count;  // blocks held
  size_t bytes;    // their block sizes, summed
};
struct NoQuarantine {};

using Quarantine = std::conditional_t<config::quarantine, QuarantineRing, NoQuarantine>;

}  // namespace shardguard::secure
