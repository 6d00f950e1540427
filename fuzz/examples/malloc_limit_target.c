/* A fuzz target whose input "BIG" + n allocates n MiB: with the fuzz policy's
 * malloc hooks, libFuzzer's -malloc_limit_mb stops it (check_malloc_limit.sh). */
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t* in, size_t size) {
  if (size >= 4 && in[0] == 'B' && in[1] == 'I' && in[2] == 'G') {
    volatile char* p = malloc((size_t)in[3] << 20);
    if (p) {
      p[0] = 1;
      free((void*)p);
    }
  }
  return 0;
}
