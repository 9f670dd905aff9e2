/* TLS server transports (weft_tls_wrap) against openssl s_client. */
#include <unistd.h>

#include "test-tls-util.h"

static tls_certs certs;

static weft_tls_ctx *server_ctx(weft_tls_verify verify) {
  static const char *const alpn[] = {"http/1.1"};
  weft_tls_ctx *ctx;

  ASSERT_OK(weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.server = 1,
                                                        .verify = verify,
                                                        .cert_file = tls_path(&certs, "server.pem"),
                                                        .key_file = tls_path(&certs, "server.key"),
                                                        .ca_file = tls_path(&certs, "ca.pem"),
                                                        .alpn = alpn,
                                                        .alpn_count = 1}));
  return ctx;
}

static void s_client(tls_peer *p, int port, const char *extra) {
  char args[2048];

  snprintf(args, sizeof args, "-CAfile %s -verify_return_error -servername localhost %s",
           tls_path(&certs, "ca.pem"), extra);
  tls_s_client(p, port, args);
}

static void *echo(void *arg) {
  static tls_srv s;
  char out[32768] = "";
  weft_tls_info info;
  tls_peer p;

  (void)arg;
  s.ctx = server_ctx(0);
  s.app.echo = 1;
  tls_srv_start(&s);
  s_client(&p, s.port, "-alpn h2,http/1.1");
  ASSERT(tls_peer_expect(&p, "Verify return code: 0 (ok)", out, sizeof out, 10));
  ASSERT(strstr(out, "ALPN protocol: http/1.1"));
  ASSERT(tls_wait(&s.app.made, 10));
  ASSERT_EQ(5, write(p.in, "ping\n", 5));
  ASSERT(tls_wait_text(&s.app, "ping\n", 10));
  ASSERT(tls_peer_expect(&p, "ping", strstr(out, "(ok)"),
                         sizeof out - (size_t)(strstr(out, "(ok)") - out), 10));
  ASSERT_OK(weft_tls_info_get(s.app.tr, &info));
  ASSERT_STR_EQ("http/1.1", info.alpn);
  ASSERT_STR_EQ("", info.peer_subject);
  weft_transport_close(s.app.tr);
  ASSERT(tls_wait(&s.app.lost, 10));
  ASSERT_EQ(0, s.app.lost_err);
  tls_peer_stop(&p);
  tls_srv_stop(&s);
  weft_tls_ctx_release(s.ctx);
  return NULL;
}

TEST_TIMEOUT(tls_server_s_client_echo, 30);
TEST_IMPL(tls_server_s_client_echo) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(echo, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void *client_cert(void *arg) {
  static tls_srv s;
  char out[32768] = "", extra[1024];
  weft_tls_info info;
  tls_peer p;

  (void)arg;
  s.ctx = server_ctx(WEFT_TLS_VERIFY_REQUIRED);
  tls_srv_start(&s);
  /* missing: the server refuses it */
  s_client(&p, s.port, "");
  ASSERT(tls_wait(&s.failed, 10));
  ASSERT(s.fail_code < 0);
  ASSERT(strstr(s.fail_msg, "did not return a certificate"));
  ASSERT_EQ(0, s.app.made);
  tls_peer_stop(&p);
  /* present */
  snprintf(extra, sizeof extra, "-cert %s -key %s", tls_path(&certs, "client.pem"),
           tls_path(&certs, "client.key"));
  s_client(&p, s.port, extra);
  ASSERT(tls_peer_expect(&p, "Verify return code: 0 (ok)", out, sizeof out, 10));
  ASSERT(tls_wait(&s.app.made, 10));
  ASSERT_OK(weft_tls_info_get(s.app.tr, &info));
  ASSERT_STR_EQ("CN=weft client,O=weft test", info.peer_subject);
  ASSERT_EQ(1, info.peer_verified);
  tls_peer_stop(&p);
  ASSERT(tls_wait(&s.app.lost, 10));
  tls_srv_stop(&s);
  weft_tls_ctx_release(s.ctx);
  return NULL;
}

TEST_TIMEOUT(tls_server_s_client_client_cert, 30);
TEST_IMPL(tls_server_s_client_client_cert) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(client_cert, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}
