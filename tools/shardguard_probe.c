/* shardguard-probe: asks shardguard libraries what they are, for the
   installed `shardguard info` and `shardguard doctor` (a shell script cannot
   call a function, and python3 may be missing on a server).

     shardguard-probe LIB...      dlopen each LIB and print
                                  "LIB<TAB><shardguard_build_info()>"
     shardguard-probe --preloaded check that a library preloaded into this
                                  very process serves its malloc; print
                                  its build info

   Exit status 0 when every answer came, 1 otherwise (with why on stderr). */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef const char* (*build_info_fn)(void);
typedef bool (*in_heap_fn)(const void*);

static int describe_file(const char* path) {
  /* RTLD_LOCAL: the library's malloc does not replace this process's. */
  void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "shardguard-probe: cannot load %s: %s\n", path, dlerror());
    return 1;
  }
  build_info_fn info = (build_info_fn)dlsym(lib, "shardguard_build_info");
  if (info == NULL) {
    fprintf(stderr, "shardguard-probe: %s has no shardguard_build_info (not shardguard, or older than 0.1.0)\n", path);
    return 1;
  }
  printf("%s\t%s\n", path, info());
  return 0;
}

static int check_preloaded(void) {
  build_info_fn info = (build_info_fn)dlsym(RTLD_DEFAULT, "shardguard_build_info");
  in_heap_fn in_heap = (in_heap_fn)dlsym(RTLD_DEFAULT, "mi_is_in_heap_region");
  if (info == NULL || in_heap == NULL) {
    fprintf(stderr, "shardguard-probe: no shardguard library in this process (LD_PRELOAD not honoured?)\n");
    return 1;
  }
  void* block = malloc(48);
  bool ours = block != NULL && in_heap(block);
  free(block);
  if (!ours) {
    fprintf(stderr, "shardguard-probe: shardguard is loaded but malloc is not its malloc\n");
    return 1;
  }
  printf("%s\n", info());
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--preloaded") == 0) return check_preloaded();
  if (argc < 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: shardguard-probe LIB... | shardguard-probe --preloaded\n");
    return 2;
  }
  int failures = 0;
  for (int i = 1; i < argc; i++) failures += describe_file(argv[i]);
  return failures == 0 ? 0 : 1;
}
