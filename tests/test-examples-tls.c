/* The TLS example: a verified TLS echo with a certificate it makes itself. */
#include "examples.h"

TEST_TIMEOUT(examples_001_tls_echo, 30);
TEST_IMPL(examples_001_tls_echo) {
  run_example("001_tls_echo");
  ASSERT_EQ(0, run.status);
  EXPECT_IN_ORDER("Made a self-signed certificate for localhost",
                  "[client] Connected: TLSv1.3, server certificate CN=localhost (verified)",
                  "[client] Send: Hello over TLS!", "[client] Received: Hello over TLS!",
                  "[client] Send: 你好，weft", "[client] Received: 你好，weft",
                  "[client] Send: bye", "[client] Received: bye",
                  "[client] Connection closed (clean close_notify)", "Done");
  ASSERT_EQ(3, count_substr("echoing"));
  ASSERT_EQ(1,
            count_lines("[server] TLS connection: TLSv1.3, TLS_AES_256_GCM_SHA384, ALPN echo/1"));
  ASSERT_EQ(1, count_lines("[server] Connection closed (clean)"));
  return 0;
}
