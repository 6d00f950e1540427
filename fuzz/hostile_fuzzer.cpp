// Harness "hostile": the operations of "ops" mixed with the misuses an
// attacker commits (hostile_ops.h); each misuse must be detected by the
// linked policy, and the oracle must hold for the blocks that stay live.
#include <cstddef>
#include <cstdint>

#include "detection.h"
#include "hostile_ops.h"
#include "interpreter.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::install_error_hook();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::HeapModel model;
  fuzz::Input in(data, size);
  fuzz::hostile_input_starts();
  fuzz::run_program(in, model, fuzz::run_hostile_op, fuzz::hostile_op_count());
  return 0;
}
