/* mimalloc-override.h from an installed shardguard: the standard calls of
   this file become mi_ calls by macro. */
#include <stdlib.h>
#include <string.h>

#include <mimalloc-override.h>
#include <stdio.h>

int main(void) {
  char* p = (char*)malloc(100);
  if (p == NULL || !mi_is_in_heap_region(p)) return 1;
  char* d = strdup("macro");
  if (d == NULL || !mi_is_in_heap_region(d) || strcmp(d, "macro") != 0) return 2;
  void* al = NULL;
  if (posix_memalign(&al, 256, 10) != 0 || ((size_t)al % 256) != 0) return 3;
  p = (char*)realloc(p, 5000);
  if (p == NULL || malloc_usable_size(p) < 5000) return 4;
  free(al);
  free(d);
  free(p);
  printf("compat_override.c ok\n");
  return 0;
}
