/* The subprocess example: run it and check its output. */
#include "examples.h"

TEST_TIMEOUT(examples_001_subprocess, 30);
TEST_IMPL(examples_001_subprocess) {
  run_example("001_subprocess");
  ASSERT_EQ(0, run.status);
  EXPECT_IN_ORDER("seq says: 1", "seq says: 5", "seq exited with 0", "stdout: out", "stderr: err",
                  "returncode: 3", "tr: HELLO FROM WEFT", "wait: ETIMEDOUT; still running: yes",
                  "after terminate: returncode -15 (-SIGTERM)");
  ASSERT_EQ(5, count_substr("seq says: "));
  return 0;
}
