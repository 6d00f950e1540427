// alloc_st — single-threaded allocation benchmark (cfrac/espresso-like churn).
//
// Plain C++ against malloc/free/new/delete: run it with an allocator preloaded
// (LD_PRELOAD=.../libshardguard.so bench/alloc_st). It must never link shardguard.
//
// Phases per iteration block:
//   churn  — a ring-buffer working set of live blocks; each step replaces a random
//            slot (fixed-seed xorshift), sizes mostly 8..512 bytes, a few up to
//            64 KiB, plus short-lived temporaries and an occasional realloc growth.
//   tree   — builds and tears down a binary tree of small nodes (new/delete).
// Every block carries a pattern derived from its tag; the pattern is verified
// before the block is freed. A mismatch prints a diagnostic and exits 1.
//
// Usage: alloc_st [iterations]   (default calibrated to ~1 s under glibc)

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "xorshift.h"

namespace {

constexpr uint64_t kDefaultIterations = 7000000;
constexpr size_t kRingSlots = 8192;   // live working set
constexpr int kTreeDepth = 14;        // 32767 nodes per tree
constexpr uint64_t kTreeEvery = 100000; // churn steps between tree phases

[[noreturn]] void fail(const char* what, const void* p, size_t size, uint64_t tag) {
  std::fprintf(stderr, "alloc_st: CORRUPTION: %s (block %p, size %zu, tag %" PRIu64 ")\n", what, p,
               size, tag);
  std::exit(1);
}

// Size distribution: 90% in 8..512 (skewed small), 9% in 513..4096, 1% up to 64 KiB.
size_t pick_size(XorShift64& rng) {
  uint64_t r = rng.below(1000);
  if (r < 600) return 8 + rng.below(57);         // 8..64
  if (r < 900) return 65 + rng.below(448);       // 65..512
  if (r < 990) return 513 + rng.below(3584);     // 513..4096
  return 4097 + rng.below(65536 - 4096 + 1);     // 4097..65536
}

inline uint8_t pattern_byte(uint64_t tag) { return static_cast<uint8_t>((tag * 0x9Du) ^ (tag >> 9) ^ 0x5A); }

// Write the whole block: a fill byte everywhere, and the tag stamped in the first
// and last 8 bytes when the block is large enough.
void fill(void* p, size_t size, uint64_t tag) {
  auto* b = static_cast<uint8_t*>(p);
  std::memset(b, pattern_byte(tag), size);
  if (size >= 16) {
    std::memcpy(b, &tag, 8);
    uint64_t t2 = ~tag;
    std::memcpy(b + size - 8, &t2, 8);
  }
}

// Verify the stamps and a sample of fill bytes (every 61st byte and the edges).
uint64_t check(const void* p, size_t size, uint64_t tag) {
  auto* b = static_cast<const uint8_t*>(p);
  uint8_t pb = pattern_byte(tag);
  size_t lo = 0, hi = size;
  if (size >= 16) {
    uint64_t t1, t2;
    std::memcpy(&t1, b, 8);
    std::memcpy(&t2, b + size - 8, 8);
    if (t1 != tag) fail("head stamp overwritten", p, size, tag);
    if (t2 != ~tag) fail("tail stamp overwritten", p, size, tag);
    lo = 8;
    hi = size - 8;
  }
  uint64_t sum = 0;
  for (size_t i = lo; i < hi; i += 61) {
    if (b[i] != pb) fail("fill byte overwritten", p, size, tag);
    sum += b[i];
  }
  if (hi > lo && b[hi - 1] != pb) fail("last fill byte overwritten", p, size, tag);
  return sum + size;
}

struct Slot {
  void* p = nullptr;
  size_t size = 0;
  uint64_t tag = 0;
};

struct Node {
  Node* left;
  Node* right;
  uint64_t value;
};

Node* build(int depth, uint64_t& counter) {
  Node* n = new Node{nullptr, nullptr, counter++};
  if (depth > 0) {
    n->left = build(depth - 1, counter);
    n->right = build(depth - 1, counter);
  }
  return n;
}

// Returns the sum of values; checks the tree shape.
uint64_t walk_and_free(Node* n, int depth, uint64_t& nodes) {
  if (!n) return 0;
  if ((depth > 0) != (n->left != nullptr) || (n->left == nullptr) != (n->right == nullptr)) {
    std::fprintf(stderr, "alloc_st: CORRUPTION: tree node %p has a wrong shape\n", static_cast<void*>(n));
    std::exit(1);
  }
  uint64_t s = n->value;
  s += walk_and_free(n->left, depth - 1, nodes);
  s += walk_and_free(n->right, depth - 1, nodes);
  ++nodes;
  delete n;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t iterations = kDefaultIterations;
  if (argc > 1) {
    char* end = nullptr;
    iterations = std::strtoull(argv[1], &end, 10);
    if (!end || *end || iterations == 0) {
      std::fprintf(stderr, "usage: %s [iterations]   (default %" PRIu64 ")\n", argv[0], kDefaultIterations);
      return 2;
    }
  }

  auto t0 = std::chrono::steady_clock::now();
  XorShift64 rng(0x2545F4914F6CDD1Dull);
  Slot* ring = new Slot[kRingSlots];
  uint64_t next_tag = 1, checksum = 0, allocs = 0, frees = 0, reallocs = 0, trees = 0, tree_nodes = 0;

  for (uint64_t it = 0; it < iterations; ++it) {
    // 1. Replace a random slot of the live working set.
    Slot& s = ring[rng.below(kRingSlots)];
    if (s.p) {
      checksum += check(s.p, s.size, s.tag);
      std::free(s.p);
      ++frees;
    }
    s.size = pick_size(rng);
    s.tag = next_tag++;
    s.p = std::malloc(s.size);
    if (!s.p) { std::fprintf(stderr, "alloc_st: malloc(%zu) returned NULL\n", s.size); return 1; }
    ++allocs;
    fill(s.p, s.size, s.tag);

    // 2. A short-lived temporary (cfrac's bignum scratch), freed at once.
    if ((it & 1) == 0) {
      size_t tsz = 8 + rng.below(120);
      uint64_t ttag = next_tag++;
      void* t = std::malloc(tsz);
      if (!t) { std::fprintf(stderr, "alloc_st: malloc(%zu) returned NULL\n", tsz); return 1; }
      ++allocs;
      fill(t, tsz, ttag);
      checksum += check(t, tsz, ttag);
      std::free(t);
      ++frees;
    }

    // 3. Occasionally grow a live block with realloc (espresso-like set growth).
    if ((it & 63) == 7 && s.size < 32768) {
      size_t nsz = s.size + s.size / 2 + 16;
      size_t keep = s.size;
      void* np = std::realloc(s.p, nsz);
      if (!np) { std::fprintf(stderr, "alloc_st: realloc(%zu) returned NULL\n", nsz); return 1; }
      ++reallocs;
      // The old contents must have moved with the block: check the prefix bytes.
      auto* b = static_cast<uint8_t*>(np);
      if (keep >= 16) {
        uint64_t t1;
        std::memcpy(&t1, b, 8);
        if (t1 != s.tag) fail("realloc lost the block contents", np, keep, s.tag);
      } else if (b[0] != pattern_byte(s.tag)) {
        fail("realloc lost the block contents", np, keep, s.tag);
      }
      s.p = np;
      s.size = nsz;
      fill(s.p, s.size, s.tag);
    }

    // 4. Periodically build and tear down a binary tree of small nodes.
    if (it % kTreeEvery == kTreeEvery - 1) {
      uint64_t counter = 0;
      Node* root = build(kTreeDepth, counter);
      uint64_t nodes = 0;
      uint64_t sum = walk_and_free(root, kTreeDepth, nodes);
      uint64_t expect = counter * (counter - 1) / 2;
      if (nodes != counter || sum != expect) {
        std::fprintf(stderr, "alloc_st: CORRUPTION: tree has %" PRIu64 " nodes (sum %" PRIu64
                     "), expected %" PRIu64 " (sum %" PRIu64 ")\n", nodes, sum, counter, expect);
        return 1;
      }
      ++trees;
      tree_nodes += nodes;
      checksum += sum;
    }
  }

  // One tree at the end even for tiny iteration counts, then drain the ring.
  {
    uint64_t counter = 0, nodes = 0;
    Node* root = build(10, counter);
    uint64_t sum = walk_and_free(root, 10, nodes);
    if (nodes != counter || sum != counter * (counter - 1) / 2) {
      std::fprintf(stderr, "alloc_st: CORRUPTION: final tree is wrong\n");
      return 1;
    }
    ++trees;
    tree_nodes += nodes;
  }
  for (size_t i = 0; i < kRingSlots; ++i) {
    if (ring[i].p) {
      checksum += check(ring[i].p, ring[i].size, ring[i].tag);
      std::free(ring[i].p);
      ++frees;
    }
  }
  delete[] ring;

  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t ops = allocs + frees + reallocs + 2 * tree_nodes;
  std::printf("alloc_st: OK iterations=%" PRIu64 " mallocs=%" PRIu64 " frees=%" PRIu64 " reallocs=%" PRIu64
              " trees=%" PRIu64 " tree_nodes=%" PRIu64 " ops=%" PRIu64 " time=%.3fs (%.1f Mops/s) checksum=%016" PRIx64 "\n",
              iterations, allocs, frees, reallocs, trees, tree_nodes, ops, secs, ops / secs / 1e6, checksum);
  return 0;
}
