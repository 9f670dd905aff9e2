/* TLS client transports against openssl s_server. */
#include "test-tls-util.h"

static tls_certs certs;

static weft_tls_ctx *client_ctx(int with_cert, int min_version, const char *alpn) {
  const char *protos[] = {"h2", alpn};
  weft_tls_ctx *ctx;

  ASSERT_OK(weft_tls_ctx_new(
      &ctx, &(weft_tls_ctx_opts){.ca_file = tls_path(&certs, "ca.pem"),
                                 .cert_file = with_cert ? tls_path(&certs, "client.pem") : NULL,
                                 .key_file = with_cert ? tls_path(&certs, "client.key") : NULL,
                                 .min_version = min_version,
                                 .alpn = alpn ? protos : NULL,
                                 .alpn_count = alpn ? 2 : 0}));
  return ctx;
}

static int start(int port, weft_tls_ctx *ctx, const char *host, tls_app *a, weft_transport **tr) {
  weft_transport *lower = tls_tcp(port);

  return weft_start_tls(lower, &tls_app_proto, a, ctx,
                        &(weft_tls_opts){.server_hostname = host, .shutdown_timeout = 5}, tr);
}

static void *echo(void *arg) {
  static tls_app a;
  weft_tls_ctx *ctx = client_ctx(0, 0, NULL);
  weft_transport *tr;
  weft_tls_info info;
  tls_peer p;

  (void)arg;
  tls_s_server(&p, &certs, "server", "-rev");
  ASSERT_OK(start(p.port, ctx, "localhost", &a, &tr));
  ASSERT_EQ(1, a.made);
  ASSERT_EQ(1, weft_tls_is_tls(tr));
  ASSERT_OK(weft_tls_info_get(tr, &info));
  ASSERT_STR_EQ("TLSv1.3", info.version);
  ASSERT_STR_EQ("CN=localhost,O=weft test", info.peer_subject);
  ASSERT_EQ(1, info.peer_verified);
  ASSERT_GT(weft_transport_fileno(tr), 0);
  ASSERT_OK(weft_transport_write(tr, "hello\n", 6));
  ASSERT(tls_wait_text(&a, "olleh", 10));
  weft_transport_close(tr);
  ASSERT(tls_wait(&a.lost, 10));
  ASSERT_EQ(0, a.lost_err);
  tls_peer_stop(&p);
  weft_tls_ctx_release(ctx);
  return NULL;
}

