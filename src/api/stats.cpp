// mimalloc API: statistics output (process-wide counters of the core).
#include "core/stats.h"
#include "mimalloc.h"

using namespace shardguard;

extern "C" {

void mi_stats_print_out(mi_output_fun* out, void* arg) noexcept { stats::print(out, arg); }

void mi_stats_print(void*) noexcept { stats::print(nullptr, nullptr); }

}  // extern "C"
