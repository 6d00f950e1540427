// heap-requests — first-class heaps: each request allocates its objects in a
// heap of its own (mi_heap_new / mi_heap_malloc) and drops them all at once
// with mi_heap_destroy, as a server that keeps one arena per request does.
//
// The program is run preloaded under allocators with and without the mimalloc
// API, so it never links one: it looks the three functions up at run time
// (dlsym of RTLD_DEFAULT finds them in a preloaded libshardguard or
// libmimalloc). Where they are missing it runs the fallback: the same
// objects from malloc, each freed by itself at the end of the request. The
// line "heap_api=first-class" or "heap_api=fallback" says which ran.
//
// SIZE: requests per thread.
#include <dlfcn.h>

#include <thread>
#include <vector>

#include "workload.h"

namespace {

constexpr const char* kName = "heap-requests";

using HeapNew = void* (*)();
using HeapMalloc = void* (*)(void*, size_t);
using HeapDestroy = void (*)(void*);

struct HeapApi {
  HeapNew make = nullptr;
  HeapMalloc alloc = nullptr;
  HeapDestroy destroy = nullptr;
  bool available() const { return make && alloc && destroy; }
};

HeapApi find_heap_api() {
  HeapApi api;
  api.make = reinterpret_cast<HeapNew>(dlsym(RTLD_DEFAULT, "mi_heap_new"));
  api.alloc = reinterpret_cast<HeapMalloc>(dlsym(RTLD_DEFAULT, "mi_heap_malloc"));
  api.destroy = reinterpret_cast<HeapDestroy>(dlsym(RTLD_DEFAULT, "mi_heap_destroy"));
  return api;
}

// A request's object: a linked record with a payload after it.
struct Record {
  Record* next;
  size_t size;  // of the whole block
  uint64_t tag;
};

size_t record_size(XorShift64& rng) {
  const uint64_t r = rng.below(100);
  if (r < 80) return sizeof(Record) + rng.below(200);
  if (r < 98) return sizeof(Record) + 200 + rng.below(1800);
  return sizeof(Record) + 2000 + rng.below(14000);
}

struct Totals {
  uint64_t made = 0, checked = 0, sum = 0;
};

void serve_request(const HeapApi& api, XorShift64& rng, uint64_t tag_base, Totals& tot) {
  void* heap = api.available() ? api.make() : nullptr;
  if (api.available() && !heap) wl::fail(kName, "mi_heap_new returned NULL", nullptr, 0);
  const uint64_t objects = 100 + rng.below(300);
  Record* head = nullptr;
  for (uint64_t i = 0; i < objects; ++i) {
    const size_t size = record_size(rng);
    void* p = heap ? api.alloc(heap, size) : std::malloc(size);
    if (!p) wl::fail(kName, "allocation returned NULL", nullptr, size);
    const uint64_t tag = tag_base | ++tot.made;
    auto* payload = static_cast<uint8_t*>(p) + sizeof(Record);
    wl::stamp(payload, size - sizeof(Record), tag);
    auto* r = static_cast<Record*>(p);
    r->next = head;
    r->size = size;
    r->tag = tag;
    head = r;
  }
  // The response: read every object back.
  for (Record* r = head; r;) {
    Record* next = r->next;
    tot.sum += wl::verify(kName, reinterpret_cast<uint8_t*>(r) + sizeof(Record), r->size - sizeof(Record), r->tag);
    ++tot.checked;
    if (!heap) std::free(r);
    r = next;
  }
  if (heap) api.destroy(heap);
}

}  // namespace

int main(int argc, char** argv) {
  const wl::Args a = wl::parse_args(argc, argv, kName, 1, 20000);
  const HeapApi api = find_heap_api();
  std::vector<Totals> totals(a.threads);
  wl::Stopwatch clock;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < a.threads; ++t) {
    pool.emplace_back([&, t] {
      XorShift64 rng(0x4EA9 + t);
      for (uint64_t q = 0; q < a.size; ++q) serve_request(api, rng, uint64_t{t} << 48, totals[t]);
    });
  }
  for (auto& th : pool) th.join();
  const double elapsed = clock.seconds();
  std::printf("heap_api=%s\n", api.available() ? "first-class" : "fallback");
  wl::finish<Totals>(kName, a, elapsed, totals);
  return 0;
}
