/* SHARDGUARD_TRACK=valgrind: one misuse of a block of the mi_* API per
 * argument, run under valgrind by track_valgrind.sh; "clean" misuses nothing. */
#include <mimalloc.h>
#include <stdio.h>
#include <string.h>

static volatile char sink;

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "clean";
  char* p = mi_malloc(40);
  memset(p, 1, 40);
  char* q = mi_realloc(mi_malloc(10), 4000);
  memset(q, 2, 4000);
  if (strcmp(what, "use-after-free") == 0) {
    mi_free(p);
    sink = p[8];
    return 0;
  }
  if (strcmp(what, "overflow") == 0) {
    p[40] = 1;
  }
  if (strcmp(what, "uninitialized") == 0) {
    char* u = mi_malloc(16);
    if (u[3] == 7) puts("seven");
    mi_free(u);
  }
  mi_free(p);
  mi_free(q);
  for (int i = 0; i < 10000; i++) mi_free(mi_malloc((size_t)(i % 300) + 1));
  return 0;
}
