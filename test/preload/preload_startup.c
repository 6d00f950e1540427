/* Start-up under LD_PRELOAD: allocations made before main by the constructor
   of another preloaded library (early_ctor_lib.so, either side of shardguard
   in LD_PRELOAD) and by this program's own constructor are shardguard blocks,
   intact, and freeable in main. Not linked with shardguard. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static char* own_block;
__attribute__((constructor)) static void own_constructor(void) {
  own_block = malloc(777);
  if (own_block) memset(own_block, 'O', 777);
}

static int all(const void* p, int c, size_t n) {
  const unsigned char* b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != (unsigned char)c) return 0;
  return 1;
}

int main(void) {
  typedef size_t (*usable_fn)(const void*);
  typedef int (*results_fn)(void***, size_t**);
  usable_fn usable = (usable_fn)dlsym(RTLD_DEFAULT, "mi_usable_size");
  results_fn results = (results_fn)dlsym(RTLD_DEFAULT, "early_ctor_results");
  CHECK(usable != NULL, "shardguard is not preloaded");
  CHECK(results != NULL, "early_ctor_lib.so is not preloaded");
  if (!usable || !results) return 1;

  CHECK(own_block && usable(own_block) >= 777 && all(own_block, 'O', 777), "the program constructor's block");
  free(own_block);

  void** blocks;
  size_t* sizes;
  const int n = results(&blocks, &sizes);
  CHECK(n > 0, "dlsym/dlerror misbehaved inside the early constructor");
  if (n <= 0) return 1;
  const int fill[] = {'M', 0, 'R', -1, 'T', -1};
  CHECK(blocks[3] && strcmp(blocks[3], "allocated by a constructor before main") == 0, "strdup before main");
  for (int i = 0; i < n; i++) {
    CHECK(blocks[i] != NULL, "early block %d was not allocated", i);
    if (!blocks[i]) continue;
    CHECK(usable(blocks[i]) >= sizes[i], "early block %d is not a shardguard block", i);
    if (fill[i] >= 0) CHECK(all(blocks[i], fill[i], sizes[i]), "early block %d lost its contents", i);
    free(blocks[i]);
  }
  if (failures) {
    fprintf(stderr, "preload_startup: %d check(s) failed\n", failures);
    return 1;
  }
  printf("preload_startup: OK\n");
  return 0;
}
