/* Runs under LD_PRELOAD=libshardguard.so; not linked with shardguard.
   Checks that the process really allocates with shardguard, then runs a mixed
   C workload (malloc/calloc/realloc/free with patterns, strdup, qsort, threads
   with cross-thread frees and blocks that outlive their thread).
   Exits 0 on success; prints every failed check otherwise. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

typedef size_t (*usable_size_fn)(const void*);
static usable_size_fn mi_usable;

static uint64_t rng_state = 0x12345678;
static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static unsigned char pat(uint64_t seed, size_t i) { return (unsigned char)((seed * 131u + i * 7u) ^ (i >> 8)); }
static void fill(unsigned char* p, size_t n, uint64_t seed) {
  for (size_t i = 0; i < n; i++) p[i] = pat(seed, i);
}
static int intact(const unsigned char* p, size_t n, uint64_t seed) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != pat(seed, i)) return 0;
  return 1;
}

static int verify_shardguard(void) {
  mi_usable = (usable_size_fn)dlsym(RTLD_DEFAULT, "mi_usable_size");
  CHECK(mi_usable != NULL, "mi_usable_size is not in the process: shardguard is not preloaded");
  if (mi_usable == NULL) return 0;
  Dl_info info;
  void* sym = dlsym(RTLD_DEFAULT, "malloc");
  CHECK(sym != NULL && dladdr(sym, &info) && info.dli_fname && strstr(info.dli_fname, "shardguard"),
        "malloc comes from %s, not shardguard", sym && dladdr(sym, &info) ? info.dli_fname : "?");
  void* p = malloc(100);
  CHECK(p != NULL && mi_usable(p) >= 100, "mi_usable_size(malloc(100)) = %zu", p ? mi_usable(p) : 0);
  free(p);
  return 1;
}

/* random malloc/calloc/realloc/free over a table of slots, contents checked */
static void slot_workload(void) {
  enum { SLOTS = 2000, OPS = 300000 };
  static unsigned char* ptr[SLOTS];
  static size_t len[SLOTS];
  static uint64_t seed[SLOTS];
  int misaligned = 0;
  for (int op = 0; op < OPS; op++) {
    size_t i = rnd() % SLOTS;
    if (ptr[i] && !intact(ptr[i], len[i], seed[i])) {
      CHECK(0, "slot %zu (size %zu) corrupted", i, len[i]);
      return;
    }
    size_t n = (rnd() % 100 == 0) ? (size_t)(rnd() % (1 << 20)) : (size_t)(rnd() % 600);
    switch (rnd() % 4) {
      case 0:
        free(ptr[i]);
        ptr[i] = NULL;
        len[i] = 0;
        break;
      case 1: {
        unsigned char* q = realloc(ptr[i], n);
        CHECK(q != NULL || n == 0, "realloc to %zu failed", n);
        if (q == NULL) {
          if (n == 0) ptr[i] = NULL, len[i] = 0;
          break;
        }
        size_t keep = len[i] < n ? len[i] : n;
        CHECK(intact(q, keep, seed[i]), "realloc %zu -> %zu lost contents", len[i], n);
        ptr[i] = q;
        len[i] = n;
        seed[i] = rnd();
        fill(q, n, seed[i]);
        break;
      }
      case 2: {
        free(ptr[i]);
        unsigned char* q = calloc(1, n);
        CHECK(q != NULL, "calloc(1, %zu) failed", n);
        for (size_t k = 0; q && k < n; k++)
          if (q[k]) {
            CHECK(0, "calloc(1, %zu) byte %zu not zero", n, k);
            break;
          }
        ptr[i] = q;
        len[i] = q ? n : 0;
        seed[i] = rnd();
        if (q) fill(q, n, seed[i]);
        break;
      }
      default: {
        free(ptr[i]);
        unsigned char* q = malloc(n);
        CHECK(q != NULL, "malloc(%zu) failed", n);
        ptr[i] = q;
        len[i] = q ? n : 0;
        seed[i] = rnd();
        if (q) fill(q, n, seed[i]);
        if (q != NULL && n >= 16 && ((uintptr_t)q & 15) != 0) {
          if (misaligned++ == 0) fprintf(stderr, "first misaligned block: malloc(%zu) = %p\n", n, (void*)q);
        }
      }
    }
  }
  CHECK(misaligned == 0, "%d blocks of 16 bytes or more were not 16-byte aligned", misaligned);
  for (size_t i = 0; i < SLOTS; i++) {
    CHECK(ptr[i] == NULL || intact(ptr[i], len[i], seed[i]), "slot %zu corrupted at the end", i);
    free(ptr[i]);
  }
}

