// Threads under LD_PRELOAD: thread-exit cleanup and thread churn. Not linked
// with shardguard.
//
//   preload_threads key-destructors    pthread key destructors that allocate and
//                                      free after shardguard's own exit hook ran
//                                      (for several destructor rounds)
//   preload_threads thread-local-dtors C++ thread_local destructors that allocate,
//                                      and hand a block to another thread
//   preload_threads churn              thousands of threads created and joined in
//                                      a loop, then std::async, RSS bounded
// Exits 0 when every check passed.
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

namespace {

int failures = 0;
std::mutex failures_lock;

#define CHECK(cond, ...)                                                  \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::lock_guard<std::mutex> g(failures_lock);                       \
      std::fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                  \
      std::fputc('\n', stderr);                                           \
      failures++;                                                         \
    }                                                                     \
  } while (0)

using usable_fn = size_t (*)(const void*);
usable_fn usable;

size_t rss_bytes() {
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  char buf[128] = {};
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) close(fd);
  if (n <= 0) return 0;
  const char* s = std::strchr(buf, ' ');
  return s ? std::strtoull(s, nullptr, 10) * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

constexpr size_t MiB = size_t{1} << 20;

bool filled(const void* p, int c, size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; i++)
    if (b[i] != static_cast<unsigned char>(c)) return false;
  return true;
}

// Blocks made by exiting threads for main to check and free.
std::mutex handoff_lock;
std::vector<std::pair<char*, int>> handoff;

void hand_over(int fill) {
  char* p = static_cast<char*>(std::malloc(200));
  if (!p) return;
  std::memset(p, fill, 200);
  std::lock_guard<std::mutex> g(handoff_lock);
  handoff.emplace_back(p, fill);
}

void check_handoff(size_t expected) {
  std::lock_guard<std::mutex> g(handoff_lock);
  CHECK(handoff.size() == expected, "%zu blocks handed over, expected %zu", handoff.size(), expected);
  for (auto& [p, fill] : handoff) {
    CHECK(usable(p) >= 200, "a block made by an exiting thread is not a shardguard block");
    CHECK(filled(p, fill, 200), "a block made by an exiting thread was corrupted");
    std::free(p);
  }
  handoff.clear();
}

// ---- key-destructors ----
pthread_key_t late_key;  // created after shardguard's key: its destructor runs after shardguard's
constexpr int kDestructorRounds = 3;

struct KeyState {
  int rounds = 0;
  int fill = 0;
};

void late_destructor(void* value) {
  auto* st = static_cast<KeyState*>(value);
  for (int i = 0; i < 50; i++) {  // churn after the thread's heap was released
    void* p = std::malloc(static_cast<size_t>(16 + i * 97));
    if (p) std::memset(p, i, static_cast<size_t>(16 + i * 97));
    std::free(p);
  }
  hand_over(st->fill);
  if (++st->rounds < kDestructorRounds) {
    pthread_setspecific(late_key, st);  // asks for another destructor round
  } else {
    delete st;
  }
}

void* key_thread(void* arg) {
  std::vector<std::string> work;
  for (int i = 0; i < 300; i++) work.emplace_back(static_cast<size_t>(i), 'k');
  auto* st = new KeyState;
  st->fill = static_cast<int>(reinterpret_cast<intptr_t>(arg) % 250) + 1;
  pthread_setspecific(late_key, st);
  return nullptr;
}

void key_destructors() {
  std::free(std::malloc(1));  // shardguard's thread-exit key exists from here on
  CHECK(pthread_key_create(&late_key, late_destructor) == 0, "pthread_key_create");
  constexpr int kThreads = 400;
  const size_t before = rss_bytes();
  for (int batch = 0; batch < kThreads / 8; batch++) {
    pthread_t t[8];
    for (int i = 0; i < 8; i++) pthread_create(&t[i], nullptr, key_thread, reinterpret_cast<void*>(intptr_t{batch * 8 + i}));
    for (auto& th : t) pthread_join(th, nullptr);
  }
  check_handoff(static_cast<size_t>(kThreads) * kDestructorRounds);
  const size_t after = rss_bytes();
  CHECK(after < before + 64 * MiB, "RSS grew from %zu to %zu MiB over %d threads", before / MiB, after / MiB, kThreads);
}

