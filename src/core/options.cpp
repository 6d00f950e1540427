#include "core/options.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/config.h"
#include "core/error.h"
#include "core/output.h"

namespace shardguard::options {

namespace {

struct Desc {
  long default_value;
  const char* name;
  const char* legacy_name;  // older mimalloc spelling, also read from the environment
  bool size_in_kib;         // the value counts KiB; the environment may give a size with a unit
};

// Indexed by mi_option_t. Defaults are mimalloc's, except where noted.
constexpr Desc kDescs[_mi_option_last] = {
    // shardguard reports invalid frees by default (a hardened allocator
    // should not stay silent); mimalloc's release build does not.
    {1, "show_errors", nullptr, false},
    {0, "show_stats", nullptr, false},
    {0, "verbose", nullptr, false},
    {1, "eager_commit", nullptr, false},
    {2, "arena_eager_commit", "eager_region_commit", false},
    {1, "purge_decommits", "reset_decommits", false},
    {0, "allow_large_os_pages", "large_os_pages", false},
    {0, "reserve_huge_os_pages", nullptr, false},
    {-1, "reserve_huge_os_pages_at", nullptr, false},
    {0, "reserve_os_memory", nullptr, true},
    {0, "deprecated_segment_cache", nullptr, false},
    {0, "deprecated_page_reset", nullptr, false},
    {0, "abandoned_page_purge", "abandoned_page_reset", false},
    {0, "deprecated_segment_reset", nullptr, false},
    {1, "eager_commit_delay", nullptr, false},
    // Milliseconds; shardguard's default is 50, not mimalloc's 10 (see config.h).
    {kPurgeDelayMs, "purge_delay", "reset_delay", false},
    {0, "use_numa_nodes", nullptr, false},
    {0, "disallow_os_alloc", "limit_os_alloc", false},
    {100, "os_tag", nullptr, false},
    {32, "max_errors", nullptr, false},
    {32, "max_warnings", nullptr, false},
    {10, "max_segment_reclaim", nullptr, false},
    {0, "destroy_on_exit", nullptr, false},
    {1024L * 1024L, "arena_reserve", nullptr, true},  // 1 GiB, in KiB
    {10, "arena_purge_mult", nullptr, false},
    {1, "purge_extend_delay", "decommit_extend_delay", false},
    {0, "abandoned_reclaim_on_free", nullptr, false},
    {0, "disallow_arena_alloc", nullptr, false},
    {400, "retry_on_oom", nullptr, false},
    {0, "visit_abandoned", nullptr, false},
    {0, "guarded_min", nullptr, false},
    {0, "guarded_max", nullptr, false},
    {0, "guarded_precise", nullptr, false},
    {0, "guarded_sample_rate", nullptr, false},
    {0, "guarded_sample_seed", nullptr, false},
    {0, "target_segments_per_thread", nullptr, false},
    {10000, "generic_collect", nullptr, false},
    {1, "allow_thp", nullptr, false},
};

bool valid(mi_option_t option) { return option >= 0 && option < _mi_option_last; }

// Looks up PREFIX + NAME in upper case; getenv does not allocate.
const char* env_lookup(const char* prefix, const char* name) {
  char key[80];
  size_t n = 0;
  for (const char* s = prefix; *s && n < sizeof key - 1; s++) key[n++] = *s;
  for (const char* s = name; *s && n < sizeof key - 1; s++) {
    char c = *s;
    key[n++] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  key[n] = '\0';
  return getenv(key);
}

const char* env_value(const Desc& d) {
  const char* v = env_lookup("SHARDGUARD_", d.name);
  if (!v) v = env_lookup("MIMALLOC_", d.name);
  if (!v && d.legacy_name) v = env_lookup("SHARDGUARD_", d.legacy_name);
  if (!v && d.legacy_name) v = env_lookup("MIMALLOC_", d.legacy_name);
  return v;
}

bool equals_upper(const char* upper, const char* word) { return strcmp(upper, word) == 0; }

// Parses an environment value: a boolean word, or a number; sizes in KiB
// accept a unit (K, KB, KiB, M, MiB, G, GiB, T, TiB; a bare number is bytes).
// False when the text makes no sense.
bool parse(const char* text, bool size_in_kib, long* out) {
  char buf[64];
  size_t n = 0;
  for (const char* s = text; *s && n < sizeof buf - 1; s++) {
    char c = *s;
    if (c == ' ' || c == '\t') continue;
    buf[n++] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  buf[n] = '\0';
  if (n == 0) return false;
  if (equals_upper(buf, "1") || equals_upper(buf, "TRUE") || equals_upper(buf, "ON") || equals_upper(buf, "YES") ||
      equals_upper(buf, "ENABLE") || equals_upper(buf, "ENABLED")) {
    *out = 1;
    return true;
  }
  if (equals_upper(buf, "0") || equals_upper(buf, "FALSE") || equals_upper(buf, "OFF") || equals_upper(buf, "NO") ||
      equals_upper(buf, "DISABLE") || equals_upper(buf, "DISABLED")) {
    *out = 0;
    return true;
  }
  char* end = buf;
  long value = strtol(buf, &end, 10);
  if (end == buf) return false;
  if (size_in_kib) {
    unsigned long long size = value < 0 ? 0 : static_cast<unsigned long long>(value);
    unsigned long long kib;
    bool overflow = false;
    switch (*end) {
      case 'K': kib = size; end++; break;
      case 'M': overflow = __builtin_mul_overflow(size, 1024ULL, &kib); end++; break;
      case 'G': overflow = __builtin_mul_overflow(size, 1024ULL * 1024, &kib); end++; break;
      case 'T': overflow = __builtin_mul_overflow(size, 1024ULL * 1024 * 1024, &kib); end++; break;
      default: kib = (size + 1023) / 1024; break;  // bytes, rounded up to KiB
    }
    if (end[0] == 'I' && end[1] == 'B') end += 2;
    else if (end[0] == 'B') end++;
    if (overflow || kib > static_cast<unsigned long long>(LONG_MAX)) kib = LONG_MAX;
    value = static_cast<long>(kib);
  }
  if (*end != '\0') return false;
  *out = value;
  return true;
}

}  // namespace

constinit Slot slots[_mi_option_last] = {};

long init_from_env(mi_option_t option) {
  if (!valid(option)) return 0;
  const Desc& d = kDescs[option];
  Slot& slot = slots[option];
  long value = d.default_value;
  bool from_env = false;
  if (const char* text = env_value(d)) {
    from_env = parse(text, d.size_in_kib, &value);
    if (!from_env) value = d.default_value;
  }
  // A racing mi_option_set / set_default wins over this first read.
  unsigned char expected = kUninit;
  slot.value.store(value, std::memory_order_relaxed);
  if (!slot.state.compare_exchange_strong(expected, from_env ? kInitialized : kDefaulted, std::memory_order_acq_rel)) {
    return slot.value.load(std::memory_order_relaxed);
  }
  if (const char* text = env_value(d); text && !from_env) {
    warning("environment option %s has an invalid value \"%s\"; using the default %ld", d.name, text, d.default_value);
  }
  return value;
}

size_t get_size(mi_option_t option) {
  if (!valid(option)) return 0;
  const long v = get(option);
  const size_t size = v < 0 ? 0 : static_cast<size_t>(v);
  if (!kDescs[option].size_in_kib) return size;
  size_t bytes;
  return __builtin_mul_overflow(size, size_t{1024}, &bytes) ? SIZE_MAX : bytes;
}

void set(mi_option_t option, long value) {
  if (!valid(option)) return;
  slots[option].value.store(value, std::memory_order_relaxed);
  slots[option].state.store(kInitialized, std::memory_order_release);
}

void set_default(mi_option_t option, long value) {
  if (!valid(option)) return;
  // Only an option not set from the environment or the program changes.
  Slot& slot = slots[option];
  if (slot.state.load(std::memory_order_acquire) == kInitialized) return;
  // Reading the environment first keeps it ahead of the new default.
  init_from_env(option);
  if (slot.state.load(std::memory_order_acquire) == kDefaulted) slot.value.store(value, std::memory_order_relaxed);
}

const char* name(mi_option_t option) { return valid(option) ? kDescs[option].name : ""; }

void init_all() {
  for (int i = 0; i < _mi_option_last; i++) (void)get(static_cast<mi_option_t>(i));
}

void print_all() {
  char line[128];
  for (int i = 0; i < _mi_option_last; i++) {
    const auto option = static_cast<mi_option_t>(i);
    const long v = get(option);
    snprintf(line, sizeof line, "option '%s': %ld%s\n", kDescs[i].name, v, kDescs[i].size_in_kib ? " KiB" : "");
    output::message(line);
  }
}

}  // namespace shardguard::options
