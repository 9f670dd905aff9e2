/* The TLS engine memory to memory: a client and a server engine exchange
 * bytes through buffers, with certificates made at test time. */
#include <unistd.h>

#include "test-tls-util.h"

static tls_certs certs;

typedef struct pair {
  weft_tls_ctx *cctx, *sctx;
  weft_tls_engine *c, *s;
  int rc_c, rc_s;
} pair;

static weft_tls_ctx *server_ctx(const char *cert, weft_tls_verify verify) {
  char pem[64], key[64];
  weft_tls_ctx *ctx;

  snprintf(pem, sizeof pem, "%s.pem", cert);
  snprintf(key, sizeof key, "%s.key", cert);
  ASSERT_OK(weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.server = 1,
                                                        .verify = verify,
                                                        .cert_file = tls_path(&certs, pem),
                                                        .key_file = tls_path(&certs, key),
                                                        .ca_file = tls_path(&certs, "ca.pem")}));
  return ctx;
}

static weft_tls_ctx *client_ctx(void) {
  weft_tls_ctx *ctx;

  ASSERT_OK(weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.ca_file = tls_path(&certs, "ca.pem")}));
  return ctx;
}

/* Takes the two context references. */
static void pair_open(pair *p, weft_tls_ctx *cctx, weft_tls_ctx *sctx, const char *host) {
  p->cctx = cctx;
  p->sctx = sctx;
  ASSERT_OK(weft_tls_engine_new(
      &p->c, cctx,
      &(weft_tls_engine_opts){.server_hostname = host, .session_key = "localhost:443"}));
  ASSERT_OK(weft_tls_engine_new(&p->s, sctx, NULL));
  tls_handshake_pair(p->c, p->s, &p->rc_c, &p->rc_s);
}

static void pair_close(pair *p) {
  weft_tls_engine_free(p->c);
  weft_tls_engine_free(p->s);
  weft_tls_ctx_release(p->cctx);
  weft_tls_ctx_release(p->sctx);
}

static void *roundtrip(void *arg) {
  char buf[64];
  weft_tls_info info;
  pair p;

  (void)arg;
  pair_open(&p, client_ctx(), server_ctx("server", 0), "localhost");
  ASSERT_OK(p.rc_c);
  ASSERT_OK(p.rc_s);
  ASSERT_EQ(5, weft_tls_engine_write(p.c, "hello", 5));
  tls_pump(p.c, p.s);
  ASSERT_EQ(5, weft_tls_engine_read(p.s, buf, sizeof buf));
  ASSERT_OK(memcmp(buf, "hello", 5));
  ASSERT_EQ(-EAGAIN, weft_tls_engine_read(p.s, buf, sizeof buf));
  ASSERT_OK(weft_tls_engine_info(p.c, &info));
  ASSERT_STR_EQ("TLSv1.3", info.version);
  ASSERT_STR_EQ("CN=localhost,O=weft test", info.peer_subject);
  ASSERT_EQ(1, info.peer_verified);
  ASSERT_STR_EQ("", info.alpn);
  /* clean close: close_notify both ways, then reads see end of file */
  ASSERT_EQ(-EAGAIN, weft_tls_engine_shutdown(p.c));
  ASSERT_EQ(-EPIPE, weft_tls_engine_write(p.c, "x", 1));
  tls_pump(p.c, p.s);
  ASSERT_EQ(0, weft_tls_engine_read(p.s, buf, sizeof buf));
  ASSERT_EQ(1, weft_tls_engine_peer_closed(p.s));
  ASSERT_OK(weft_tls_engine_shutdown(p.s));
  tls_pump(p.c, p.s);
  ASSERT_OK(weft_tls_engine_shutdown(p.c));
  pair_close(&p);
  return NULL;
}

