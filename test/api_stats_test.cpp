// Statistics, output and process information: mi_version, mi_stats_print,
// mi_stats_print_out, mi_stats_reset, mi_stats_merge, mi_thread_stats_print_out,
// mi_register_output, mi_process_info.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

using namespace sgtest;

TEST(ApiStats, VersionMatchesTheHeader) { EXPECT_EQ(mi_version(), MI_MALLOC_VERSION); }

TEST(ApiStats, StatsPrintOutPassesTheReportToTheCallback) {
  std::vector<void*> blocks;
  for (int i = 0; i < 100; i++) blocks.push_back(mi_malloc(static_cast<size_t>(i) * 100));
  struct Sink {
    int calls = 0;
    std::string text;
  } sink;
  mi_stats_print_out(
      [](const char* msg, void* arg) {
        auto* s = static_cast<Sink*>(arg);
        s->calls++;
        s->text += msg;
      },
      &sink);
  for (void* p : blocks) mi_free(p);
  EXPECT_GT(sink.calls, 0);
  EXPECT_FALSE(sink.text.empty());
}

TEST(ApiStats, StatsPrintWritesAReportToStderr) {
  ::testing::internal::CaptureStderr();
  mi_stats_print(nullptr);
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(out.empty());
}

// ---- the counters behind the report ----

namespace {

std::string capture_stats() {
  std::string text;
  mi_stats_print_out([](const char* msg, void* arg) { *static_cast<std::string*>(arg) += msg; }, &text);
  return text;
}

// The per-size-bin row of the report for blocks of `block_size` bytes:
// current, peak, allocated, freed. All -1 when the row is absent.
struct BinRow {
  long long current = -1, peak = -1, allocated = -1, freed = -1;
};

BinRow bin_row(const std::string& report, size_t block_size) {
  BinRow row;
  const std::string key = "\n  " + std::to_string(block_size) + " ";
  const size_t table = report.find("per size bin");
  if (table == std::string::npos) return row;
  const size_t at = report.find(key, table);
  if (at == std::string::npos) {
    row.current = row.peak = row.allocated = row.freed = 0;  // a bin that never had a block is not listed
    return row;
  }
  sscanf(report.c_str() + at + key.size(), "%lld %lld %lld %lld", &row.current, &row.peak, &row.allocated, &row.freed);
  return row;
}

// An unusual medium size, so that nothing else in the test binary uses its bin.
constexpr size_t kProbeSize = 23000;

}  // namespace

TEST(ApiStats, AllocatedBlocksOfTheCallingThreadAreCountedExactly) {
  const size_t bin = mi_good_size(kProbeSize);
  const BinRow before = bin_row(capture_stats(), bin);
  std::vector<void*> blocks;
  for (int i = 0; i < 60; i++) blocks.push_back(mi_malloc(kProbeSize));
  const BinRow during = bin_row(capture_stats(), bin);
  EXPECT_EQ(during.current - before.current, 60);
  EXPECT_GE(during.peak, during.current);
  EXPECT_GE(during.allocated - before.allocated, 60);
  for (void* p : blocks) mi_free(p);
  const BinRow after = bin_row(capture_stats(), bin);
  EXPECT_EQ(after.current, before.current);
  EXPECT_GE(after.freed - before.freed, 60);
  EXPECT_GE(after.peak, during.current) << "the peak stays";
}

TEST(ApiStats, BlocksLeftByAnExitedThreadStayCountedUntilFreed) {
  const size_t size = 5 * kProbeSize;
  const size_t bin = mi_good_size(size);
  const BinRow before = bin_row(capture_stats(), bin);
  std::vector<void*> left(10);
  std::thread([&] {
    for (void*& p : left) p = mi_malloc(size);
  }).join();
  EXPECT_EQ(bin_row(capture_stats(), bin).current - before.current, 10);
  for (void* p : left) mi_free(p);
  mi_collect(true);
  EXPECT_EQ(bin_row(capture_stats(), bin).current, before.current);
}

TEST(ApiStats, ResetKeepsCurrentCountsAndDropsTotals) {
  const size_t size = 3 * kProbeSize;
  const size_t bin = mi_good_size(size);
  void* p = mi_malloc(size);
  ASSERT_NE(p, nullptr);
  mi_stats_reset();
  const BinRow row = bin_row(capture_stats(), bin);
  EXPECT_GE(row.current, 1);
  EXPECT_EQ(row.allocated, 0);
  EXPECT_EQ(row.peak, row.current);
  mi_free(p);
}

