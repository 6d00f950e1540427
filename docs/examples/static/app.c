/* malloc is shardguard's here: the static library carries the libc
   override, and the linker takes its malloc before libc's. */
#include <mimalloc.h>
#include <shardguard.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  char* p = malloc(64);
  int ours = p != NULL && mi_is_in_heap_region(p);
  free(p);
  printf("%s: malloc is %s\n", shardguard_build_info(), ours ? "shardguard's" : "NOT shardguard's");
  return ours ? 0 : 1;
}