static int cmp_str(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }
static int cmp_u64(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

static void string_workload(void) {
  enum { N = 20000 };
  char** words = malloc(N * sizeof(char*));
  CHECK(words != NULL, "malloc of the word table failed");
  if (!words) return;
  char buf[64];
  for (int i = 0; i < N; i++) {
    snprintf(buf, sizeof buf, "word-%08llu-%d", (unsigned long long)(rnd() % 100000000), i);
    words[i] = (i % 2) ? strdup(buf) : strndup(buf, 13);
    CHECK(words[i] != NULL, "strdup failed");
    if (!words[i]) return;
    CHECK(mi_usable(words[i]) > strlen(words[i]), "strdup result is not a shardguard block");
  }
  qsort(words, N, sizeof(char*), cmp_str);
  for (int i = 1; i < N; i++) CHECK(strcmp(words[i - 1], words[i]) <= 0, "strings not sorted at %d", i);
  for (int i = 0; i < N; i++) free(words[i]);
  free(words);

  size_t n = 1000000;
  uint64_t* a = malloc(n * sizeof(uint64_t));
  CHECK(a != NULL, "malloc of 8 MB failed");
  if (!a) return;
  uint64_t sum = 0, sum2 = 0;
  for (size_t i = 0; i < n; i++) sum += (a[i] = rnd() % 1000000);
  qsort(a, n, sizeof(uint64_t), cmp_u64);
  for (size_t i = 0; i < n; i++) sum2 += a[i];
  for (size_t i = 1; i < n; i++)
    if (a[i - 1] > a[i]) {
      CHECK(0, "array not sorted at %zu", i);
      break;
    }
  CHECK(sum == sum2, "sorting changed the elements");
  free(a);
}

/* threads: each allocates blocks for the next one to free, and leaves some
   blocks behind for main to free after it exits */
enum { THREADS = 4, PER_THREAD = 50000 };
static unsigned char* handoff[THREADS][PER_THREAD];
static size_t handoff_len[THREADS][PER_THREAD];
static unsigned char* leftover[THREADS][1000];
static pthread_barrier_t barrier;
static int thread_failures[THREADS];

static void* thread_main(void* arg) {
  int id = (int)(intptr_t)arg;
  for (int i = 0; i < PER_THREAD; i++) {
    size_t n = 1 + ((size_t)id * 7919u + (size_t)i * 104729u) % 3000u;
    unsigned char* p = malloc(n);
    if (!p) {
      thread_failures[id]++;
      continue;
    }
    fill(p, n, (uint64_t)(id * PER_THREAD + i));
    handoff[id][i] = p;
    handoff_len[id][i] = n;
  }
  for (int i = 0; i < 1000; i++) {
    leftover[id][i] = malloc(64 + (size_t)i);
    if (leftover[id][i]) fill(leftover[id][i], 64 + (size_t)i, (uint64_t)i);
  }
  pthread_barrier_wait(&barrier);
  int from = (id + 1) % THREADS;  /* free the next thread's blocks */
  for (int i = 0; i < PER_THREAD; i++) {
    unsigned char* p = handoff[from][i];
    if (!p) continue;
    if (!intact(p, handoff_len[from][i], (uint64_t)(from * PER_THREAD + i))) thread_failures[id]++;
    free(p);
  }
  return NULL;
}

static void thread_workload(void) {
  pthread_t t[THREADS];
  pthread_barrier_init(&barrier, NULL, THREADS);
  for (int i = 0; i < THREADS; i++)
    CHECK(pthread_create(&t[i], NULL, thread_main, (void*)(intptr_t)i) == 0, "pthread_create failed");
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&barrier);
  for (int i = 0; i < THREADS; i++) {
    CHECK(thread_failures[i] == 0, "thread %d saw %d failures (corrupted or NULL blocks)", i, thread_failures[i]);
    for (int k = 0; k < 1000; k++) {
      CHECK(leftover[i][k] && intact(leftover[i][k], 64 + (size_t)k, (uint64_t)k),
            "block left by exited thread %d corrupted", i);
      free(leftover[i][k]);
    }
  }
}

int main(void) {
  if (!verify_shardguard()) return 1;
  slot_workload();
  string_workload();
  thread_workload();
  if (failures) {
    fprintf(stderr, "preload_c: %d check(s) failed\n", failures);
    return 1;
  }
  printf("preload_c: OK\n");
  return 0;
}
