// Options: mi_option_get/get_clamp/get_size/set/set_default/enable/disable/
// is_enabled/set_enabled/set_enabled_default, mi_options_print, and options
// read from the environment (SHARDGUARD_<NAME> and MIMALLOC_<NAME>) by a
// fresh process (a re-executed death-test child sees the variables at load).
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <climits>
#include <cstdlib>
#include <string>

#include "test_util.h"

using namespace sgtest;

namespace {

// Restores an option's value when a test ends.
struct SavedOption {
  mi_option_t option;
  long value;
  explicit SavedOption(mi_option_t o) : option(o), value(mi_option_get(o)) {}
  ~SavedOption() { mi_option_set(option, value); }
};

// Runs `check` in a new process started with NAME=VALUE in its environment;
// the child exits 0 when check() holds.
#define EXPECT_IN_CHILD_WITH_ENV(name, value, check)                            \
  do {                                                                          \
    ::testing::GTEST_FLAG(death_test_style) = "threadsafe";                    \
    setenv(name, value, 1);                                                     \
    EXPECT_EXIT(std::_Exit((check) ? 0 : 1), ::testing::ExitedWithCode(0), "") \
        << name << "=" << value;                                                \
    unsetenv(name);                                                             \
  } while (0)

}  // namespace

TEST(ApiOptions, DefaultsAreMimallocsExceptThePurgeDelay) {
  EXPECT_EQ(mi_option_get(mi_option_show_stats), 0);
  EXPECT_EQ(mi_option_get(mi_option_verbose), 0);
  EXPECT_EQ(mi_option_get(mi_option_eager_commit), 1);
  EXPECT_EQ(mi_option_get(mi_option_reserve_huge_os_pages_at), -1);
  EXPECT_EQ(mi_option_get(mi_option_os_tag), 100);
  EXPECT_EQ(mi_option_get(mi_option_max_errors), 32);
  EXPECT_EQ(mi_option_get(mi_option_arena_purge_mult), 10);
  EXPECT_EQ(mi_option_get(mi_option_retry_on_oom), 400);
  EXPECT_EQ(mi_option_get(mi_option_generic_collect), 10000);
  EXPECT_EQ(mi_option_get_size(mi_option_arena_reserve), size_t{1} << 30);
  EXPECT_EQ(mi_option_get(mi_option_purge_delay), 50) << "shardguard's default (mimalloc: 10)";
}

TEST(ApiOptions, EnumValuesFollowMimallocsOrder) {
  EXPECT_EQ(mi_option_show_errors, 0);
  EXPECT_EQ(mi_option_verbose, 2);
  EXPECT_EQ(mi_option_reserve_os_memory, 9);
  EXPECT_EQ(mi_option_purge_delay, 15);
  EXPECT_EQ(mi_option_arena_reserve, 23);
  EXPECT_EQ(mi_option_visit_abandoned, 29);
  EXPECT_EQ(mi_option_guarded_sample_seed, 34);
  EXPECT_EQ(mi_option_large_os_pages, mi_option_allow_large_os_pages);
  EXPECT_EQ(mi_option_reset_delay, mi_option_purge_delay);
  EXPECT_EQ(mi_option_limit_os_alloc, mi_option_disallow_os_alloc);
}

TEST(ApiOptions, SetChangesTheValueGetReturns) {
  SavedOption saved(mi_option_max_segment_reclaim);
  mi_option_set(mi_option_max_segment_reclaim, 77);
  EXPECT_EQ(mi_option_get(mi_option_max_segment_reclaim), 77);
}

TEST(ApiOptions, SetDefaultDoesNotOverrideAnExplicitSet) {
  SavedOption saved(mi_option_os_tag);
  mi_option_set(mi_option_os_tag, 5);
  mi_option_set_default(mi_option_os_tag, 9);
  EXPECT_EQ(mi_option_get(mi_option_os_tag), 5);
}

TEST(ApiOptions, SetDefaultChangesAnOptionNobodySet) {
  EXPECT_IN_CHILD_WITH_ENV("SHARDGUARD_UNRELATED", "1", ([] {
                             mi_option_set_default(mi_option_max_segment_reclaim, 33);
                             return mi_option_get(mi_option_max_segment_reclaim) == 33;
                           }()));
}

