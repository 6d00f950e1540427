/* The mimalloc API used from C the way mimalloc's documentation shows it,
   built against an installed shardguard. Exits 0 when every step behaves
   as documented; prints the first step that does not. */
#include <errno.h>
#include <mimalloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      fprintf(stderr, "compat.c:%d: check failed: %s\n", __LINE__, #cond); \
      return 1;                                                      \
    }                                                                \
  } while (0)

typedef struct point_s {
  double x, y;
} point_t;

static bool count_blocks(const mi_heap_t* heap, const mi_heap_area_t* area, void* block, size_t block_size, void* arg) {
  (void)heap;
  (void)area;
  (void)block_size;
  if (block != NULL) (*(size_t*)arg)++;
  return true;
}

static void collect_output(const char* msg, void* arg) {
  size_t* total = (size_t*)arg;
  *total += strlen(msg);
}

int main(void) {
  /* basic allocation */
  char* s = mi_strdup("hello");
  CHECK(s != NULL && strcmp(s, "hello") == 0);
  s = (char*)mi_realloc(s, 1000);
  CHECK(s != NULL && strcmp(s, "hello") == 0);
  mi_free(s);
  CHECK(mi_calloc((size_t)-1, 2) == NULL);

  /* typed allocation and zero-initialized re-allocation */
  point_t* pts = mi_calloc_tp(point_t, 4);
  CHECK(pts != NULL && pts[3].x == 0.0);
  pts[0].x = 1.5;
  pts = mi_recalloc_tp(pts, point_t, 400);
  CHECK(pts != NULL && pts[0].x == 1.5 && pts[399].y == 0.0);
  mi_free(pts);

  /* aligned and POSIX-style allocation */
  void* a = mi_malloc_aligned(100, 64);
  CHECK(a != NULL && ((uintptr_t)a % 64) == 0);
  mi_free(a);
  void* pm = NULL;
  CHECK(mi_posix_memalign(&pm, 4096, 10) == 0 && ((uintptr_t)pm % 4096) == 0);
  mi_free(pm);
  CHECK(mi_posix_memalign(&pm, 3, 10) == EINVAL);

  /* a first-class heap: allocate, visit, destroy at once */
  mi_heap_t* heap = mi_heap_new();
  CHECK(heap != NULL);
  for (int i = 0; i < 100; i++) CHECK(mi_heap_malloc_tp(heap, point_t) != NULL);
  size_t blocks = 0;
  CHECK(mi_heap_visit_blocks(heap, true, &count_blocks, &blocks));
  CHECK(blocks == 100);
  mi_heap_destroy(heap);

  /* options */
  mi_option_set(mi_option_purge_delay, 25);
  CHECK(mi_option_get(mi_option_purge_delay) == 25);
  mi_option_enable(mi_option_visit_abandoned);
  CHECK(mi_option_is_enabled(mi_option_visit_abandoned));

  /* statistics and output */
  size_t printed = 0;
  mi_stats_print_out(&collect_output, &printed);
  CHECK(printed > 0);
  size_t rss = 0, elapsed = 0;
  mi_process_info(&elapsed, NULL, NULL, &rss, NULL, NULL, NULL, NULL);
  CHECK(rss > 0);

  /* arenas */
  mi_arena_id_t arena = 0;
  CHECK(mi_reserve_os_memory_ex(8u << 20, true, false, true, &arena) == 0);
  size_t arena_size = 0;
  CHECK(mi_arena_area(arena, &arena_size) != NULL && arena_size >= (8u << 20));

  /* block size reporting */
  size_t bs = 0;
  void* u = mi_umalloc(50, &bs);
  CHECK(u != NULL && bs == mi_usable_size(u));
  mi_free(u);

  mi_collect(true);
  printf("compat.c ok (mimalloc API %d)\n", mi_version());
  return 0;
}