TEST_TIMEOUT(tls_client_s_server_echo, 30);
TEST_IMPL(tls_client_s_server_echo) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(echo, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void expect_failure(const char *cert, const char *host, const char *reason) {
  weft_tls_ctx *ctx = client_ctx(0, 0, NULL);
  weft_transport *tr = NULL;
  tls_app a = {0};
  tls_peer p;

  tls_s_server(&p, &certs, cert, "");
  ASSERT_EQ(WEFT_TLS_VERIFY_FAILED, start(p.port, ctx, host, &a, &tr));
  if (!strstr(weft_tls_last_error(), reason)) {
    fprintf(stderr, "error: %s (expected %s)\n", weft_tls_last_error(), reason);
    abort();
  }
  ASSERT_NULL(tr);
  ASSERT_EQ(0, a.made);
  /* s_server hears our alert */
  char out[8192] = "";
  ASSERT(tls_peer_expect(&p, "alert", out, sizeof out, 10));
  tls_peer_stop(&p);
  weft_tls_ctx_release(ctx);
  weft_sleep(0.05); /* let the closed lower transport go */
}

static void *verify_errors(void *arg) {
  (void)arg;
  expect_failure("expired", "localhost", "certificate has expired");
  expect_failure("selfsigned", "localhost", "self-signed certificate");
  expect_failure("wronghost", "localhost", "hostname mismatch");
  expect_failure("unknownca", "localhost", "unable to get local issuer certificate");
  expect_failure("server", "127.0.0.2", "IP address mismatch");
  return NULL;
}

TEST_TIMEOUT(tls_client_s_server_verify_errors, 60);
TEST_IMPL(tls_client_s_server_verify_errors) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(verify_errors, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void *client_cert(void *arg) {
  static tls_app a, b;
  weft_tls_ctx *without = client_ctx(0, 0, NULL), *with = client_ctx(1, 0, NULL);
  weft_transport *tr = NULL;
  char out[16384] = "";
  tls_peer p;
  int rc;

  (void)arg;
  tls_s_server(&p, &certs, "server", "-Verify 1 -verify_return_error -rev");
  /* missing: TLS 1.3 finishes the client's handshake first, then the
   * server's alert ends the connection */
  rc = start(p.port, without, "localhost", &a, &tr);
  if (rc == 0) {
    weft_transport_write(tr, "x\n", 2);
    ASSERT(tls_wait(&a.lost, 10));
    ASSERT_EQ(WEFT_TLS_PROTOCOL_ERROR, a.lost_err);
    ASSERT(strstr(a.err, "certificate required"));
  } else {
    ASSERT_EQ(WEFT_TLS_PROTOCOL_ERROR, rc);
    ASSERT(strstr(weft_tls_last_error(), "certificate required"));
  }
  tls_peer_stop(&p);
  /* present */
  tls_s_server(&p, &certs, "server", "-Verify 1 -verify_return_error -rev");
  ASSERT_OK(start(p.port, with, "localhost", &b, &tr));
  ASSERT_OK(weft_transport_write(tr, "abc\n", 4));
  ASSERT(tls_wait_text(&b, "cba", 10));
  ASSERT(tls_peer_expect(&p, "weft client", out, sizeof out, 10));
  weft_transport_close(tr);
  ASSERT(tls_wait(&b.lost, 10));
  tls_peer_stop(&p);
  weft_tls_ctx_release(without);
  weft_tls_ctx_release(with);
  return NULL;
}

TEST_TIMEOUT(tls_client_s_server_client_cert, 30);
TEST_IMPL(tls_client_s_server_client_cert) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(client_cert, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void *alpn_version(void *arg) {
  static tls_app a, b;
  weft_tls_ctx *alpn = client_ctx(0, 0, "http/1.1"), *v13 = client_ctx(0, WEFT_TLS_V1_3, NULL);
  weft_transport *tr = NULL;
  weft_tls_info info;
  tls_peer p;

  (void)arg;
  tls_s_server(&p, &certs, "server", "-alpn http/1.1 -rev");
  ASSERT_OK(start(p.port, alpn, "localhost", &a, &tr));
  ASSERT_OK(weft_tls_info_get(tr, &info));
  ASSERT_STR_EQ("http/1.1", info.alpn);
  weft_transport_close(tr);
  ASSERT(tls_wait(&a.lost, 10));
  tls_peer_stop(&p);
  tls_s_server(&p, &certs, "server", "-tls1_2");
  ASSERT_EQ(WEFT_TLS_PROTOCOL_ERROR, start(p.port, v13, "localhost", &b, &tr));
  ASSERT(strstr(weft_tls_last_error(), "version"));
  tls_peer_stop(&p);
  weft_tls_ctx_release(alpn);
  weft_tls_ctx_release(v13);
  weft_sleep(0.05);
  return NULL;
}

TEST_TIMEOUT(tls_client_s_server_alpn_version, 30);
TEST_IMPL(tls_client_s_server_alpn_version) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(alpn_version, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static int fetch(int port, weft_tls_ctx *ctx) {
  static tls_app a;
  weft_transport *tr;
  weft_tls_info info;

  memset(&a, 0, sizeof a);
  ASSERT_OK(start(port, ctx, "localhost", &a, &tr));
  ASSERT_OK(weft_tls_info_get(tr, &info));
  ASSERT_OK(weft_transport_write(tr, "GET / HTTP/1.0\r\n\r\n", 18));
  ASSERT(tls_wait_text(&a, "</HTML>", 10) || tls_wait_text(&a, "</html>", 1));
  if (!a.lost)
    weft_transport_close(tr);
  ASSERT(tls_wait(&a.lost, 10));
  return info.session_reused;
}

static void *sessions(void *arg) {
  weft_tls_ctx *ctx = client_ctx(0, 0, NULL);
  tls_peer p;

  (void)arg;
  tls_s_server(&p, &certs, "server", "-www");
  ASSERT_EQ(0, fetch(p.port, ctx));
  ASSERT_EQ(1, weft_tls_ctx_session_count(ctx));
  ASSERT_EQ(1, fetch(p.port, ctx));
  tls_peer_stop(&p);
  weft_tls_ctx_release(ctx);
  return NULL;
}

TEST_TIMEOUT(tls_client_s_server_session_reuse, 30);
TEST_IMPL(tls_client_s_server_session_reuse) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(sessions, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}
