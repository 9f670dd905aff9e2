/* TLS faults on real connections: garbage, peers that vanish or stall,
 * timeouts, cancellation, truncation, TLS inside TLS, backpressure. */
#include "test-tls-util.h"

static tls_certs certs;

static weft_tls_ctx *server_ctx(void) {
  weft_tls_ctx *ctx;

  ASSERT_OK(
      weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.server = 1,
                                                  .cert_file = tls_path(&certs, "server.pem"),
                                                  .key_file = tls_path(&certs, "server.key")}));
  return ctx;
}

static weft_tls_ctx *client_ctx(void) {
  weft_tls_ctx *ctx;

  ASSERT_OK(weft_tls_ctx_new(&ctx, &(weft_tls_ctx_opts){.ca_file = tls_path(&certs, "ca.pem")}));
  return ctx;
}

static int start(int port, weft_tls_ctx *ctx, double timeout, tls_app *a, weft_transport **tr) {
  return weft_start_tls(tls_tcp(port), &tls_app_proto, a, ctx,
                        &(weft_tls_opts){.server_hostname = "localhost",
                                         .handshake_timeout = timeout,
                                         .shutdown_timeout = 5},
                        tr);
}

static void *garbage(void *arg) {
  static tls_srv tls, raw;
  static tls_app a;
  weft_tls_ctx *cctx = client_ctx();
  weft_transport *tr = NULL, *junk;

  (void)arg;
  /* a TLS server meets a client that sends HTTP */
  tls.ctx = server_ctx();
  tls_srv_start(&tls);
  junk = weft_transport_retain(tls_tcp(tls.port)); /* the server closes it */
  ASSERT_OK(weft_transport_write(junk, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27));
  ASSERT(tls_wait(&tls.failed, 10));
  ASSERT_EQ(WEFT_TLS_PROTOCOL_ERROR, tls.fail_code);
  ASSERT(strstr(tls.fail_msg, "does not speak TLS"));
  ASSERT_EQ(0, tls.app.made);
  weft_transport_close(junk);
  weft_transport_release(junk);
  /* a TLS client meets a server that answers in plain text */
  raw.raw_reply = "HTTP/1.0 400 Bad Request\r\n\r\n";
  tls_srv_start(&raw);
  ASSERT_EQ(WEFT_TLS_PROTOCOL_ERROR, start(raw.port, cctx, 0, &a, &tr));
  ASSERT(strstr(weft_tls_last_error(), "does not speak TLS"));
  ASSERT_NULL(tr);
  ASSERT_EQ(0, a.made);
  tls_srv_stop(&raw);
  tls_srv_stop(&tls);
  weft_tls_ctx_release(tls.ctx);
  weft_tls_ctx_release(cctx);
  return NULL;
}

TEST_TIMEOUT(tls_faults_garbage, 30);
TEST_IMPL(tls_faults_garbage) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(garbage, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void *vanish(void *arg) {
  static tls_srv tls, raw;
  static tls_app a;
  weft_tls_ctx *cctx = client_ctx();
  weft_transport *tr = NULL, *quitter;

  (void)arg;
  /* the server hangs up on the ClientHello */
  raw.raw_close_on_data = 1;
  tls_srv_start(&raw);
  ASSERT_EQ(WEFT_TLS_HANDSHAKE_EOF, start(raw.port, cctx, 0, &a, &tr));
  ASSERT(strstr(weft_tls_last_error(), "during the TLS handshake"));
  /* a client connects and leaves without a word */
  tls.ctx = server_ctx();
  tls_srv_start(&tls);
  quitter = tls_tcp(tls.port);
  ASSERT(tls_wait(&tls.accepted, 10));
  weft_transport_close(quitter);
  ASSERT(tls_wait(&tls.failed, 10));
  ASSERT_EQ(WEFT_TLS_HANDSHAKE_EOF, tls.fail_code);
  tls_srv_stop(&raw);
  tls_srv_stop(&tls);
  weft_tls_ctx_release(tls.ctx);
  weft_tls_ctx_release(cctx);
  return NULL;
}

TEST_TIMEOUT(tls_faults_vanish, 30);
TEST_IMPL(tls_faults_vanish) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(vanish, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void *timeouts(void *arg) {
  static tls_srv tls, silent;
  static tls_app a;
  weft_tls_ctx *cctx = client_ctx();
  weft_transport *tr = NULL, *mute;
  weft_scope scope;

  (void)arg;
  tls_srv_start(&silent); /* accepts and says nothing */
  ASSERT_EQ(-ETIMEDOUT, start(silent.port, cctx, 0.3, &a, &tr));
  ASSERT(strstr(weft_tls_last_error(), "timed out"));
  /* the task's own timeout scope applies too */
  ASSERT_OK(weft_timeout_enter(&scope, 0.3));
  ASSERT_EQ(-ETIMEDOUT, start(silent.port, cctx, 0, &a, &tr));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&scope));
  ASSERT(tls_wait(&silent.accepted, 1));
  /* a server whose client never speaks */
  tls.ctx = server_ctx();
  tls.hs_timeout = 0.3;
  tls_srv_start(&tls);
  mute = weft_transport_retain(tls_tcp(tls.port)); /* the server closes it */
  ASSERT(tls_wait(&tls.failed, 10));
  ASSERT_EQ(-ETIMEDOUT, tls.fail_code);
  weft_transport_close(mute);
  weft_transport_release(mute);
  tls_srv_stop(&silent);
  tls_srv_stop(&tls);
  weft_tls_ctx_release(tls.ctx);
  weft_tls_ctx_release(cctx);
  return NULL;
}

