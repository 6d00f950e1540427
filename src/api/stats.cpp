// mimalloc API: statistics (see core/stats.h for what is counted and when).
#include "core/stats.h"
#include "mimalloc.h"

using namespace shardguard;

extern "C" {

void mi_stats_print_out(mi_output_fun* out, void* arg) noexcept { stats::print(out, arg); }

// `out` is ignored, as in mimalloc: the report goes to the registered output.
void mi_stats_print(void*) noexcept { stats::print(nullptr, nullptr); }

void mi_thread_stats_print_out(mi_output_fun* out, void* arg) noexcept { stats::print_thread(out, arg); }

void mi_stats_reset(void) noexcept { stats::reset(); }

void mi_stats_merge(void) noexcept { stats::sync_and_merge_thread(); }

}  // extern "C"
