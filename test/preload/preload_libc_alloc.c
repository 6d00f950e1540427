/* libc functions that return memory for the caller to free, and glibc's
   internal allocation names, under LD_PRELOAD: every such block must be a
   shardguard block that our free accepts. Not linked with shardguard. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
extern void __libc_free(void*);

#include "check.h"

typedef size_t (*usable_fn)(const void*);
static usable_fn usable;

/* p must be a live shardguard block of at least n bytes; then it is freed. */
static void ours_and_free(void* p, size_t n, const char* what) {
  CHECK(p != NULL, "%s returned NULL", what);
  if (!p) return;
  CHECK(usable(p) >= n, "%s: not a shardguard block of %zu bytes (usable %zu)", what, n, usable(p));
  free(p);
}

int main(void) {
  usable = (usable_fn)dlsym(RTLD_DEFAULT, "mi_usable_size");
  if (!usable) {
    fprintf(stderr, "FAIL: shardguard is not preloaded\n");
    return 1;
  }
  /* the strdup family and friends call malloc internally */
  ours_and_free(strdup("strdup"), 7, "strdup");
  ours_and_free(strndup("strndup-long", 7), 8, "strndup");
  char* s = NULL;
  CHECK(asprintf(&s, "%s-%d", "asprintf", 12345) == 14, "asprintf");
  ours_and_free(s, 15, "asprintf");
  ours_and_free(realpath("/", NULL), 2, "realpath(path, NULL)");
  ours_and_free(get_current_dir_name(), 2, "get_current_dir_name");
  ours_and_free(getcwd(NULL, 0), 2, "getcwd(NULL, 0)");

  FILE* f = fopen("/proc/self/maps", "r");
  CHECK(f != NULL, "fopen");
  if (f) {
    char* line = NULL;
    size_t cap = 0;
    int found = 0;
    while (getline(&line, &cap, f) > 0) found |= strstr(line, "shardguard") != NULL;
    CHECK(found, "shardguard is not in /proc/self/maps");
    ours_and_free(line, cap, "getline");
    fclose(f);
  }
  char* mem = NULL;
  size_t memlen = 0;
  FILE* ms = open_memstream(&mem, &memlen);
  CHECK(ms != NULL, "open_memstream");
  if (ms) {
    for (int i = 0; i < 1000; i++) fprintf(ms, "line %d\n", i);
    fclose(ms);
    ours_and_free(mem, memlen, "open_memstream");
  }

  /* glibc's internal names reach shardguard too */
  char* a = __libc_malloc(100);
  ours_and_free(a, 100, "__libc_malloc");
  char* b = __libc_calloc(10, 10);
  CHECK(b && b[0] == 0 && b[99] == 0, "__libc_calloc is not zeroed");
  b = __libc_realloc(b, 100000);
  ours_and_free(b, 100000, "__libc_realloc");
  char* c = __libc_memalign(512, 100);
  CHECK(c && ((size_t)c & 511) == 0, "__libc_memalign alignment");
  CHECK(c && usable(c) >= 100, "__libc_memalign: not a shardguard block");
  __libc_free(c);

  /* glibc's malloc introspection answers for shardguard */
  void* big = malloc(32u << 20);
  struct mallinfo2 mi = mallinfo2();
  CHECK(mi.hblks >= 1 && mi.arena >= (32u << 20), "mallinfo2 does not count a 32 MiB block (arena %zu)", mi.arena);
  free(big);
  CHECK(mallopt(M_ARENA_MAX, 1) == 1, "mallopt(M_ARENA_MAX) rejected");
  malloc_trim(0);

  if (failures) {
    fprintf(stderr, "preload_libc_alloc: %d check(s) failed\n", failures);
    return 1;
  }
  printf("preload_libc_alloc: OK\n");
  return 0;
}
