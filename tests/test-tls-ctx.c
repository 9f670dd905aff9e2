/* TLS contexts: bad options and files, SSLKEYLOGFILE. */
#include <unistd.h>

#include "test-tls-util.h"

static tls_certs certs;

static int server_with(const char *cert, const char *key) {
  weft_tls_ctx *ctx = NULL;
  int rc =
      weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.server = 1,
                                                  .cert_file = cert ? tls_path(&certs, cert) : NULL,
                                                  .key_file = key ? tls_path(&certs, key) : NULL});

  weft_tls_ctx_release(ctx);
  return rc;
}

static void *bad_options(void *arg) {
  static const char *const empty[] = {""};
  weft_tls_ctx *ctx = NULL;

  (void)arg;
  ASSERT_OK(server_with("server.pem", "server.key"));
  ASSERT_EQ(-EINVAL, server_with(NULL, NULL));
  ASSERT(strstr(weft_tls_last_error(), "needs a certificate"));
  ASSERT_EQ(-ENOENT, server_with("missing.pem", "server.key"));
  ASSERT(strstr(weft_tls_last_error(), "missing.pem"));
  ASSERT_EQ(-EINVAL, server_with("server.pem", "client.key")); /* not its key */
  ASSERT(strstr(weft_tls_last_error(), "private key"));
  ASSERT_EQ(-EINVAL, server_with("server.key", "server.key")); /* not a certificate */
  ASSERT_EQ(-EINVAL, server_with("server.pem", "ca.pem"));     /* not a key */
  ASSERT_EQ(-EINVAL, weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.alpn = empty, .alpn_count = 1}));
  ASSERT_EQ(-EINVAL, weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.min_version = 0x0301}));
  ASSERT_EQ(-EINVAL, weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.min_version = WEFT_TLS_V1_3,
                                                                 .max_version = WEFT_TLS_V1_2}));
  ASSERT_EQ(-EINVAL, weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.verify = 9}));
  ASSERT_EQ(-EINVAL,
            weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.verify = WEFT_TLS_VERIFY_OPTIONAL}));
  ASSERT_EQ(-EINVAL, weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.ciphers = "NOPE-NOPE"}));
  ASSERT_EQ(-ENOENT,
            weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.ca_file = "/nonexistent/ca.pem"}));
  ASSERT_EQ(-EINVAL, weft_tls_ctx_new(NULL, NULL));
  ASSERT_NULL(ctx);
  /* the default: a verifying client on the system store */
  ASSERT_OK(weft_tls_ctx_new(&ctx, NULL));
  ASSERT_EQ(0, weft_tls_ctx_is_server(ctx));
  ASSERT_NOT_NULL(weft_tls_ctx_ssl_ctx(ctx));
  ASSERT_EQ(ctx, weft_tls_ctx_retain(ctx));
  weft_tls_ctx_release(ctx);
  weft_tls_ctx_release(ctx);
  return NULL;
}

TEST_TIMEOUT(tls_ctx_bad_options, 30);
TEST_IMPL(tls_ctx_bad_options) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(bad_options, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void *keylog(void *arg) {
  weft_tls_ctx *cctx, *sctx;
  weft_tls_engine *c, *s;
  char buf[8192] = "";
  FILE *f;
  int rc_c, rc_s;

  (void)arg;
  setenv("SSLKEYLOGFILE", tls_path(&certs, "keys.log"), 1);
  ASSERT_OK(weft_tls_ctx_new(&cctx, &(weft_tls_ctx_opts){.ca_file = tls_path(&certs, "ca.pem")}));
  unsetenv("SSLKEYLOGFILE");
  ASSERT_OK(
      weft_tls_ctx_new(&sctx, &(weft_tls_ctx_opts){.server = 1,
                                                   .cert_file = tls_path(&certs, "server.pem"),
                                                   .key_file = tls_path(&certs, "server.key")}));
  ASSERT_OK(weft_tls_engine_new(&c, cctx, &(weft_tls_engine_opts){.server_hostname = "localhost"}));
  ASSERT_OK(weft_tls_engine_new(&s, sctx, NULL));
  tls_handshake_pair(c, s, &rc_c, &rc_s);
  ASSERT_OK(rc_c);
  ASSERT_NOT_NULL(f = fopen(tls_path(&certs, "keys.log"), "r"));
  ASSERT_GT(fread(buf, 1, sizeof buf - 1, f), 0);
  fclose(f);
  ASSERT(strstr(buf, "CLIENT_HANDSHAKE_TRAFFIC_SECRET "));
  ASSERT(strstr(buf, "CLIENT_TRAFFIC_SECRET_0 "));
  weft_tls_engine_free(c);
  weft_tls_engine_free(s);
  weft_tls_ctx_release(cctx);
  weft_tls_ctx_release(sctx);
  /* an unwritable key log file is an error at creation */
  ASSERT_EQ(-ENOENT,
            weft_tls_ctx_new(&cctx, &(weft_tls_ctx_opts){.keylog_file = "/nonexistent/k"}));
  return NULL;
}

TEST_TIMEOUT(tls_ctx_keylog, 30);
TEST_IMPL(tls_ctx_keylog) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(keylog, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void *bad_transport_args(void *arg) {
  weft_tls_ctx *ctx;
  weft_transport *tr = NULL;

  (void)arg;
  ASSERT_OK(weft_tls_ctx_new(&ctx, NULL));
  ASSERT_EQ(-EINVAL, weft_start_tls(NULL, &tls_app_proto, NULL, ctx, NULL, &tr));
  ASSERT_EQ(-EINVAL, weft_tls_wrap(NULL, &tls_app_proto, NULL, ctx, NULL));
  ASSERT_NULL(tr);
  ASSERT_EQ(0, weft_tls_is_tls(NULL));
  ASSERT_STR_EQ("", weft_tls_transport_error(NULL));
  weft_tls_ctx_release(ctx);
  return NULL;
}

TEST_IMPL(tls_ctx_transport_bad_args) {
  weft_transport *tr = NULL;

  /* outside a task */
  ASSERT_EQ(-EPERM, weft_start_tls(NULL, &tls_app_proto, NULL, NULL, NULL, &tr));
  ASSERT(strstr(weft_tls_last_error(), "task"));
  ASSERT_OK(weft_test_run(bad_transport_args, NULL, NULL));
  return 0;
}