TEST(ApiStats, MergeMovesTheThreadsCountsIntoTheProcessTotals) {
  const size_t size = 7 * kProbeSize;
  const long long before = bin_row(capture_stats(), mi_good_size(size)).current;
  std::atomic<bool> merged{false};
  std::atomic<bool> done{false};
  void* p = nullptr;
  std::thread t([&] {
    p = mi_malloc(size);
    mi_stats_merge();
    merged = true;
    while (!done) std::this_thread::yield();
  });
  while (!merged) std::this_thread::yield();
  // The thread is alive: only its merge makes its block visible here.
  EXPECT_EQ(bin_row(capture_stats(), mi_good_size(size)).current - before, 1);
  done = true;
  t.join();
  mi_free(p);
}

TEST(ApiStats, ReportShowsReservedMemoryAndSegments) {
  void* big = mi_malloc(8 * MiB);
  ASSERT_NE(big, nullptr);
  const std::string report = capture_stats();
  EXPECT_NE(report.find("reserved"), std::string::npos);
  EXPECT_NE(report.find("committed"), std::string::npos);
  EXPECT_NE(report.find("segments"), std::string::npos);
  EXPECT_NE(report.find("pages"), std::string::npos);
  EXPECT_NE(report.find("huge"), std::string::npos);
  mi_free(big);
}

TEST(ApiStats, ThreadStatsPrintOutShowsTheCallingThreadsBlocks) {
  mi_heap_t* h = mi_heap_new();
  for (int i = 0; i < 30; i++) ASSERT_NE(mi_heap_malloc(h, 11 * kProbeSize), nullptr);
  std::string text;
  mi_thread_stats_print_out([](const char* msg, void* arg) { *static_cast<std::string*>(arg) += msg; }, &text);
  mi_heap_destroy(h);
  const std::string key = "\n  " + std::to_string(mi_good_size(11 * kProbeSize)) + " ";
  const size_t at = text.find(key);
  ASSERT_NE(at, std::string::npos) << text;
  long long pages = 0, blocks = 0;
  sscanf(text.c_str() + at + key.size(), "%lld %lld", &pages, &blocks);
  EXPECT_EQ(blocks, 30);
}

TEST(ApiStats, StatsPrintGoesToTheRegisteredOutput) {
  std::string text;
  mi_register_output([](const char* msg, void* arg) { *static_cast<std::string*>(arg) += msg; }, &text);
  mi_stats_print(nullptr);
  mi_register_output(nullptr, nullptr);
  EXPECT_NE(text.find("shardguard statistics"), std::string::npos);
}

TEST(ApiStats, WarningsGoToTheRegisteredOutput) {
  const long saved = mi_option_get(mi_option_max_warnings);
  mi_option_set(mi_option_max_warnings, 1000000);
  std::string text;
  mi_register_output([](const char* msg, void* arg) { *static_cast<std::string*>(arg) += msg; }, &text);
  mi_heap_delete(mi_heap_get_backing());  // refused, with a warning
  mi_register_output(nullptr, nullptr);
  mi_option_set(mi_option_max_warnings, saved);
  EXPECT_NE(text.find("backing heap"), std::string::npos) << text;
}

TEST(ApiStats, WithShowErrorsOffWarningsAreSilent) {
  const long saved = mi_option_get(mi_option_show_errors);
  mi_option_disable(mi_option_show_errors);
  std::string text;
  mi_register_output([](const char* msg, void* arg) { *static_cast<std::string*>(arg) += msg; }, &text);
  mi_heap_delete(mi_heap_get_backing());
  mi_register_output(nullptr, nullptr);
  mi_option_set(mi_option_show_errors, saved);
  EXPECT_TRUE(text.empty()) << text;
}

