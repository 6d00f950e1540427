// Statistics and version: mi_version, mi_stats_print, mi_stats_print_out.
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <string>
#include <vector>

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
