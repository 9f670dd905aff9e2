/* The file and signal examples: run each and check its output. */
#include "examples.h"

TEST_TIMEOUT(examples_000_read_file, 30);
TEST_IMPL(examples_000_read_file) {
  run_example("000_read_file");
  ASSERT_EQ(0, run.status);
  EXPECT_IN_ORDER("#EXTM3U", "#EXT-X-ENDLIST", "-- read 122 bytes in one read()", "line 1: #EXTM3U",
                  "line 5: segment-000.ts", "line 8: #EXT-X-ENDLIST", "-- 8 lines");
  return 0;
}

TEST_TIMEOUT(examples_001_write_chapters, 30);
TEST_IMPL(examples_001_write_chapters) {
  run_example("001_write_chapters");
  ASSERT_EQ(0, run.status);
  ASSERT_EQ(24, count_substr("下载完毕!"));
  EXPECT_IN_ORDER("鬼吹灯/第1卷: 8 chapters, first 01_第1章.txt",
                  "鬼吹灯/第2卷: 8 chapters, first 09_第9章.txt",
                  "鬼吹灯/第3卷: 8 chapters, first 17_第17章.txt",
                  "saved 24 chapters in 3 volumes");
  return 0;
}

TEST_TIMEOUT(examples_001_signals, 30);
TEST_IMPL(examples_001_signals) {
  run_example("001_signals");
  ASSERT_EQ(0, run.status);
  EXPECT_IN_ORDER("running; waiting for SIGINT", "sending SIGUSR1",
                  "handler: got SIGUSR1 (1 so far)", "sending SIGINT",
                  "SIGINT received (success): shutting down", "clean exit after 3 SIGUSR1");
  ASSERT_EQ(3, count_lines("sending SIGUSR1"));
  ASSERT_NOT_NULL(strstr(run.out, "worker: stopped after "));
  return 0;
}
