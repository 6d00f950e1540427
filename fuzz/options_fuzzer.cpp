// Harness "options": the parser of option values from the environment
// (SHARDGUARD_<NAME> / MIMALLOC_<NAME>), and mi_dupenv_s / mi_wdupenv_s,
// which copy an environment value (the wide one through the locale).
//
// Input: option index, spelling (prefix), then the value text. Oracle: the
// documented grammar (src/core/options.cpp): a boolean word, or a decimal
// number; for sizes in KiB a unit K/M/G/T (with an optional B or iB), a
// bare number being bytes rounded up to KiB; blanks are ignored and case
// does not matter; anything else leaves the default.
#include <mimalloc.h>
#include <stdlib.h>
#include <string.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/options.h"

namespace {

const char* const kTrueWords[] = {"1", "TRUE", "ON", "YES", "ENABLE", "ENABLED"};
const char* const kFalseWords[] = {"0", "FALSE", "OFF", "NO", "DISABLE", "DISABLED"};

// The options measured in KiB (the environment may give them a unit).
bool size_option(mi_option_t o) { return o == mi_option_reserve_os_memory || o == mi_option_arena_reserve; }

void forget_option(mi_option_t o) { shardguard::options::slots[o].state.store(shardguard::options::kUninit); }

[[noreturn]] void fail(const char* what, mi_option_t o, const std::string& text, long got, long want) {
  fprintf(stderr, "fuzz: option %d, value \"%s\": %s (got %ld, expected %ld)\n", static_cast<int>(o), text.c_str(), what, got, want);
  abort();
}

// The expected value for the cases the grammar settles simply; false when
// the text is outside them (long numbers, overflow): then only sanity holds.
bool expected_value(const std::string& text, bool in_kib, long fallback, long* want) {
  std::string t;
  for (char c : text) {
    if (isspace(static_cast<unsigned char>(c)) && c != ' ' && c != '\t') return false;  // left to strtol's leniency
    if (c != ' ' && c != '\t') t += static_cast<char>(toupper(static_cast<unsigned char>(c)));
  }
  if (t.empty()) return *want = fallback, true;
  for (const char* w : kTrueWords) if (t == w) return *want = 1, true;
  for (const char* w : kFalseWords) if (t == w) return *want = 0, true;
  size_t digits = 0;
  const bool negative = t[0] == '-';
  const size_t first = (t[0] == '-' || t[0] == '+') ? 1 : 0;
  while (first + digits < t.size() && isdigit(static_cast<unsigned char>(t[first + digits]))) digits++;
  if (digits == 0) return *want = fallback, t.size() < 60;  // no number at all: the default
  if (digits > 12 || t.size() > 60) return false;
  const long n = strtol(t.c_str(), nullptr, 10);
  std::string unit = t.substr(first + digits);
  if (!in_kib) {
    *want = unit.empty() ? n : fallback;
    return true;
  }
  const long size = negative ? 0 : n;
  // A bare number (or one with only "B" / "iB") counts bytes.
  if (unit.empty() || unit == "B" || unit == "IB") return *want = (size + 1023) / 1024, true;
  const std::string rest = unit.substr(1);
  long factor = -1;
  switch (unit[0]) {
    case 'K': factor = 1; break;
    case 'M': factor = 1024; break;
    case 'G': factor = 1024L * 1024; break;
    case 'T': factor = 1024L * 1024 * 1024; break;
  }
  if (factor < 0) return *want = fallback, true;
  if (!(rest.empty() || rest == "B" || rest == "IB")) return *want = fallback, true;
  if (size > (1L << 62) / factor) return false;
  return *want = size * factor, true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const auto option = static_cast<mi_option_t>(data[0] % _mi_option_last);
  const bool mimalloc_prefix = data[1] & 1;
  std::string text(reinterpret_cast<const char*>(data + 2), size - 2);
  text = text.substr(0, strlen(text.c_str()));  // an environment value ends at its first NUL

  // The name as the environment spells it: the prefix, then the option's name in capitals.
  std::string name = mimalloc_prefix ? "MIMALLOC_" : "SHARDGUARD_";
  for (const char* s = shardguard::options::name(option); *s; s++) name += static_cast<char>(toupper(*s));
  const char* other = mimalloc_prefix ? "SHARDGUARD_" : "MIMALLOC_";

  unsetenv(name.c_str());
  unsetenv((other + name.substr(name.find('_') + 1)).c_str());
  forget_option(option);
  const long fallback = mi_option_get(option);

  setenv(name.c_str(), text.c_str(), 1);
  forget_option(option);
  const long got = mi_option_get(option);
  long want = 0;
  if (expected_value(text, size_option(option), fallback, &want) && got != want) fail("parsed wrong", option, text, got, want);
  if (size_option(option) && got < 0) fail("negative size", option, text, got, 0);
  (void)mi_option_get_size(option);
  (void)mi_option_get_clamp(option, -5, 5);

  // The allocator runs with the value: a page freed and collected goes
  // through the purge schedule, the segment cache and the options they read.
  if (mi_heap_t* heap = mi_heap_new()) {
    void* p = mi_heap_malloc(heap, 64);
    if (p) memset(p, 1, 64);
    mi_heap_destroy(heap);
  }
  mi_collect(false);

  // The copies of the value.
  char* copy = nullptr;
  size_t copy_size = 0;
  if (mi_dupenv_s(&copy, &copy_size, name.c_str()) != 0 || !copy || text != copy || copy_size != text.size() + 1) {
    fail("mi_dupenv_s copied wrong", option, text, static_cast<long>(copy_size), static_cast<long>(text.size() + 1));
  }
  mi_free(copy);
  std::wstring wide_name(name.begin(), name.end());
  wchar_t* wide = nullptr;
  size_t wide_size = 0;
  const size_t expect_wide = mbstowcs(nullptr, text.c_str(), 0);
  const int rc = mi_wdupenv_s(&wide, &wide_size, wide_name.c_str());
  if (expect_wide == static_cast<size_t>(-1)) {
    if (rc == 0 && wide) fail("mi_wdupenv_s accepted an invalid multibyte string", option, text, 0, 0);
  } else if (rc != 0 || !wide || wide_size != expect_wide + 1 || wcslen(wide) != expect_wide) {
    fail("mi_wdupenv_s copied wrong", option, text, static_cast<long>(wide_size), static_cast<long>(expect_wide + 1));
  }
  mi_free(wide);

  unsetenv(name.c_str());
  forget_option(option);
  return 0;
}