TEST(ApiStats, ProcessInfoReportsTimeMemoryAndCommit) {
  void* big = mi_malloc(16 * MiB);
  ASSERT_NE(big, nullptr);
  memset(big, 1, 16 * MiB);
  size_t elapsed = 0, user = 0, sys = 0, rss = 0, peak_rss = 0, commit = 0, peak_commit = 0, faults = 0;
  mi_process_info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
  EXPECT_GE(rss, 16 * MiB);
  EXPECT_GE(peak_rss, rss / 2);
  EXPECT_GE(commit, 16 * MiB);
  EXPECT_GE(peak_commit, commit);
  EXPECT_GT(elapsed + user + sys, 0u);
  mi_process_info(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);  // all optional
  mi_free(big);
}

namespace {
struct ErrorLog {
  int calls = 0;
  int last = 0;
};
}  // namespace

// The handler hears of the error whether the build survives an invalid
// free (reported) or stops the process (the invalid-free layer).
TEST(ApiStats, RegisteredErrorHandlerHearsOfAnInvalidFree) {
  ::testing::GTEST_FLAG(death_test_style) = "threadsafe";
  const auto survived_or_stopped = [](int status) {
    return (WIFEXITED(status) && WEXITSTATUS(status) == 0) || (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
  };
  EXPECT_EXIT(
      {
        mi_register_error(
            [](int err, void*) {
              char line[64];
              snprintf(line, sizeof line, "error handler: %d\n", err);
              (void)!write(2, line, strlen(line));
            },
            nullptr);
        long not_ours = 0;
        mi_free(&not_ours);
        std::_Exit(0);
      },
      survived_or_stopped, "error handler: " + std::to_string(EINVAL));
}

#ifndef SHARDGUARD_TEST_LAYER_INVALID_FREE
// Without the invalid-free layer, an invalid free is reported and survived.
TEST(ApiStats, ErrorHandlerCanBeRemoved) {
  ErrorLog log;
  mi_register_error([](int, void* arg) { static_cast<ErrorLog*>(arg)->calls++; }, &log);
  mi_register_error(nullptr, nullptr);
  long not_ours = 0;
  mi_free(&not_ours);
  EXPECT_EQ(log.calls, 0);
}

std::string output_of_an_invalid_free(long max_errors) {
  const long saved = mi_option_get(mi_option_max_errors);
  mi_option_set(mi_option_max_errors, max_errors);
  std::string text;
  mi_register_output([](const char* msg, void* arg) { *static_cast<std::string*>(arg) += msg; }, &text);
  long not_ours = 0;
  mi_free(&not_ours);
  mi_register_output(nullptr, nullptr);
  mi_option_set(mi_option_max_errors, saved);
  return text;
}

TEST(ApiStats, ErrorsGoToTheRegisteredOutput) {
  EXPECT_NE(output_of_an_invalid_free(1000000).find("free(): pointer"), std::string::npos);
}

TEST(ApiStats, ErrorsBeyondMaxErrorsAreSilent) { EXPECT_TRUE(output_of_an_invalid_free(0).empty()); }
#else
// With the invalid-free layer, an invalid free is a detection: it aborts.
TEST(ApiStats, ARemovedErrorHandlerIsNotToldOfADetection) {
  ::testing::GTEST_FLAG(death_test_style) = "threadsafe";
  EXPECT_EXIT(
      {
        mi_register_error([](int, void*) { std::_Exit(3); }, nullptr);
        mi_register_error(nullptr, nullptr);
        long not_ours = 0;
        mi_free(&not_ours);
        std::_Exit(0);
      },
      testing::KilledBySignal(SIGABRT), "shardguard: invalid free");
}

TEST(ApiStats, DetectionsGoToTheRegisteredOutput) {
  ::testing::GTEST_FLAG(death_test_style) = "threadsafe";
  EXPECT_EXIT(
      {
        mi_register_output(
            [](const char* msg, void*) {
              (void)!write(2, "captured: ", 10);
              (void)!write(2, msg, strlen(msg));
            },
            nullptr);
        long not_ours = 0;
        mi_free(&not_ours);
      },
      testing::KilledBySignal(SIGABRT), "captured: shardguard: invalid free");
}

TEST(ApiStats, DetectionsAreReportedWhateverMaxErrorsSays) {
  ::testing::GTEST_FLAG(death_test_style) = "threadsafe";
  EXPECT_EXIT(
      {
        mi_option_set(mi_option_max_errors, 0);
        long not_ours = 0;
        mi_free(&not_ours);
      },
      testing::KilledBySignal(SIGABRT), "shardguard: invalid free");
}
#endif
