/*
 * The UDP example: a protocol-style echo server and a task-style client in
 * one program.
 */
#include "examples.h"

TEST_TIMEOUT(examples_001_udp_echo, 30);
TEST_IMPL(examples_001_udp_echo) {
  run_example("001_udp_echo");
  ASSERT_EQ(0, run.status);
  ASSERT_EQ(1, count_substr("Server: listening on 127.0.0.1:"));
  EXPECT_IN_ORDER("Server: ready", "Client: send Hello World!", "Server: received Hello World!",
                  "Client: received Hello World!", "Client: send Hello UDP",
                  "Server: received Hello UDP", "Client: received Hello UDP", "Client: send Bye",
                  "Server: received Bye", "Client: received Bye", "Client: close the socket",
                  "Server: closed (0)");
  ASSERT_EQ(0, count_substr("error"));
  return 0;
}
