// Harness "ops": correct sequences of allocator operations, checked by the
// oracle of heap_model.h. Any report of the allocator is a false alarm.
#include <cstddef>
#include <cstdint>

#include "detection.h"
#include "interpreter.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::install_error_hook();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::HeapModel model;
  fuzz::Input in(data, size);
  fuzz::run_program(in, model);
  return 0;
}