TEST_TIMEOUT(tls_faults_handshake_timeout, 30);
TEST_IMPL(tls_faults_handshake_timeout) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(timeouts, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

typedef struct hs_job {
  int port;
  weft_tls_ctx *ctx;
  tls_app app;
} hs_job;

static void *handshake_task(void *arg) {
  hs_job *j = arg;
  weft_transport *tr = NULL;
  int rc = start(j->port, j->ctx, 0, &j->app, &tr);

  return rc ? weft_fail(rc, "%s", weft_tls_last_error()) : NULL;
}

static void *cancel(void *arg) {
  static tls_srv silent;
  static hs_job job;
  weft_task *t;

  (void)arg;
  tls_srv_start(&silent);
  job.port = silent.port;
  job.ctx = client_ctx();
  ASSERT_OK(weft_spawn(&t, handshake_task, &job, NULL));
  ASSERT(tls_wait(&silent.accepted, 10));
  ASSERT_OK(weft_sleep(0.1));
  ASSERT_EQ(1, weft_task_cancel(t));
  ASSERT_EQ(-ECANCELED, weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_EQ(0, job.app.made);
  /* the connection was closed: the server sees it go */
  for (int i = 0; i < 100 && silent.lower; i++)
    weft_sleep(0.01);
  ASSERT_NULL(silent.lower);
  tls_srv_stop(&silent);
  weft_tls_ctx_release(job.ctx);
  return NULL;
}

TEST_TIMEOUT(tls_faults_cancel_handshake, 30);
TEST_IMPL(tls_faults_cancel_handshake) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(cancel, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void *truncation(void *arg) {
  static tls_srv s;
  static tls_app a, b;
  weft_tls_ctx *cctx = client_ctx();
  weft_transport *tr;

  (void)arg;
  s.ctx = server_ctx();
  tls_srv_start(&s);
  /* clean: the server closes with close_notify */
  ASSERT_OK(start(s.port, cctx, 0, &a, &tr));
  ASSERT(tls_wait(&s.app.made, 10));
  ASSERT_OK(weft_transport_write(s.app.tr, "bye", 3));
  weft_transport_close(s.app.tr);
  ASSERT(tls_wait(&a.lost, 10));
  ASSERT_STR_EQ("bye", a.buf);
  ASSERT_EQ(1, a.eof);
  ASSERT_EQ(0, a.lost_err);
  ASSERT(tls_wait(&s.app.lost, 10));
  ASSERT_EQ(0, s.app.lost_err);
  /* truncated: the server's TCP connection ends without close_notify */
  memset(&s.app, 0, sizeof s.app);
  ASSERT_OK(start(s.port, cctx, 0, &b, &tr));
  ASSERT(tls_wait(&s.app.made, 10));
  ASSERT_OK(weft_transport_write(s.app.tr, "cut", 3));
  ASSERT(tls_wait_text(&b, "cut", 10));
  weft_transport_close(s.lower); /* below TLS */
  ASSERT(tls_wait(&b.lost, 10));
  ASSERT_EQ(0, b.eof);
  ASSERT_EQ(WEFT_TLS_TRUNCATED, b.lost_err);
  ASSERT(strstr(b.err, "without close_notify"));
  tls_srv_stop(&s);
  weft_tls_ctx_release(s.ctx);
  weft_tls_ctx_release(cctx);
  return NULL;
}

TEST_TIMEOUT(tls_faults_truncation_vs_clean_close, 30);
TEST_IMPL(tls_faults_truncation_vs_clean_close) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(truncation, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

/* The same truncation seen through a stream: read_all does not pass the
 * cut stream off as whole. It says WEFT_TLS_TRUNCATED and keeps the bytes,
 * which read returns before the error. */
static void *truncation_read_all(void *arg) {
  static tls_srv s;
  weft_tls_ctx *cctx = client_ctx();
  weft_connect_opts o = WEFT_CONNECT_OPTS_INIT;
  weft_stream *c;
  char buf[16], *all = NULL;
  size_t got, len = 0;

  (void)arg;
  s.ctx = server_ctx();
  tls_srv_start(&s);
  o.tls = cctx;
  o.server_hostname = "localhost";
  ASSERT_OK(weft_open_connection("127.0.0.1", s.port, &o, &c));
  ASSERT(tls_wait(&s.app.made, 10));
  ASSERT_OK(weft_transport_write(s.app.tr, "cut", 3));
  while (weft_stream_buffered(c) < 3)
    ASSERT_OK(weft_sleep(0.01));
  weft_transport_close(s.lower); /* below TLS: no close_notify */
  ASSERT_EQ(WEFT_TLS_TRUNCATED, weft_stream_read_all(c, &all, &len));
  ASSERT_NULL(all);
  ASSERT_OK(weft_stream_read(c, buf, sizeof buf, &got));
  ASSERT_EQ(3u, got);
  ASSERT_OK(memcmp(buf, "cut", 3));
  ASSERT_EQ(WEFT_TLS_TRUNCATED, weft_stream_read(c, buf, sizeof buf, &got));
  weft_stream_free(c);
  tls_srv_stop(&s);
  weft_tls_ctx_release(s.ctx);
  weft_tls_ctx_release(cctx);
  return NULL;
}

TEST_TIMEOUT(tls_faults_truncation_read_all, 30);
TEST_IMPL(tls_faults_truncation_read_all) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(truncation_read_all, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void *nested(void *arg) {
  static tls_srv s;
  static tls_app outer, inner;
  weft_tls_ctx *cctx = client_ctx();
  weft_transport *otr, *itr;
  weft_tls_info info;

  (void)arg;
  s.ctx = server_ctx();
  s.nested = 1;
  s.inner.echo = 1;
  tls_srv_start(&s);
  ASSERT_OK(start(s.port, cctx, 0, &outer, &otr));
  ASSERT_OK(weft_start_tls(otr, &tls_app_proto, &inner, cctx,
                           &(weft_tls_opts){.server_hostname = "localhost"}, &itr));
  ASSERT_OK(weft_tls_info_get(itr, &info));
  ASSERT_STR_EQ("TLSv1.3", info.version);
  ASSERT_OK(weft_transport_write(itr, "nested", 6));
  ASSERT(tls_wait_text(&inner, "nested", 10));
  ASSERT_STR_EQ("nested", s.inner.buf);
  ASSERT_EQ(0, outer.len); /* the outer protocol was replaced */
  weft_transport_close(itr);
  ASSERT(tls_wait(&inner.lost, 10));
  ASSERT_EQ(0, inner.lost_err);
  ASSERT(tls_wait(&s.inner.lost, 10));
  tls_srv_stop(&s);
  weft_tls_ctx_release(s.ctx);
  weft_tls_ctx_release(cctx);
  return NULL;
}

TEST_TIMEOUT(tls_faults_tls_inside_tls, 30);
TEST_IMPL(tls_faults_tls_inside_tls) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(nested, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}

static void *backpressure(void *arg) {
  static tls_srv s;
  static tls_app a;
  static char chunk[65536];
  weft_tls_ctx *cctx = client_ctx();
  weft_transport *tr;
  size_t sent = 0;

  (void)arg;
  s.ctx = server_ctx();
  s.app.pause_reading = 1; /* a server that does not read */
  tls_srv_start(&s);
  ASSERT_OK(start(s.port, cctx, 0, &a, &tr));
  ASSERT(tls_wait(&s.app.made, 10));
  while (!a.paused_writing && sent < (256u << 20)) {
    ASSERT_OK(weft_transport_write(tr, chunk, sizeof chunk));
    sent += sizeof chunk;
    weft_sleep(0.001);
  }
  ASSERT_EQ(1, a.paused_writing);
  ASSERT_GT(weft_transport_get_write_buffer_size(tr), WEFT_WRITE_HIGH_DEFAULT);
  ASSERT_OK(weft_transport_resume_reading(s.app.tr));
  ASSERT(tls_wait(&a.resumed_writing, 20));
  ASSERT_LE(weft_transport_get_write_buffer_size(tr), WEFT_WRITE_LOW_DEFAULT);
  weft_transport_close(tr);
  ASSERT(tls_wait(&a.lost, 20));
  tls_srv_stop(&s);
  weft_tls_ctx_release(s.ctx);
  weft_tls_ctx_release(cctx);
  return NULL;
}

TEST_TIMEOUT(tls_faults_backpressure, 60);
TEST_IMPL(tls_faults_backpressure) {
  tls_certs_make(&certs);
  ASSERT_OK(weft_test_run(backpressure, NULL, NULL));
  tls_certs_free(&certs);
  return 0;
}