TEST_TIMEOUT(tls_engine_roundtrip, 30);
TEST_IMPL(tls_engine_roundtrip) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(roundtrip, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void *bulk(void *arg) {
  size_t size = 1u << 20, got = 0;
  char *data = malloc(size), *back = malloc(size);
  pair p;

  (void)arg;
  for (size_t i = 0; i < size; i++)
    data[i] = (char)(i * 7);
  pair_open(&p, client_ctx(), server_ctx("server", 0), "127.0.0.1");
  ASSERT_OK(p.rc_c);
  ASSERT_EQ((ssize_t)size, weft_tls_engine_write(p.c, data, size));
  tls_pump(p.c, p.s);
  while (got < size) {
    ssize_t n = weft_tls_engine_read(p.s, back + got, size - got);

    ASSERT_GT(n, 0);
    got += (size_t)n;
  }
  ASSERT_OK(memcmp(data, back, size));
  pair_close(&p);
  free(data);
  free(back);
  return NULL;
}

TEST_TIMEOUT(tls_engine_bulk_ip_host, 30);
TEST_IMPL(tls_engine_bulk_ip_host) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(bulk, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

/* Each bad certificate fails the client's handshake with its reason. */
static void expect_verify_failure(const char *cert, const char *host, const char *reason) {
  pair p;

  pair_open(&p, client_ctx(), server_ctx(cert, 0), host);
  ASSERT_EQ(WEFT_TLS_VERIFY_FAILED, p.rc_c);
  if (!strstr(weft_tls_engine_error(p.c), reason)) {
    fprintf(stderr, "error: %s (expected %s)\n", weft_tls_engine_error(p.c), reason);
    abort();
  }
  /* the server hears about it through an alert */
  ASSERT_EQ(WEFT_TLS_PROTOCOL_ERROR, p.rc_s);
  ASSERT(strstr(weft_tls_engine_error(p.s), "alert"));
  ASSERT_EQ(WEFT_TLS_VERIFY_FAILED, weft_tls_engine_handshake(p.c)); /* sticky */
  ASSERT(strstr(weft_tls_last_error(), "certificate verify failed"));
  pair_close(&p);
}

static void *verify_failures(void *arg) {
  weft_tls_ctx *none;
  pair p;

  (void)arg;
  expect_verify_failure("expired", "localhost", "certificate has expired");
  expect_verify_failure("selfsigned", "localhost", "self-signed certificate");
  expect_verify_failure("wronghost", "localhost", "hostname mismatch");
  expect_verify_failure("server", "127.0.0.2", "IP address mismatch");
  expect_verify_failure("unknownca", "localhost", "unable to get local issuer certificate");
  /* ssl=False: no verification at all */
  ASSERT_OK(weft_tls_ctx_new(&none, &(weft_tls_ctx_opts){.verify = WEFT_TLS_VERIFY_NONE}));
  pair_open(&p, none, server_ctx("selfsigned", 0), NULL);
  ASSERT_OK(p.rc_c);
  ASSERT_OK(p.rc_s);
  pair_close(&p);
  return NULL;
}

TEST_TIMEOUT(tls_engine_verify_failures, 30);
TEST_IMPL(tls_engine_verify_failures) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(verify_failures, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void *faults(void *arg) {
  static const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  weft_tls_engine *e;
  weft_tls_ctx *sctx = server_ctx("server", 0), *cctx = client_ctx();
  char buf[64];
  pair p;

  (void)arg;
  /* garbage instead of a handshake */
  ASSERT_OK(weft_tls_engine_new(&e, sctx, NULL));
  ASSERT_OK(weft_tls_engine_feed(e, junk, sizeof junk - 1));
  ASSERT_EQ(WEFT_TLS_PROTOCOL_ERROR, weft_tls_engine_handshake(e));
  ASSERT(strstr(weft_tls_engine_error(e), "does not speak TLS"));
  weft_tls_engine_free(e);
  /* the peer vanishes mid-handshake */
  ASSERT_OK(weft_tls_engine_new(&e, cctx, &(weft_tls_engine_opts){.server_hostname = "localhost"}));
  ASSERT_EQ(-EAGAIN, weft_tls_engine_handshake(e));
  ASSERT_GT(weft_tls_engine_pending(e), 0);
  weft_tls_engine_feed_eof(e);
  ASSERT_EQ(WEFT_TLS_HANDSHAKE_EOF, weft_tls_engine_handshake(e));
  ASSERT(strstr(weft_tls_engine_error(e), "during the TLS handshake"));
  ASSERT_EQ(WEFT_TLS_HANDSHAKE_EOF, weft_tls_engine_write(e, "x", 1)); /* sticky */
  weft_tls_engine_free(e);
  /* truncation (no close_notify) is not a clean end of file */
  pair_open(&p, weft_tls_ctx_retain(cctx), weft_tls_ctx_retain(sctx), "localhost");
  ASSERT_OK(p.rc_c);
  ASSERT_EQ(3, weft_tls_engine_write(p.s, "abc", 3));
  tls_pump(p.c, p.s);
  weft_tls_engine_feed_eof(p.c);
  ASSERT_EQ(3, weft_tls_engine_read(p.c, buf, sizeof buf)); /* data first */
  ASSERT_EQ(WEFT_TLS_TRUNCATED, weft_tls_engine_read(p.c, buf, sizeof buf));
  ASSERT(strstr(weft_tls_engine_error(p.c), "without close_notify"));
  pair_close(&p);
  /* a verifying client needs a name */
  ASSERT_EQ(-EINVAL, weft_tls_engine_new(&e, cctx, NULL));
  weft_tls_ctx_release(cctx);
  weft_tls_ctx_release(sctx);
  return NULL;
}

TEST_TIMEOUT(tls_engine_faults, 30);
TEST_IMPL(tls_engine_faults) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(faults, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static weft_tls_ctx *client_with_cert(void) {
  weft_tls_ctx *ctx;

  ASSERT_OK(
      weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.ca_file = tls_path(&certs, "ca.pem"),
                                                  .cert_file = tls_path(&certs, "client.pem"),
                                                  .key_file = tls_path(&certs, "client.key")}));
  return ctx;
}

static void *client_certs(void *arg) {
  weft_tls_info info;
  char buf[64];
  pair p;

  (void)arg;
  /* required and missing: the server refuses; the client hears an alert */
  pair_open(&p, client_ctx(), server_ctx("server", WEFT_TLS_VERIFY_REQUIRED), "localhost");
  ASSERT(p.rc_s < 0);
  ASSERT(strstr(weft_tls_engine_error(p.s), "did not return a certificate"));
  if (p.rc_c == 0) /* TLS 1.3: the client finished first */
    ASSERT_EQ(WEFT_TLS_PROTOCOL_ERROR, weft_tls_engine_read(p.c, buf, sizeof buf));
  ASSERT(strstr(weft_tls_engine_error(p.c), "certificate required"));
  pair_close(&p);
  /* required and present */
  pair_open(&p, client_with_cert(), server_ctx("server", WEFT_TLS_VERIFY_REQUIRED), "localhost");
  ASSERT_OK(p.rc_c);
  ASSERT_OK(p.rc_s);
  ASSERT_OK(weft_tls_engine_info(p.s, &info));
  ASSERT_STR_EQ("CN=weft client,O=weft test", info.peer_subject);
  ASSERT_EQ(1, info.peer_verified);
  pair_close(&p);
  /* optional and missing: accepted without a peer certificate */
  pair_open(&p, client_ctx(), server_ctx("server", WEFT_TLS_VERIFY_OPTIONAL), "localhost");
  ASSERT_OK(p.rc_s);
  ASSERT_OK(weft_tls_engine_info(p.s, &info));
  ASSERT_STR_EQ("", info.peer_subject);
  ASSERT_EQ(0, info.peer_verified);
  pair_close(&p);
  return NULL;
}

TEST_TIMEOUT(tls_engine_client_certs, 30);
TEST_IMPL(tls_engine_client_certs) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(client_certs, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static weft_tls_ctx *alpn_ctx(int server, const char *const *alpn, size_t n, int min, int max) {
  weft_tls_ctx *ctx;

  ASSERT_OK(weft_tls_ctx_new(
      &ctx, &(weft_tls_ctx_opts){.server = server,
                                 .ca_file = tls_path(&certs, "ca.pem"),
                                 .cert_file = server ? tls_path(&certs, "server.pem") : NULL,
                                 .key_file = server ? tls_path(&certs, "server.key") : NULL,
                                 .alpn = alpn,
                                 .alpn_count = n,
                                 .min_version = min,
                                 .max_version = max}));
  return ctx;
}

static void *alpn_versions(void *arg) {
  static const char *const offer[] = {"h2", "http/1.1"}, *const h1[] = {"http/1.1"},
                           *const other[] = {"spdy/1"};
  weft_tls_info info;
  pair p;

  (void)arg;
  pair_open(&p, alpn_ctx(0, offer, 2, 0, 0), alpn_ctx(1, h1, 1, 0, 0), "localhost");
  ASSERT_OK(p.rc_c);
  ASSERT_OK(weft_tls_engine_info(p.c, &info));
  ASSERT_STR_EQ("http/1.1", info.alpn);
  pair_close(&p);
  pair_open(&p, alpn_ctx(0, offer, 2, 0, 0), alpn_ctx(1, other, 1, 0, 0), "localhost");
  ASSERT_OK(p.rc_c);
  ASSERT_OK(weft_tls_engine_info(p.c, &info));
  ASSERT_STR_EQ("", info.alpn);
  pair_close(&p);
  /* versions: a TLS 1.2 server and a client wanting 1.3 do not agree */
  pair_open(&p, alpn_ctx(0, NULL, 0, WEFT_TLS_V1_3, 0), alpn_ctx(1, NULL, 0, 0, WEFT_TLS_V1_2),
            "localhost");
  ASSERT_EQ(WEFT_TLS_PROTOCOL_ERROR, p.rc_c);
  ASSERT_EQ(WEFT_TLS_PROTOCOL_ERROR, p.rc_s);
  pair_close(&p);
  pair_open(&p, alpn_ctx(0, NULL, 0, 0, 0), alpn_ctx(1, NULL, 0, 0, WEFT_TLS_V1_2), "localhost");
  ASSERT_OK(p.rc_c);
  ASSERT_OK(weft_tls_engine_info(p.c, &info));
  ASSERT_STR_EQ("TLSv1.2", info.version);
  pair_close(&p);
  return NULL;
}

TEST_TIMEOUT(tls_engine_alpn_versions, 30);
TEST_IMPL(tls_engine_alpn_versions) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(alpn_versions, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void connect_once(weft_tls_ctx *cctx, weft_tls_ctx *sctx, int version, int *reused) {
  weft_tls_info info;
  char buf[16];
  pair p;

  (void)version;
  pair_open(&p, weft_tls_ctx_retain(cctx), weft_tls_ctx_retain(sctx), "localhost");
  ASSERT_OK(p.rc_c);
  ASSERT_EQ(-EAGAIN, weft_tls_engine_read(p.c, buf, sizeof buf)); /* takes the tickets */
  ASSERT_OK(weft_tls_engine_info(p.c, &info));
  *reused = info.session_reused;
  pair_close(&p);
}

static void *sessions(void *arg) {
  weft_tls_ctx *cctx = client_ctx(), *sctx = server_ctx("server", 0), *off;
  int reused;

  (void)arg;
  connect_once(cctx, sctx, 0, &reused);
  ASSERT_EQ(0, reused);
  TORTURE_EXIT_UNLESS(weft_tls_ctx_session_count(cctx) == 1);
  ASSERT_EQ(1, weft_tls_ctx_session_count(cctx));
  connect_once(cctx, sctx, 0, &reused);
  ASSERT_EQ(1, reused);
  ASSERT_OK(weft_tls_ctx_new(
      &off, &(weft_tls_ctx_opts){.ca_file = tls_path(&certs, "ca.pem"), .no_session_cache = 1}));
  connect_once(off, sctx, 0, &reused);
  connect_once(off, sctx, 0, &reused);
  ASSERT_EQ(0, reused);
  ASSERT_EQ(0, weft_tls_ctx_session_count(off));
  weft_tls_ctx_release(off);
  weft_tls_ctx_release(cctx);
  weft_tls_ctx_release(sctx);
  return NULL;
}

TEST_TIMEOUT(tls_engine_session_reuse, 30);
TEST_IMPL(tls_engine_session_reuse) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(sessions, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static weft_tls_ctx *by_callback(const char *name, void *arg) {
  return strcmp(name, "cb.example") == 0 ? arg : NULL;
}

static void *sni(void *arg) {
  weft_tls_ctx *sctx, *other = server_ctx("wronghost", 0), *plain;
  weft_tls_info info;
  pair p;

  (void)arg;
  ASSERT_OK(
      weft_tls_ctx_new(&sctx, &(weft_tls_ctx_opts){.server = 1,
                                                   .cert_file = tls_path(&certs, "server.pem"),
                                                   .key_file = tls_path(&certs, "server.key"),
                                                   .sni = by_callback,
                                                   .sni_arg = other}));
  ASSERT_OK(weft_tls_ctx_add_sni(sctx, "*.example", other));
  pair_open(&p, client_ctx(), weft_tls_ctx_retain(sctx), "other.example");
  ASSERT_OK(p.rc_c);
  ASSERT_OK(weft_tls_engine_info(p.c, &info));
  ASSERT_STR_EQ("CN=other.example,O=weft test", info.peer_subject);
  pair_close(&p);
  pair_open(&p, client_ctx(), weft_tls_ctx_retain(sctx), "localhost");
  ASSERT_OK(p.rc_c);
  ASSERT_OK(weft_tls_engine_info(p.c, &info));
  ASSERT_STR_EQ("CN=localhost,O=weft test", info.peer_subject);
  pair_close(&p);
  /* the callback's choice: its certificate does not name cb.example */
  pair_open(&p, client_ctx(), weft_tls_ctx_retain(sctx), "cb.example");
  ASSERT_EQ(WEFT_TLS_VERIFY_FAILED, p.rc_c);
  pair_close(&p);
  plain = client_ctx();
  ASSERT_EQ(-EINVAL, weft_tls_ctx_add_sni(plain, "x", other));
  weft_tls_ctx_release(plain);
  weft_tls_ctx_release(other);
  weft_tls_ctx_release(sctx);
  return NULL;
}

TEST_TIMEOUT(tls_engine_sni, 30);
TEST_IMPL(tls_engine_sni) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(sni, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}
