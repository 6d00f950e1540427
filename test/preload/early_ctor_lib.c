/* A library preloaded next to shardguard whose constructor allocates before
   main (and, depending on the LD_PRELOAD order, before shardguard's own
   constructor has run): malloc, calloc, realloc, strdup, a block from a thread
   it starts (pthread internals allocate too), and dlsym/dlerror, which allocate
   inside the dynamic loader. preload_startup checks the blocks in main. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { EARLY_BLOCKS = 6 };
static void* blocks[EARLY_BLOCKS];
static size_t sizes[EARLY_BLOCKS];
static int dl_ok;

static void* thread_block(void* arg) {
  (void)arg;
  char* p = malloc(5000);
  if (p) memset(p, 'T', 5000);
  return p;
}

__attribute__((constructor)) static void early_allocations(void) {
  blocks[0] = malloc(100);
  sizes[0] = 100;
  blocks[1] = calloc(50, 20);
  sizes[1] = 1000;
  char* grown = malloc(10);
  if (grown) memset(grown, 'R', 10);
  blocks[2] = realloc(grown, 200000);
  sizes[2] = 10;
  blocks[3] = strdup("allocated by a constructor before main");
  sizes[3] = strlen("allocated by a constructor before main") + 1;
  pthread_t t;
  if (pthread_create(&t, NULL, thread_block, NULL) == 0) pthread_join(t, &blocks[4]);
  sizes[4] = 5000;
  /* the hook-library pattern: look up the next malloc; then a failing lookup,
     whose error message dlerror allocates */
  void* next = dlsym(RTLD_NEXT, "malloc");
  void* missing = dlsym(RTLD_DEFAULT, "no_such_symbol_in_any_object");
  const char* err = dlerror();
  dl_ok = next != NULL && missing == NULL && err != NULL;
  blocks[5] = err ? strdup(err) : NULL;
  sizes[5] = err ? strlen(err) + 1 : 0;
  if (blocks[0]) memset(blocks[0], 'M', 100);
}

/* For preload_startup: the blocks, their checked sizes, and whether dlsym worked. */
int early_ctor_results(void*** out_blocks, size_t** out_sizes) {
  *out_blocks = blocks;
  *out_sizes = sizes;
  return dl_ok ? EARLY_BLOCKS : -1;
}
