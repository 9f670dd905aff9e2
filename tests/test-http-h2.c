/* HTTP/2 and connection reuse against nginx: the http2 option negotiates
 * h2 by ALPN and multiplexes concurrent requests over one connection;
 * without it (or on plain http) the client speaks HTTP/1.1 and keeps its
 * connections alive. nginx's access log names each request's connection. */
#include "test-http-util.h"

#define CONCURRENT 50

static http_peer ng;

static const char *at(const char *path) {
  static char buf[512];

  snprintf(buf, sizeof buf, "%s%s", ng.url, path);
  return buf;
}

/* The body is n bytes of NGINX_FILE_PATTERN. */
static int is_pattern(const void *data, size_t len, size_t n) {
  static const char pat[] = NGINX_FILE_PATTERN;
  const char *b = data;

  if (len != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (b[i] != pat[i % (sizeof pat - 1)])
      return 0;
  return 1;
}

static weft_http_session *session(int http2) {
  weft_http_session *s;

  ASSERT_OK(weft_http_session_new(
      &s, &(weft_http_session_opts){.http2 = http2,
                                    .ca_file = ng.certs.dir[0] ? http_peer_ca(&ng) : NULL}));
  return s;
}

static void done(weft_http_session *s) {
  ASSERT_OK(weft_http_session_close(s));
  weft_http_session_free(s);
}

/* GET path, check the body is size pattern bytes; returns the version. */
static int get_file(weft_http_session *s, const char *path, size_t size) {
  weft_http_response *r;
  const void *data;
  size_t len;
  int version;

  ASSERT_OK(weft_http_get(s, at(path), NULL, &r));
  ASSERT_EQ(200, weft_http_response_status(r));
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT(is_pattern(data, len, size));
  version = weft_http_response_version(r);
  weft_http_response_free(r);
  return version;
}

static int log_has(const char *word) {
  static char buf[1 << 20];

  return http_peer_read(&ng, "access.log", buf, sizeof buf) >= 0 && strstr(buf, word) != NULL;
}

/* Starts nginx with opts, runs fn(arg) as the main task, stops nginx. */
static int run(weft_task_fn fn, void *arg, const nginx_opts *opts) {
  nginx_start(&ng, opts);
  ASSERT_OK(weft_test_run(fn, arg, NULL));
  http_peer_stop(&ng);
  return 0;
}

/* ---- HTTP/2 ---- */

static void *h2_version(void *arg) {
  weft_http_session *s = session(1);
  weft_http_response *r;

  (void)arg;
  ASSERT_EQ(20, get_file(s, "/1k.bin", 1024));
  ASSERT_EQ(20, get_file(s, "/100k.bin", 100 * 1024));
  ASSERT_OK(weft_http_get(s, at("/missing"), NULL, &r));
  ASSERT_EQ(404, weft_http_response_status(r));
  ASSERT_EQ(20, weft_http_response_version(r));
  ASSERT_STR_EQ("Not Found", weft_http_response_reason(r));
  weft_http_response_free(r);
  done(s);
  ASSERT_EQ(3, nginx_requests_seen(&ng, 3));
  ASSERT(log_has(" 1 HTTP/2.0 \"GET /1k.bin HTTP/2.0\" 200\n"));
  ASSERT(log_has(" 2 HTTP/2.0 \"GET /100k.bin HTTP/2.0\" 200\n"));
  ASSERT_EQ(1, nginx_connections_seen(&ng));
  return NULL;
}

TEST_TIMEOUT(http_h2_version, 60);
TEST_IMPL(http_h2_version) {
  return run(h2_version, NULL, &(nginx_opts){.tls = 1, .http2 = 1});
}

static weft_http_session *shared;

static void *fetch_one(void *arg) {
  size_t size = (uintptr_t)arg % 2 ? 100 * 1024 : 1024;

  return (void *)(intptr_t)get_file(shared, size == 1024 ? "/1k.bin" : "/100k.bin", size);
}

static void *h2_multiplex(void *arg) {
  weft_task *tasks[CONCURRENT];
  void *results[CONCURRENT];

  (void)arg;
  shared = session(1);
  for (uintptr_t i = 0; i < CONCURRENT; i++)
    ASSERT_OK(weft_spawn(&tasks[i], fetch_one, (void *)i, NULL));
  ASSERT_OK(weft_gather(tasks, CONCURRENT, 0, results, NULL));
  for (int i = 0; i < CONCURRENT; i++) {
    ASSERT_EQ(20, (intptr_t)results[i]);
    weft_task_release(tasks[i]);
  }
  done(shared);
  ASSERT_EQ(CONCURRENT, nginx_requests_seen(&ng, CONCURRENT));
  ASSERT_EQ(1, nginx_connections_seen(&ng));
  return NULL;
}

TEST_TIMEOUT(http_h2_multiplex, 60);
TEST_IMPL(http_h2_multiplex) {
  return run(h2_multiplex, NULL, &(nginx_opts){.tls = 1, .http2 = 1});
}

/* ---- HTTP/1.1 ---- */

static void *h1_default(void *arg) {
  weft_http_session *s = session(0);

  (void)arg;
  ASSERT_EQ(11, get_file(s, "/1k.bin", 1024));
  ASSERT_EQ(11, get_file(s, "/100k.bin", 100 * 1024));
  done(s);
  ASSERT_EQ(2, nginx_requests_seen(&ng, 2));
  ASSERT(log_has(" 1 HTTP/1.1 \"GET /1k.bin HTTP/1.1\" 200\n"));
  ASSERT(!log_has("HTTP/2.0"));
  return NULL;
}

TEST_TIMEOUT(http_h2_off_by_default, 60);
TEST_IMPL(http_h2_off_by_default) {
  return run(h1_default, NULL, &(nginx_opts){.tls = 1, .http2 = 1});
}

/* http2 on a plain-http URL: HTTP/1.1 (h2 is offered by ALPN only) */
static void *h2_plain(void *arg) {
  weft_http_session *s = session(1);

  (void)arg;
  ASSERT_EQ(11, get_file(s, "/1k.bin", 1024));
  done(s);
  ASSERT_EQ(1, nginx_requests_seen(&ng, 1));
  ASSERT(log_has(" 1 HTTP/1.1 \"GET /1k.bin HTTP/1.1\" 200\n"));
  return NULL;
}

TEST_TIMEOUT(http_h2_plain_http_is_http11, 60);
TEST_IMPL(http_h2_plain_http_is_http11) {
  return run(h2_plain, NULL, NULL);
}

/* Sequential requests reuse one kept-alive connection. */
static void *keepalive(void *arg) {
  weft_http_session *s = session((int)(intptr_t)arg);
  char want[64];

  for (int i = 0; i < 10; i++)
    ASSERT_EQ(11, get_file(s, i % 2 ? "/100k.bin" : "/1k.bin", i % 2 ? 100 * 1024 : 1024));
  done(s);
  ASSERT_EQ(10, nginx_requests_seen(&ng, 10));
  ASSERT_EQ(1, nginx_connections_seen(&ng));
  snprintf(want, sizeof want, " 10 HTTP/1.1 \"GET /100k.bin HTTP/1.1\" 200\n");
  ASSERT(log_has(want));
  return NULL;
}

TEST_TIMEOUT(http_h2_http11_keepalive, 60);
TEST_IMPL(http_h2_http11_keepalive) {
  return run(keepalive, NULL, NULL);
}

/* The same over TLS, to an nginx without http2 while offering it. */
TEST_TIMEOUT(http_h2_http11_keepalive_tls, 60);
TEST_IMPL(http_h2_http11_keepalive_tls) {
  return run(keepalive, (void *)(intptr_t)1, &(nginx_opts){.tls = 1});
}
