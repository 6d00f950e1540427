// Runs under LD_PRELOAD=libshardguard.so; not linked with shardguard.
// Checks that malloc and operator new come from shardguard, then churns the
// standard containers and smart pointers across std::threads.
// Exits 0 on success; prints every failed check otherwise.
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

std::atomic<int> failures{0};

#define CHECK(cond, ...)                                                  \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                  \
      std::fputc('\n', stderr);                                           \
      failures++;                                                         \
    }                                                                     \
  } while (0)

using usable_size_fn = size_t (*)(const void*);
usable_size_fn mi_usable = nullptr;

const char* defining_object(const char* symbol) {
  void* sym = dlsym(RTLD_DEFAULT, symbol);
  Dl_info info{};
  if (sym == nullptr || dladdr(sym, &info) == 0 || info.dli_fname == nullptr) return "(unknown)";
  return info.dli_fname;
}

bool verify_shardguard() {
  mi_usable = reinterpret_cast<usable_size_fn>(dlsym(RTLD_DEFAULT, "mi_usable_size"));
  CHECK(mi_usable != nullptr, "mi_usable_size is not in the process: shardguard is not preloaded");
  if (mi_usable == nullptr) return false;
  for (const char* sym : {"malloc", "free", "_Znwm", "_ZdlPv", "_Znam", "_ZdaPv"})
    CHECK(std::strstr(defining_object(sym), "shardguard") != nullptr, "%s comes from %s", sym, defining_object(sym));
  void* p = std::malloc(100);
  CHECK(p != nullptr && mi_usable(p) >= 100, "mi_usable_size(malloc(100)) too small");
  std::free(p);
  auto* q = new char[100];
  CHECK(mi_usable(q) >= 100, "new char[100] is not a shardguard block");
  delete[] q;
  return true;
}

struct Node {
  uint64_t id;
  std::string name;
  std::vector<int> data;
  Node(uint64_t i, std::string n) : id(i), name(std::move(n)), data(static_cast<size_t>(i % 50), static_cast<int>(i)) {}
  bool ok() const {
    if (data.size() != id % 50) return false;
    return std::all_of(data.begin(), data.end(), [&](int v) { return v == static_cast<int>(id); });
  }
};

void container_churn(unsigned seed) {
  std::map<std::string, std::vector<uint64_t>> m;
  std::unordered_map<uint64_t, std::string> um;
  std::vector<std::unique_ptr<Node>> nodes;
  uint64_t x = seed;
  for (int round = 0; round < 200; round++) {
    for (int i = 0; i < 500; i++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      const uint64_t k = x >> 40;
      m["key" + std::to_string(k % 5000)].push_back(k);
      um[k % 10000] = std::string(k % 200, static_cast<char>('a' + k % 26));
      nodes.push_back(std::make_unique<Node>(k, "node" + std::to_string(k)));
    }
    // drop some of everything
    for (auto it = m.begin(); it != m.end();) it = (it->second.size() > 3) ? m.erase(it) : std::next(it);
    nodes.erase(std::remove_if(nodes.begin(), nodes.end(), [](const auto& n) { return n->id % 3 == 0; }),
                nodes.end());
    if (round % 50 == 49) um.clear();
  }
  for (const auto& n : nodes) CHECK(n->ok() && n->name == "node" + std::to_string(n->id), "node %llu corrupted",
                                    static_cast<unsigned long long>(n->id));
  for (const auto& [k, s] : um) CHECK(s.size() == 0 || s[0] == s.back(), "string of key %llu corrupted",
                                      static_cast<unsigned long long>(k));
  for (const auto& [key, v] : m)
    for (uint64_t k : v) CHECK(key == "key" + std::to_string(k % 5000), "map entry %s corrupted", key.c_str());
}

// shared_ptrs created in one thread are released in others (cross-thread frees)
void shared_ptr_handoff() {
  constexpr int kThreads = 4, kPer = 20000;
  std::vector<std::vector<std::shared_ptr<Node>>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPer; i++) {
        const uint64_t id = static_cast<uint64_t>(t) * kPer + static_cast<uint64_t>(i);
        made[t].push_back(std::make_shared<Node>(id, std::string(id % 64, 'x')));
      }
    });
  }
  for (auto& th : threads) th.join();  // the makers are gone: their blocks are abandoned
  threads.clear();
  std::mutex m;
  std::vector<std::shared_ptr<Node>> survivors;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      auto mine = std::move(made[(t + 1) % kThreads]);
      for (size_t i = 0; i < mine.size(); i++) {
        CHECK(mine[i]->ok(), "shared node corrupted");
        if (i % 100 == 0) {
          std::lock_guard<std::mutex> lock(m);
          survivors.push_back(mine[i]);
        }
      }
      mine.clear();  // frees blocks allocated by another (exited) thread
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& s : survivors) CHECK(s.use_count() == 1 && s->ok(), "survivor corrupted");
}

void string_and_vector_growth() {
  std::string s;
  for (int i = 0; i < 200000; i++) s += static_cast<char>('a' + i % 26);
  CHECK(s.size() == 200000 && s[199999] == 'a' + 199999 % 26, "string growth lost data");
  std::vector<uint64_t> v;
  for (uint64_t i = 0; i < 3000000; i++) v.push_back(i);
  CHECK(std::accumulate(v.begin(), v.end(), uint64_t{0}) == 3000000ull * 2999999ull / 2, "vector sum wrong");
  v.resize(10);
  v.shrink_to_fit();
  CHECK(v.size() == 10 && v[9] == 9, "shrink_to_fit lost data");
}

}  // namespace

int main() {
  if (!verify_shardguard()) return 1;
  string_and_vector_growth();
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; t++) threads.emplace_back(container_churn, 1000 + t);
  for (auto& th : threads) th.join();
  shared_ptr_handoff();
  if (failures) {
    std::fprintf(stderr, "preload_cxx: %d check(s) failed\n", failures.load());
    return 1;
  }
  std::printf("preload_cxx: OK\n");
  return 0;
}
