/*
 * start_tls on streams: a STARTTLS-style upgrade of both ends of a
 * connection, with a certificate made at test time by the openssl tool.
 */
#include <sys/stat.h>

#include "test-stream-peer.h"

static char cert[128], key[128];

static void make_cert(void) {
  char cmd[512];

  snprintf(cert, sizeof cert, "/tmp/weft-stream-tls-%d.crt", (int)getpid());
  snprintf(key, sizeof key, "/tmp/weft-stream-tls-%d.key", (int)getpid());
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
           "-keyout %s -out %s -days 1 -subj /CN=localhost >/dev/null 2>&1",
           key, cert);
  ASSERT_OK(system(cmd));
}

static void drop_cert(void) {
  unlink(cert);
  unlink(key);
}

/* Server: answer STARTTLS, upgrade, then echo one line over TLS. */
static void starttls_handler(weft_stream *s, void *arg) {
  weft_tls_ctx *ctx = arg;
  weft_tls_opts o = {.server_side = 1};
  const char *line;
  size_t len;

  ASSERT_OK(weft_stream_read_line(s, &line, &len));
  ASSERT_OK(memcmp(line, "STARTTLS\n", 9));
  ASSERT_OK(weft_stream_write_str(s, "OK\n"));
  ASSERT_OK(weft_stream_drain(s));
  ASSERT_OK(weft_stream_start_tls(s, ctx, &o));
  ASSERT_OK(weft_stream_read_line(s, &line, &len));
  ASSERT_OK(weft_stream_write(s, line, len));
  ASSERT_OK(weft_stream_drain(s));
  ASSERT_EQ(0, weft_stream_next_line(s, &line, &len));
}

static void *starttls(void *arg) {
  weft_tls_ctx_opts so = {.server = 1, .cert_file = cert, .key_file = key};
  weft_tls_ctx_opts co = {.verify = WEFT_TLS_VERIFY_NONE};
  weft_tls_opts o = {.server_hostname = "localhost"};
  weft_tls_ctx *sctx, *cctx;
  weft_stream_server *srv;
  weft_stream *c;
  weft_tls_info info;
  const char *line;
  size_t len;

  (void)arg;
  ASSERT_OK(weft_tls_ctx_new(&sctx, &so));
  ASSERT_OK(weft_tls_ctx_new(&cctx, &co));
  ASSERT_OK(weft_start_server("127.0.0.1", 0, starttls_handler, sctx, NULL, &srv));
  ASSERT_OK(weft_open_connection("127.0.0.1", weft_stream_server_port(srv), NULL, &c));
  ASSERT_EQ(-EINVAL, weft_stream_tls_info(c, &info));
  ASSERT_OK(weft_stream_write_str(c, "STARTTLS\n"));
  ASSERT_OK(weft_stream_read_line(c, &line, &len));
  ASSERT_OK(memcmp(line, "OK\n", 3));
  ASSERT_OK(weft_stream_start_tls(c, cctx, &o));
  ASSERT_OK(weft_stream_tls_info(c, &info));
  ASSERT_NOT_NULL(info.version);
  ASSERT_OK(weft_stream_write_str(c, "secret line\n"));
  ASSERT_OK(weft_stream_read_line(c, &line, &len));
  ASSERT_EQ(12u, len);
  ASSERT_OK(memcmp(line, "secret line\n", len));
  ASSERT_GE(weft_stream_fileno(c), 0);
  weft_stream_close(c);
  ASSERT_OK(weft_stream_wait_closed(c));
  weft_stream_free(c);
  weft_stream_server_close(srv);
  ASSERT_OK(weft_stream_server_wait_closed(srv, INFINITY));
  weft_stream_server_free(srv);
  weft_tls_ctx_release(sctx);
  weft_tls_ctx_release(cctx);
  return NULL;
}

TEST_TIMEOUT(stream_start_tls_both_sides, 30);
TEST_IMPL(stream_start_tls_both_sides) {
  int rc;

  make_cert();
  rc = weft_test_run(starttls, NULL, NULL);
  drop_cert();
  return rc;
}

/* A client upgrading against a peer that does not speak TLS: the upgrade
 * fails, the stream is closed with the error. */
static void plain_handler(weft_stream *s, void *arg) {
  const char *line;
  size_t len;

  (void)arg;
  weft_stream_write_str(s, "this is not a TLS server\r\n\r\n\r\n");
  weft_stream_drain(s);
  weft_stream_read_line(s, &line, &len);
}

