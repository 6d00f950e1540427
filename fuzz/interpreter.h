// The operation interpreter: decodes a fuzz input into a sequence of
// allocator operations on the slots of a HeapModel and checks the oracle
// after each. Every operation here is a correct use of the allocator.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

#include "heap_model.h"
#include "input.h"

namespace fuzz {

inline constexpr unsigned kSafeOps = 20;

// Runs one safe operation (opcode below kSafeOps).
void run_safe_op(unsigned opcode, Input& in, HeapModel& model);

// Runs the whole input: each step reads an opcode; opcodes at or past
// kSafeOps go to `extra` (the hostile harness) when given, else wrap
// around. The model is cleared at the end.
void run_program(Input& in, HeapModel& model, const std::function<void(unsigned, Input&, HeapModel&)>& extra = {},
                 unsigned extra_ops = 0);

}  // namespace fuzz
