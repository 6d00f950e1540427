// mimalloc API: run-time options.
#include "core/options.h"
#include "mimalloc.h"

using namespace shardguard;

extern "C" {

long mi_option_get(mi_option_t option) { return option >= 0 && option < _mi_option_last ? options::get(option) : 0; }

long mi_option_get_clamp(mi_option_t option, long min, long max) {
  const long v = mi_option_get(option);
  return v < min ? min : (v > max ? max : v);
}

size_t mi_option_get_size(mi_option_t option) { return options::get_size(option); }

void mi_option_set(mi_option_t option, long value) { options::set(option, value); }

void mi_option_set_default(mi_option_t option, long value) { options::set_default(option, value); }

bool mi_option_is_enabled(mi_option_t option) { return mi_option_get(option) != 0; }

void mi_option_set_enabled(mi_option_t option, bool enable) { options::set(option, enable ? 1 : 0); }

void mi_option_set_enabled_default(mi_option_t option, bool enable) { options::set_default(option, enable ? 1 : 0); }

void mi_option_enable(mi_option_t option) { mi_option_set_enabled(option, true); }

void mi_option_disable(mi_option_t option) { mi_option_set_enabled(option, false); }

void mi_options_print(void) noexcept { options::print_all(); }

}  // extern "C"
