/*
 * The networking examples: run each program and check its output.
 */
#include "examples.h"

TEST_TIMEOUT(examples_001_http_get_raw, 30);
TEST_IMPL(examples_001_http_get_raw) {
  run_example("001_http_get_raw");
  ASSERT_EQ(0, run.status);
  ASSERT_EQ(10, count_substr("HTTP/1.1 200 OK\r\n"));
  ASSERT_EQ(10, count_substr("Connection: close\r\n"));
  ASSERT_EQ(10, count_substr("<html><title>langzi</title>"));
  /* as_completed: the slowest reply (the tenth) is printed last */
  EXPECT_IN_ORDER("<body>reply 9 to GET /</body></html>", "<body>reply 1 to GET /</body></html>",
                  "<body>reply 10 to GET /</body></html>");
  ASSERT(number_after("last time:", 0) > 0.05);
  ASSERT(number_after("last time:", 0) < 5.0);
  return 0;
}

TEST_TIMEOUT(examples_001_echo_stream, 30);
TEST_IMPL(examples_001_echo_stream) {
  run_example("001_echo_stream");
  ASSERT_EQ(0, run.status);
  ASSERT_EQ(1, count_substr("Serving on 127.0.0.1:"));
  EXPECT_IN_ORDER("[client] Send: Hello World!", "[client] Received: Hello World!",
                  "[client] Send: 你好，weft", "[client] Received: 你好，weft",
                  "[client] Send: bye", "[client] Received: bye",
                  "[client] Server closed the connection");
  ASSERT_EQ(3, count_substr("[server] Received "));
  ASSERT_EQ(1, count_substr("[server] Close the connection from 127.0.0.1:"));
  return 0;
}

TEST_TIMEOUT(examples_001_echo_protocol, 30);
TEST_IMPL(examples_001_echo_protocol) {
  run_example("001_echo_protocol");
  ASSERT_EQ(0, run.status);
  ASSERT_EQ(1, count_substr("Serving on 127.0.0.1:"));
  ASSERT_EQ(1, count_substr("[server] Connection from 127.0.0.1:"));
  EXPECT_IN_ORDER("[client] Send: Hello World!", "[client] Send: 你好，weft", "[client] Send: bye",
                  "[client] Received: Hello World!", "[client] Received: 你好，weft",
                  "[client] Received: bye", "[server] The client is done sending; closing",
                  "[client] Server closed the connection");
  ASSERT_EQ(1, count_substr("[server] Connection closed (cleanly)"));
  ASSERT_EQ(0, count_substr("Connection lost"));
  return 0;
}