// ---- thread-local-dtors ----
struct LocalHolder {
  std::vector<std::string> strings;
  int fill = 0;
  ~LocalHolder() {
    strings.clear();
    strings.shrink_to_fit();
    auto temp = std::make_unique<std::vector<int>>(1000, fill);  // allocates and frees in the destructor
    CHECK(std::accumulate(temp->begin(), temp->end(), 0L) == 1000L * fill, "destructor vector");
    hand_over(fill);
  }
};
thread_local LocalHolder holder;

void thread_local_destructors() {
  constexpr int kThreads = 400;
  for (int batch = 0; batch < kThreads / 8; batch++) {
    std::vector<std::thread> ts;
    for (int i = 0; i < 8; i++) {
      ts.emplace_back([fill = (batch * 8 + i) % 250 + 1] {
        holder.fill = fill;
        for (int k = 0; k < 100; k++) holder.strings.emplace_back(static_cast<size_t>(k * 3), 'h');
      });
    }
    for (auto& t : ts) t.join();
  }
  check_handoff(kThreads);
}

// ---- churn ----
void churn() {
  constexpr int kThreads = 3000, kAsync = 2000;
  std::free(std::malloc(1));
  const size_t before = rss_bytes();
  std::vector<void*> kept(kThreads, nullptr);
  for (int i = 0; i < kThreads; i++) {
    std::thread t([&kept, i] {
      std::vector<void*> mine;
      for (int k = 0; k < 64; k++) mine.push_back(std::malloc(static_cast<size_t>(1 + (i + k) % 4000)));
      for (size_t k = 1; k < mine.size(); k++) std::free(mine[k]);
      kept[static_cast<size_t>(i)] = mine[0];  // outlives its thread; freed by main
      std::memset(kept[static_cast<size_t>(i)], 0x42, 1);
    });
    t.join();
    if (i % 2 == 1) {  // free some while later threads still run
      std::free(kept[static_cast<size_t>(i - 1)]);
      kept[static_cast<size_t>(i - 1)] = nullptr;
    }
  }
  for (void* p : kept) {
    if (p) CHECK(*static_cast<unsigned char*>(p) == 0x42, "a block outliving its thread changed");
    std::free(p);
  }
  long total = 0;
  for (int i = 0; i < kAsync; i += 4) {
    std::vector<std::future<long>> futures;
    for (int k = 0; k < 4; k++) {
      futures.push_back(std::async(std::launch::async, [n = i + k] {
        std::vector<long> v(1000, n);
        return std::accumulate(v.begin(), v.end(), 0L);
      }));
    }
    for (auto& f : futures) total += f.get();
  }
  CHECK(total == 1000L * (static_cast<long>(kAsync) * (kAsync - 1) / 2), "std::async results: %ld", total);
  const size_t after = rss_bytes();
  CHECK(after < before + 64 * MiB, "RSS grew from %zu to %zu MiB over %d threads and %d std::async calls",
        before / MiB, after / MiB, kThreads, kAsync);
}

}  // namespace

int main(int argc, char** argv) {
  usable = reinterpret_cast<usable_fn>(dlsym(RTLD_DEFAULT, "mi_usable_size"));
  if (!usable) {
    std::fprintf(stderr, "FAIL: shardguard is not preloaded\n");
    return 1;
  }
  const std::string mode = argc == 2 ? argv[1] : "";
  if (mode == "key-destructors") {
    key_destructors();
  } else if (mode == "thread-local-dtors") {
    thread_local_destructors();
  } else if (mode == "churn") {
    churn();
  } else {
    std::fprintf(stderr, "usage: %s key-destructors|thread-local-dtors|churn\n", argv[0]);
    return 2;
  }
  if (failures) {
    std::fprintf(stderr, "preload_threads %s: %d check(s) failed\n", mode.c_str(), failures);
    return 1;
  }
  std::printf("preload_threads %s: OK\n", mode.c_str());
  return 0;
}