static void *not_tls(void *arg) {
  weft_tls_ctx_opts co = {.verify = WEFT_TLS_VERIFY_NONE};
  weft_tls_opts o = {.server_hostname = "localhost"};
  weft_tls_ctx *cctx;
  weft_stream_server *srv;
  weft_stream *c;
  char buf[8];
  size_t got;
  int rc;

  (void)arg;
  ASSERT_OK(weft_tls_ctx_new(&cctx, &co));
  ASSERT_OK(weft_start_server("127.0.0.1", 0, plain_handler, NULL, NULL, &srv));
  ASSERT_OK(weft_open_connection("127.0.0.1", weft_stream_server_port(srv), NULL, &c));
  rc = weft_stream_start_tls(c, cctx, &o);
  ASSERT_LT(rc, 0);
  ASSERT_EQ(rc, weft_stream_error(c));
  ASSERT_EQ(1, weft_stream_is_closing(c));
  ASSERT_EQ(rc, weft_stream_write(c, "x", 1));
  ASSERT_EQ(rc, weft_stream_read(c, buf, sizeof buf, &got));
  ASSERT_EQ(rc, weft_stream_wait_closed(c));
  ASSERT_EQ(-ENOTCONN, weft_stream_peername(c, &(struct sockaddr_storage){0}));
  weft_stream_free(c);
  weft_stream_server_close(srv);
  ASSERT_OK(weft_stream_server_wait_closed(srv, 1.0));
  weft_stream_server_free(srv);
  weft_tls_ctx_release(cctx);
  return NULL;
}

TEST_TIMEOUT(stream_start_tls_peer_not_tls, 30);
TEST_IMPL(stream_start_tls_peer_not_tls) {
  return weft_test_run(not_tls, NULL, NULL);
}

/* A TLS stream server: a client sending garbage never reaches the handler
 * (and leaves nothing behind), a TLS client gets its echo. */
static void tls_echo(weft_stream *s, void *arg) {
  const char *line;
  size_t len;
  int *served = arg;

  while (weft_stream_next_line(s, &line, &len) > 0)
    if (weft_stream_write(s, line, len) != 0 || weft_stream_drain(s) != 0)
      break;
  (*served)++;
}

static void *tls_server(void *arg) {
  weft_tls_ctx_opts so = {.server = 1, .cert_file = cert, .key_file = key};
  weft_tls_ctx_opts co = {.verify = WEFT_TLS_VERIFY_NONE};
  weft_server_opts sopts = WEFT_SERVER_OPTS_INIT;
  weft_connect_opts copts = WEFT_CONNECT_OPTS_INIT;
  weft_stream_server *srv;
  weft_stream *c;
  const char *line;
  size_t len;
  int served = 0;

  (void)arg;
  ASSERT_OK(weft_tls_ctx_new(&sopts.tls, &so));
  ASSERT_OK(weft_tls_ctx_new(&copts.tls, &co));
  copts.server_hostname = "localhost";
  ASSERT_OK(weft_start_server("127.0.0.1", 0, tls_echo, &served, &sopts, &srv));
  ASSERT_OK(weft_open_connection("127.0.0.1", weft_stream_server_port(srv), NULL, &c));
  ASSERT_OK(weft_stream_write_str(c, "GET / HTTP/1.0\r\n\r\n"));
  ASSERT_EQ(0, weft_stream_next_line(c, &line, &len)); /* the server hangs up */
  weft_stream_free(c);
  ASSERT_OK(weft_open_connection("127.0.0.1", weft_stream_server_port(srv), &copts, &c));
  ASSERT_OK(weft_stream_write_str(c, "over tls\n"));
  ASSERT_OK(weft_stream_read_line(c, &line, &len));
  ASSERT_EQ(9u, len);
  weft_stream_free(c);
  weft_stream_server_close(srv);
  ASSERT_OK(weft_stream_server_wait_closed(srv, 5.0));
  ASSERT_EQ(1, served);
  weft_stream_server_free(srv);
  weft_tls_ctx_release(sopts.tls);
  weft_tls_ctx_release(copts.tls);
  return NULL;
}

TEST_TIMEOUT(stream_server_tls, 30);
TEST_IMPL(stream_server_tls) {
  int rc;

  make_cert();
  rc = weft_test_run(tls_server, NULL, NULL);
  drop_cert();
  return rc;
}