TEST(ApiOptions, EnableDisableAndIsEnabledAgree) {
  SavedOption saved(mi_option_destroy_on_exit);
  mi_option_enable(mi_option_destroy_on_exit);
  EXPECT_TRUE(mi_option_is_enabled(mi_option_destroy_on_exit));
  EXPECT_EQ(mi_option_get(mi_option_destroy_on_exit), 1);
  mi_option_disable(mi_option_destroy_on_exit);
  EXPECT_FALSE(mi_option_is_enabled(mi_option_destroy_on_exit));
  mi_option_set_enabled(mi_option_destroy_on_exit, true);
  EXPECT_TRUE(mi_option_is_enabled(mi_option_destroy_on_exit));
  mi_option_set_enabled_default(mi_option_destroy_on_exit, false);
  EXPECT_TRUE(mi_option_is_enabled(mi_option_destroy_on_exit)) << "an explicit setting wins over a default";
}

TEST(ApiOptions, AnyNonZeroValueCountsAsEnabled) {
  SavedOption saved(mi_option_abandoned_page_purge);
  mi_option_set(mi_option_abandoned_page_purge, -3);
  EXPECT_TRUE(mi_option_is_enabled(mi_option_abandoned_page_purge));
}

TEST(ApiOptions, GetClampBoundsTheValue) {
  SavedOption saved(mi_option_arena_purge_mult);
  mi_option_set(mi_option_arena_purge_mult, 500);
  EXPECT_EQ(mi_option_get_clamp(mi_option_arena_purge_mult, 0, 100), 100);
  mi_option_set(mi_option_arena_purge_mult, -5);
  EXPECT_EQ(mi_option_get_clamp(mi_option_arena_purge_mult, 0, 100), 0);
  mi_option_set(mi_option_arena_purge_mult, 42);
  EXPECT_EQ(mi_option_get_clamp(mi_option_arena_purge_mult, 0, 100), 42);
}

TEST(ApiOptions, GetSizeConvertsKibOptionsToBytes) {
  SavedOption saved(mi_option_reserve_os_memory);
  mi_option_set(mi_option_reserve_os_memory, 3);
  EXPECT_EQ(mi_option_get_size(mi_option_reserve_os_memory), 3 * KiB);
}

TEST(ApiOptions, GetSizeOfAPlainOptionIsItsValueAndNegativeIsZero) {
  SavedOption saved(mi_option_max_warnings);
  mi_option_set(mi_option_max_warnings, 12);
  EXPECT_EQ(mi_option_get_size(mi_option_max_warnings), 12u);
  mi_option_set(mi_option_max_warnings, -1);
  EXPECT_EQ(mi_option_get_size(mi_option_max_warnings), 0u);
}

TEST(ApiOptions, TheLastMarkerIsNoOptionReadsAsZeroAndIgnoresSets) {
  mi_option_set(_mi_option_last, 5);
  mi_option_set_default(_mi_option_last, 5);
  EXPECT_EQ(mi_option_get(_mi_option_last), 0);
  EXPECT_EQ(mi_option_get_size(_mi_option_last), 0u);
}

