// mimalloc API: the standard malloc interface and its extensions.
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "core/alloc.h"
#include "core/free.h"
#include "core/rezalloc.h"
#include "mimalloc.h"
#include <shardguard/config.h>

using namespace shardguard;

extern "C" {

void* mi_malloc(size_t size) noexcept { return default_malloc(size); }

void* mi_zalloc(size_t size) noexcept { return default_malloc(size, true); }

void* mi_calloc(size_t count, size_t size) noexcept {
  size_t total;
  if (!checked_total(count, size, &total)) return nullptr;
  return default_malloc(total, true);
}

void* mi_mallocn(size_t count, size_t size) noexcept {
  size_t total;
  if (!checked_total(count, size, &total)) return nullptr;
  return default_malloc(total);
}

// Any size is served: a larger one takes the general path (mimalloc requires
// size <= MI_SMALL_SIZE_MAX).
void* mi_malloc_small(size_t size) noexcept { return heap_malloc(tls_default_heap, size, false); }

void* mi_zalloc_small(size_t size) noexcept { return heap_malloc(tls_default_heap, size, true); }

void* mi_realloc(void* p, size_t newsize) noexcept { return heap_realloc(tls_default_heap, p, newsize); }

void* mi_reallocn(void* p, size_t count, size_t size) noexcept {
  size_t total;
  if (!checked_total(count, size, &total)) return nullptr;
  return heap_realloc(tls_default_heap, p, total);
}

void* mi_reallocf(void* p, size_t newsize) noexcept {
  void* q = heap_realloc(tls_default_heap, p, newsize);
  if (!q && p) free_fast(p);
  return q;
}

void* mi_expand(void* p, size_t newsize) noexcept {
  if (!p) return nullptr;
  // Within the usable size only, as mimalloc does (with canaries the usable
  // size is the requested one, and the canary stays where it is).
  return newsize <= usable_size(p, "mi_expand") ? p : nullptr;
}

void mi_free(void* p) noexcept { free_fast(p); }

void mi_free_small(void* p) noexcept { free_fast(p); }

void* mi_rezalloc(void* p, size_t newsize) noexcept {
  return heap_rezalloc(tls_default_heap, p, newsize);
}

void* mi_recalloc(void* p, size_t newcount, size_t size) noexcept {
  size_t total;
  if (!checked_total(newcount, size, &total)) return nullptr;
  return heap_rezalloc(tls_default_heap, p, total);
}

size_t mi_usable_size(const void* p) noexcept { return usable_size(p, "mi_usable_size"); }

size_t mi_good_size(size_t size) noexcept { return good_size(size); }

char* mi_strdup(const char* s) noexcept {
  if (!s) return nullptr;
  const size_t n = strlen(s);
  auto* copy = static_cast<char*>(default_malloc(n + 1));
  if (copy) memcpy(copy, s, n + 1);
  return copy;
}

char* mi_strndup(const char* s, size_t n) noexcept {
  if (!s) return nullptr;
  const size_t len = strnlen(s, n);
  auto* copy = static_cast<char*>(default_malloc(len + 1));
  if (!copy) return nullptr;
  memcpy(copy, s, len);
  copy[len] = '\0';
  return copy;
}

char* mi_realpath(const char* fname, char* resolved_name) noexcept {
  if (resolved_name) return realpath(fname, resolved_name);
  // realpath(fname, NULL) would allocate with libc's malloc: resolve into a
  // buffer and copy into our own block instead.
  char buf[PATH_MAX];
  if (!realpath(fname, buf)) return nullptr;
  return mi_strdup(buf);
}

int mi_version(void) noexcept { return MI_MALLOC_VERSION; }

}  // extern "C"
