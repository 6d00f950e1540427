// How the harnesses observe a detection of the allocator.
//
// Immediate detections (double free, invalid free, realloc of a freed
// block, wrong sized free) happen before the allocator changes anything,
// on paths that hold no lock: report_attack() first calls the handler of
// mi_register_error, which here jumps back into the harness (siglongjmp),
// so the heap stays as it was and the run goes on in-process.
//
// Delayed detections (a write into a freed block, an overflow into a
// canary) fire later, on a path that may already have changed the heap:
// those run in a forked child that must die with the detection line.
#pragma once
#include <functional>
#include <string>

namespace fuzz {

// Registers the error hook. An error reported while no expectation is
// armed (a false alarm on a correct program) aborts, and the fuzzer
// records a crash.
void install_error_hook();

// Runs `op` and reports whether the allocator detected it (the error hook
// fired on this thread). The error code is stored in *err when non-null.
bool detected_in_process(const std::function<void()>& op, int* err = nullptr);

// The outcome of a hostile operation run in a forked child.
struct ChildOutcome {
  bool detected = false;  // died by SIGABRT after a "shardguard: " line, or by SIGSEGV (guard page)
  int exit_code = -1;     // when it exited instead
  std::string line;       // the first "shardguard: " line it printed
};

// Runs `op` in a child process (one thread, the caller's) and waits for it.
ChildOutcome run_in_child(const std::function<void()>& op);

}  // namespace fuzz
