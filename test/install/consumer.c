/* A program built against an installed shardguard: through the mimalloc
   API, and through malloc (which must be shardguard's, since the library
   carries the libc override). */
#include <mimalloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  char* s = mi_strdup("installed");
  void* m = malloc(100);
  if (!s || strcmp(s, "installed") != 0 || !m) return 1;
  /* mi_usable_size answers 0 for a pointer it did not allocate. */
  if (mi_usable_size(m) < 100) {
    fprintf(stderr, "malloc is not shardguard's\n");
    return 2;
  }
  mi_heap_t* heap = mi_heap_new();
  for (int i = 0; i < 1000; i++)
    if (!mi_heap_malloc(heap, (size_t)i + 1)) return 3;
  mi_heap_destroy(heap);
  free(m);
  mi_free(s);
  printf("consumer ok (mimalloc API %d)\n", mi_version());
  return 0;
}
