// The operations of an attacker, for the hostile harness: each commits a
// heap misuse that the linked policy claims to detect, and checks that it
// was detected. Only the misuses of the policy's layers are generated
// (under `fast`, none: the hostile harness then runs the safe operations).
#pragma once
#include "heap_model.h"
#include "input.h"

namespace fuzz {

// How many hostile opcodes this build's policy has.
unsigned hostile_op_count();
// Runs hostile opcode `op` (below hostile_op_count()).
void run_hostile_op(unsigned op, Input& in, HeapModel& model);
// A new input starts (allows one forked, delayed-detection operation again).
void hostile_input_starts();

}  // namespace fuzz
