// A second thread that runs one task at a time for the interpreter, while
// the interpreter waits: frees from it go through the cross-thread paths
// (thread_free lists, delayed frees), blocks it allocates are owned by its
// heap, and the order of events stays a function of the input alone.
#pragma once
#include <functional>

namespace fuzz {

// Runs `task` on the helper thread (started on first use) and returns once it is done.
void run_on_helper(const std::function<void()>& task);

}  // namespace fuzz
