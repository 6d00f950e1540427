// mimalloc API: mi-prefixed POSIX, BSD and Windows allocation functions.
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <unistd.h>

#include "core/aligned.h"
#include "core/alloc.h"
#include "core/config.h"
#include "core/free.h"
#include "core/rezalloc.h"
#include "core/segment_map.h"
#include "mimalloc.h"

using namespace shardguard;

extern "C" {

size_t mi_malloc_size(const void* p) noexcept { return usable_size(p, "mi_malloc_size"); }

size_t mi_malloc_usable_size(const void* p) noexcept { return usable_size(p, "mi_malloc_usable_size"); }

size_t mi_malloc_good_size(size_t size) noexcept { return good_size(size); }

// "Checked" free: a pointer outside our memory is ignored without a report.
void mi_cfree(void* p) noexcept {
  if (segment_of(p)) free_fast(p);
}

void* mi__expand(void* p, size_t newsize) noexcept { return mi_expand(p, newsize); }

int mi_posix_memalign(void** p, size_t alignment, size_t size) noexcept {
  if (!p) return EINVAL;
  if (alignment % sizeof(void*) != 0 || alignment == 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* q = heap_malloc_aligned_at(tls_default_heap, size, alignment, 0, false);
  if (!q) return ENOMEM;
  *p = q;
  return 0;
}

void* mi_memalign(size_t alignment, size_t size) noexcept {
  return heap_malloc_aligned_at(tls_default_heap, size, alignment, 0, false);
}

void* mi_valloc(size_t size) noexcept { return heap_malloc_aligned_at(tls_default_heap, size, kOsPageSize, 0, false); }

void* mi_pvalloc(size_t size) noexcept {
  const size_t rounded = (size + kOsPageSize - 1) & ~(kOsPageSize - 1);
  if (rounded < size) {
    errno = ENOMEM;
    return nullptr;
  }
  return heap_malloc_aligned_at(tls_default_heap, rounded, kOsPageSize, 0, false);
}

// Any power-of-two alignment; C11's "size a multiple of alignment" is not required.
void* mi_aligned_alloc(size_t alignment, size_t size) noexcept {
  return heap_malloc_aligned_at(tls_default_heap, size, alignment, 0, false);
}

void* mi_reallocarray(void* p, size_t count, size_t size) noexcept {
  size_t total;
  if (!checked_total(count, size, &total)) return nullptr;
  return heap_realloc(tls_default_heap, p, total);
}

// NetBSD: `p` points to the pointer to resize; on failure it is untouched.
int mi_reallocarr(void* p, size_t count, size_t size) noexcept {
  if (!p) {
    errno = EINVAL;
    return EINVAL;
  }
  void** slot = static_cast<void**>(p);
  const int saved = errno;
  void* q = mi_reallocarray(*slot, count, size);
  if (!q) return errno;
  errno = saved;
  *slot = q;
  return 0;
}

void* mi_aligned_recalloc(void* p, size_t newcount, size_t size, size_t alignment) noexcept {
  return mi_recalloc_aligned(p, newcount, size, alignment);
}

void* mi_aligned_offset_recalloc(void* p, size_t newcount, size_t size, size_t alignment, size_t offset) noexcept {
  return mi_recalloc_aligned_at(p, newcount, size, alignment, offset);
}

wchar_t* mi_wcsdup(const wchar_t* s) noexcept {
  if (!s) return nullptr;
  const size_t n = wcslen(s) + 1;
  auto* copy = static_cast<wchar_t*>(mi_mallocn(n, sizeof(wchar_t)));
  if (copy) memcpy(copy, s, n * sizeof(wchar_t));
  return copy;
}

unsigned char* mi_mbsdup(const unsigned char* s) noexcept {
  return reinterpret_cast<unsigned char*>(mi_strdup(reinterpret_cast<const char*>(s)));
}

// Windows' _dupenv_s: *buf gets a copy of the variable (NULL when unset),
// *size its size with the terminator.
int mi_dupenv_s(char** buf, size_t* size, const char* name) noexcept {
  if (!buf || !name) return EINVAL;
  if (size) *size = 0;
  const char* value = getenv(name);
  if (!value) {
    *buf = nullptr;
    return 0;
  }
  *buf = mi_strdup(value);
  if (!*buf) return ENOMEM;
  if (size) *size = strlen(value) + 1;
  return 0;
}

// _wdupenv_s: the name is looked up as its narrow (ASCII) spelling and the
// value widened with the current locale.
int mi_wdupenv_s(wchar_t** buf, size_t* size, const wchar_t* name) noexcept {
  if (!buf || !name) return EINVAL;
  if (size) *size = 0;
  *buf = nullptr;
  char narrow[256];
  size_t n = 0;
  for (; name[n]; n++) {
    if (n + 1 >= sizeof narrow || name[n] < 1 || name[n] > 127) return EINVAL;
    narrow[n] = static_cast<char>(name[n]);
  }
  narrow[n] = '\0';
  const char* value = getenv(narrow);
  if (!value) return 0;
  mbstate_t state{};
  const char* src = value;
  const size_t len = mbsrtowcs(nullptr, &src, 0, &state);
  if (len == static_cast<size_t>(-1)) return EILSEQ;
  auto* wide = static_cast<wchar_t*>(mi_mallocn(len + 1, sizeof(wchar_t)));
  if (!wide) return ENOMEM;
  state = mbstate_t{};
  src = value;
  mbsrtowcs(wide, &src, len + 1, &state);
  *buf = wide;
  if (size) *size = len + 1;
  return 0;
}

// The block knows its own size and alignment; the invalid_free and canaries
// layers check that the size given matches it.
void mi_free_size(void* p, size_t size) noexcept { free_sized(p, size); }

void mi_free_size_aligned(void* p, size_t size, size_t alignment) noexcept {
  (void)alignment;
  free_sized<true>(p, size);
}

void mi_free_aligned(void* p, size_t alignment) noexcept {
  (void)alignment;
  free_fast(p);
}

}  // extern "C"
