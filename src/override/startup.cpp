// Load-time announcement: with the verbose option (SHARDGUARD_VERBOSE=1 or
// MIMALLOC_VERBOSE=1) the library says, in one line on stderr, which build
// and policy a process got. Preloading fails silently when a path is wrong,
// so this is how an operator checks that a daemon really runs on shardguard.
#include <unistd.h>

#include <cstdio>

#include "core/error.h"
#include "mimalloc.h"
#include "shardguard/config.h"

namespace {

// A constructor, not the first malloc: the line is printed once per process
// at start, also by a program that never allocates. Priority 101 runs it
// before the constructors of the program and of libraries loaded after it.
__attribute__((constructor(101))) void announce_load() {
  if (!mi_option_is_enabled(mi_option_verbose)) return;
  char line[256];
  snprintf(line, sizeof line, "shardguard: libshardguard %s loaded, policy %s (%s build), pid %ld\n",
           shardguard::config::version, shardguard::config::policy,
#ifdef NDEBUG
           "release",
#else
           "debug",
#endif
           static_cast<long>(getpid()));
  shardguard::write_stderr(line);
}

}  // namespace