TEST(ApiOptions, OptionsPrintListsEveryOptionByName) {
  std::string text;
  mi_register_output([](const char* msg, void* arg) { *static_cast<std::string*>(arg) += msg; }, &text);
  mi_options_print();
  mi_register_output(nullptr, nullptr);
  for (const char* name : {"show_errors", "purge_delay", "arena_reserve", "visit_abandoned", "guarded_sample_rate",
                           "generic_collect", "allow_thp"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name;
  }
}

TEST(ApiOptions, EnvironmentSetsANumericOption) {
  EXPECT_IN_CHILD_WITH_ENV("MIMALLOC_PURGE_DELAY", "123", mi_option_get(mi_option_purge_delay) == 123);
}

TEST(ApiOptions, ShardguardPrefixedVariableWinsOverMimallocPrefixed) {
  setenv("MIMALLOC_MAX_WARNINGS", "7", 1);
  EXPECT_IN_CHILD_WITH_ENV("SHARDGUARD_MAX_WARNINGS", "9", mi_option_get(mi_option_max_warnings) == 9);
  unsetenv("MIMALLOC_MAX_WARNINGS");
}

TEST(ApiOptions, EnvironmentAcceptsBooleanWords) {
  EXPECT_IN_CHILD_WITH_ENV("MIMALLOC_VISIT_ABANDONED", "on", mi_option_is_enabled(mi_option_visit_abandoned));
  EXPECT_IN_CHILD_WITH_ENV("SHARDGUARD_VISIT_ABANDONED", "TRUE", mi_option_is_enabled(mi_option_visit_abandoned));
  EXPECT_IN_CHILD_WITH_ENV("SHARDGUARD_VISIT_ABANDONED", "yes", mi_option_is_enabled(mi_option_visit_abandoned));
  EXPECT_IN_CHILD_WITH_ENV("SHARDGUARD_EAGER_COMMIT", "off", !mi_option_is_enabled(mi_option_eager_commit));
  EXPECT_IN_CHILD_WITH_ENV("SHARDGUARD_EAGER_COMMIT", "false", !mi_option_is_enabled(mi_option_eager_commit));
}

TEST(ApiOptions, EnvironmentAcceptsSizesWithUnits) {
  EXPECT_IN_CHILD_WITH_ENV("MIMALLOC_RESERVE_OS_MEMORY", "64MiB",
                           mi_option_get_size(mi_option_reserve_os_memory) == 64 * MiB);
  EXPECT_IN_CHILD_WITH_ENV("SHARDGUARD_ARENA_RESERVE", "2GiB", mi_option_get_size(mi_option_arena_reserve) == 2048 * MiB);
  EXPECT_IN_CHILD_WITH_ENV("SHARDGUARD_ARENA_RESERVE", "256k", mi_option_get_size(mi_option_arena_reserve) == 256 * KiB);
  EXPECT_IN_CHILD_WITH_ENV("SHARDGUARD_ARENA_RESERVE", "1 MB", mi_option_get_size(mi_option_arena_reserve) == MiB);
}

TEST(ApiOptions, EnvironmentSizeWithoutUnitIsBytesRoundedUpToKib) {
  EXPECT_IN_CHILD_WITH_ENV("SHARDGUARD_RESERVE_OS_MEMORY", "5000",
                           mi_option_get_size(mi_option_reserve_os_memory) == 5 * KiB);
}

TEST(ApiOptions, EnvironmentAcceptsLegacyNames) {
  EXPECT_IN_CHILD_WITH_ENV("MIMALLOC_RESET_DELAY", "77", mi_option_get(mi_option_purge_delay) == 77);
}

TEST(ApiOptions, InvalidEnvironmentValueLeavesTheDefault) {
  EXPECT_IN_CHILD_WITH_ENV("SHARDGUARD_OS_TAG", "lots", mi_option_get(mi_option_os_tag) == 100);
}

TEST(ApiOptions, ProgramSetWinsOverTheEnvironment) {
  EXPECT_IN_CHILD_WITH_ENV("SHARDGUARD_OS_TAG", "3", ([] {
                             mi_option_set(mi_option_os_tag, 4);
                             return mi_option_get(mi_option_os_tag) == 4;
                           }()));
}

TEST(ApiOptions, EnvironmentWinsOverSetDefault) {
  EXPECT_IN_CHILD_WITH_ENV("SHARDGUARD_OS_TAG", "3", ([] {
                             mi_option_set_default(mi_option_os_tag, 4);
                             return mi_option_get(mi_option_os_tag) == 3;
                           }()));
}

TEST(ApiOptions, ShowStatsInTheEnvironmentPrintsStatisticsAtExit) {
  ::testing::GTEST_FLAG(death_test_style) = "threadsafe";
  setenv("SHARDGUARD_SHOW_STATS", "1", 1);
  EXPECT_EXIT(
      {
        void* p = mi_malloc(100);
        mi_free(p);
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "shardguard statistics");
  unsetenv("SHARDGUARD_SHOW_STATS");
}

// Found by fuzz/options_fuzzer.cpp under UBSan: the environment value
// "18446744073709551616" saturates to LONG_MAX, and the purge queue and
// the segment cache added it to the current time (a signed overflow).
TEST(ApiOptions, APurgeDelayOfLongMaxMeansNeverWithoutAnOverflow) {
  SavedOption saved(mi_option_purge_delay);
  mi_option_set(mi_option_purge_delay, LONG_MAX);
  mi_heap_t* heap = mi_heap_new();
  void* small = mi_heap_malloc(heap, 64);
  void* huge = mi_heap_malloc(heap, 8 << 20);  // its segment goes to the segment cache when freed
  mi_free(small);  // the page empties: its slot is scheduled for a purge
  mi_free(huge);
  mi_heap_delete(heap);
  mi_collect(false);
  EXPECT_EQ(mi_option_get(mi_option_purge_delay), LONG_MAX);
}
