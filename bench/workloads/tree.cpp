// tree — an allocation-heavy data structure built and torn down: an unbalanced
// binary search tree of random keys, each node with a small heap-allocated
// name (as a symbol table or a DOM has), checked by an in-order walk that must
// see every key in order, then freed. Each thread builds its own trees.
//
// SIZE: nodes per thread (in trees of up to 100000 nodes).
#include <string>
#include <thread>
#include <vector>

#include "workload.h"

namespace {

constexpr const char* kName = "tree";
constexpr uint64_t kMaxTreeNodes = 100000;

struct Node {
  Node* left = nullptr;
  Node* right = nullptr;
  uint64_t key;
  std::string name;  // longer than the small-string buffer: a second allocation
  explicit Node(uint64_t k) : key(k), name("node-with-a-longer-name-" + std::to_string(k)) {}
};

void insert(Node*& root, Node* n) {
  Node** at = &root;
  while (*at) at = n->key < (*at)->key ? &(*at)->left : &(*at)->right;
  *at = n;
}

struct Walk {
  uint64_t count = 0, last = 0, sum = 0;
};

// In-order walk with an explicit stack (trees can be deep); frees as it goes.
void check_and_free(Node* root, Walk& w) {
  const uint64_t first = w.count;  // keys are in order within one tree
  std::vector<Node*> stack;
  Node* n = root;
  while (n || !stack.empty()) {
    while (n) {
      stack.push_back(n);
      n = n->left;
    }
    n = stack.back();
    stack.pop_back();
    if (w.count > first && n->key < w.last) wl::fail(kName, "keys out of order", n, n->key);
    if (n->name != "node-with-a-longer-name-" + std::to_string(n->key)) wl::fail(kName, "node name changed", n, n->key);
    w.last = n->key;
    w.sum += n->key;
    ++w.count;
    Node* right = n->right;
    delete n;
    n = right;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const wl::Args a = wl::parse_args(argc, argv, kName, 1, 1000000);
  std::vector<Walk> walks(a.threads);
  std::vector<uint64_t> key_sums(a.threads, 0);
  wl::Stopwatch clock;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < a.threads; ++t) {
    pool.emplace_back([&, t] {
      XorShift64 rng(0x7EE + t);
      for (uint64_t done = 0; done < a.size;) {
        const uint64_t nodes = std::min(kMaxTreeNodes, a.size - done);
        Node* root = nullptr;
        for (uint64_t i = 0; i < nodes; ++i) {
          const uint64_t key = rng.below(1u << 30);
          key_sums[t] += key;
          insert(root, new Node(key));
        }
        check_and_free(root, walks[t]);
        done += nodes;
      }
    });
  }
  for (auto& th : pool) th.join();
  const double elapsed = clock.seconds();
  uint64_t count = 0, sum = 0, want = 0;
  for (unsigned t = 0; t < a.threads; ++t) {
    count += walks[t].count;
    sum += walks[t].sum;
    want += key_sums[t];
  }
  wl::expect_equal(kName, "nodes walked", count, a.size * a.threads);
  wl::expect_equal(kName, "sum of keys", sum, want);
  wl::report(kName, a, elapsed, count, sum);
  return 0;
}
