// The std::new_handler loop of the mi_new family (src/api/new.cpp, built
// with exceptions), for the nothrow forms (src/api/new_nothrow.cpp, built
// without, so that their noexcept frames need no std::terminate pad).
#pragma once

namespace shardguard {

// Calls the new-handler once. True when it ran (the caller retries); false
// when there is none, no C++ runtime is loaded, or it threw. Never throws.
bool call_new_handler_nothrow();

}  // namespace shardguard
