/* HTTP client sessions against httpbin: keep-alive and connection reuse,
 * the connector's limits, redirects and their history, cookies (the jar's
 * rules, per-request and initial cookies, save and load), Basic auth,
 * raise_for_status, base URLs, default headers, static resolve overrides,
 * a thousand concurrent requests, and what a session keeps for reuse. */
#include <jansson.h>
#include <unistd.h>

#include "http/engine.h"
#include "test-http-util.h"

static http_peer peer;

/* Runs fn as the main task with httpbin (plain or TLS) started for it. */
static int with_httpbin(weft_task_fn fn, int tls) {
  int rc;

  httpbin_start(&peer, tls);
  rc = weft_test_run(fn, NULL, NULL);
  http_peer_stop(&peer);
  return rc;
}

/* "http://localhost:PORT<path>": the peer under a host name. */
static const char *by_name(const char *path) {
  static char bufs[4][256];
  static int next;
  char *b = bufs[next++ % 4];

  snprintf(b, 256, "http://localhost:%d%s", peer.port, path);
  return b;
}

/* "<peer url><path>". */
static const char *url_of(const char *path) {
  static char bufs[4][256];
  static int next;
  char *b = bufs[next++ % 4];

  snprintf(b, 256, "%s%s", peer.url, path);
  return b;
}

/* A session on o (NULL: defaults) with the peer's URL as base_url unless o
 * has one, a short total timeout and the test CA for a TLS peer. */
static weft_http_session *session_open(const weft_http_session_opts *o) {
  weft_http_session_opts opts = o ? *o : (weft_http_session_opts){0};
  weft_http_session *s;

  if (!opts.base_url)
    opts.base_url = peer.url;
  if (opts.timeout.total == 0)
    opts.timeout.total = 10;
  if (peer.certs.dir[0])
    opts.ca_file = http_peer_ca(&peer);
  ASSERT_OK(weft_http_session_new(&s, &opts));
  return s;
}

/* The header httpbin saw on GET /headers (NULL: not sent). */
static char *header_sent(weft_http_session *s, const char *url, const weft_http_request_opts *o,
                         const char *name) {
  json_t *j = http_call_json(s, "GET", url, o);
  const char *v = http_json_field(j, "headers", name);
  char *copy = v ? strdup(v) : NULL;

  json_decref(j);
  return copy;
}

static void header_sent_is(weft_http_session *s, const char *url, const weft_http_request_opts *o,
                           const char *name, const char *want) {
  char *v = header_sent(s, url, o, name);

  if (want)
    ASSERT_STR_EQ(v, want);
  else
    ASSERT_NULL(v);
  free(v);
}

static void fails_with(weft_http_session *s, const char *method, const char *url,
                       const weft_http_request_opts *o, int code) {
  weft_http_response *r = (weft_http_response *)&r;
  int rc = weft_http_request(s, method, url, o, &r);

  if (rc != code)
    fprintf(stderr, "%s %.80s: %d (%s), want %d\n", method, url, rc, weft_http_last_error(), code);
  ASSERT_EQ(rc, code);
  ASSERT_NULL(r);
  ASSERT(weft_http_last_error()[0] != '\0');
}

/* The serial of the connection GET /conn-id went over. */
static int conn_id(weft_http_session *s) {
  weft_http_response *r = http_send_ok(s, "GET", "/conn-id", NULL);
  const char *text;
  int id;

  ASSERT_EQ(weft_http_response_status(r), 200);
  ASSERT_OK(weft_http_response_text(r, NULL, 0, &text, NULL));
  id = atoi(text);
  weft_http_response_free(r);
  ASSERT_GT(id, 0);
  return id;
}

/* ---- keep-alive ------------------------------------------------------------ */

static void *keep_alive_main(void *arg) {
  weft_http_session *s = session_open(NULL);
  weft_http_session *fc = session_open(&(weft_http_session_opts){.force_close = 1});
  int first = conn_id(s), ids[5];

  (void)arg;
  for (int i = 0; i < 4; i++)
    ASSERT_EQ(conn_id(s), first);
  /* force_close: a connection per request */
  for (int i = 0; i < 5; i++) {
    ids[i] = conn_id(fc);
    ASSERT_NE(ids[i], first);
    for (int k = 0; k < i; k++)
      ASSERT_NE(ids[i], ids[k]);
  }
  http_session_done(fc);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_session_keep_alive) {
  return with_httpbin(keep_alive_main, 0);
}
TEST_TIMEOUT(http_session_keep_alive, 60);

TEST_IMPL(http_session_keep_alive_tls) {
  return with_httpbin(keep_alive_main, 1);
}
TEST_TIMEOUT(http_session_keep_alive_tls, 60);

/* A body not read to its end closes its connection; one read to its end
 * puts it back, and the next request reuses it. */
static void *unread_body_main(void *arg) {
  weft_http_session *s = session_open(NULL);
  weft_http_response *r;
  const char *line;
  const void *data;
  char buf[100];
  size_t len;
  int a = conn_id(s), b, c;

  (void)arg;
  r = http_send_ok(s, "GET", "/stream/50", NULL);
  ASSERT_OK(weft_http_response_read_line(r, 0, &line, &len));
  ASSERT(len > 0 && line[len - 1] == '\n');
  weft_http_response_release(r);
  weft_http_response_free(r);
  /* a body that had arrived whole may leave its connection pooled */
  b = conn_id(s);
  ASSERT_GE(b, a);
  /* one still arriving is closed, released part-read or freed unread */
  r = http_send_ok(s, "GET", "/bytes/300000", NULL);
  ASSERT_OK(weft_http_response_read_some(r, buf, sizeof buf, &len));
  ASSERT_GT(len, 0u);
  weft_http_response_release(r);
  weft_http_response_free(r);
  c = conn_id(s);
  ASSERT_NE(c, b);
  r = http_send_ok(s, "GET", "/bytes/300000", NULL);
  weft_http_response_free(r);
  b = c;
  c = conn_id(s);
  ASSERT_NE(c, b);
  /* read to the end: the connection is kept */
  r = http_send_ok(s, "GET", "/bytes/300000", NULL);
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_EQ(len, 300000u);
  weft_http_response_free(r);
  ASSERT_EQ(conn_id(s), c);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_session_unread_body) {
  return with_httpbin(unread_body_main, 0);
}
TEST_TIMEOUT(http_session_unread_body, 60);

/* ---- connector limits ------------------------------------------------------ */

typedef struct fetch {
  weft_http_session *s;
  const char *url;
  weft_sem *sem; /* NULL: none */
  int i;         /* echoed back as ?i= */
  int conn;      /* the connection serial the server answered on */
  int ok;
} fetch;

/* GET url&i=N; checks the status and the echoed i. */
static void *fetch_task(void *arg) {
  fetch *f = arg;
  char num[16];
  weft_http_pair q = {"i", num};
  weft_http_response *r;
  json_t *j = NULL;
  int rc;

  snprintf(num, sizeof num, "%d", f->i);
  if (f->sem && weft_sem_acquire(f->sem) < 0)
    return NULL;
  rc = weft_http_get(f->s, f->url, &(weft_http_request_opts){.params = &q, .n_params = 1}, &r);
  if (rc != 0)
    fprintf(stderr, "GET %s: %s\n", f->url, weft_http_last_error());
  if (rc == 0 && weft_http_response_status(r) == 200 && weft_http_response_json(r, NULL, &j) == 0)
    f->ok = http_json_field(j, "args", "i") && strcmp(http_json_field(j, "args", "i"), num) == 0;
  if (j)
    f->conn = (int)json_integer_value(json_object_get(j, "conn"));
  json_decref(j);
  if (rc == 0)
    weft_http_response_free(r);
  if (f->sem)
    weft_sem_release(f->sem);
  return NULL;
}

/* The server's high-water marks since the last call: requests held in
 * /concurrency/hold at once and connections open meanwhile. */
static void load_seen(weft_http_session *s, int *max_in_flight, int *max_connections) {
  json_t *j = http_call_json(s, "GET", url_of("/concurrency?reset=1"), NULL);

  *max_in_flight = (int)json_integer_value(json_object_get(j, "max_in_flight"));
  *max_connections = (int)json_integer_value(json_object_get(j, "max_connections"));
  ASSERT_EQ(json_integer_value(json_object_get(j, "in_flight")), 0);
  json_decref(j);
}

/*
 * n requests at once on a session made with o: f[i] of url (through sem
 * when not NULL), or of f[i].url when set. Every one must succeed; the
 * server's high-water marks are returned.
 */
static void fetch_all(const weft_http_session_opts *o, const char *url, weft_sem *sem, fetch *f,
                      size_t n, int *in_flight, int *conns) {
  weft_http_session *s = session_open(o);
  weft_task **t = calloc(n, sizeof *t);

  ASSERT_NOT_NULL(t);
  load_seen(s, in_flight, conns);
  for (size_t i = 0; i < n; i++) {
    f[i] = (fetch){.s = s, .url = f[i].url ? f[i].url : url, .sem = sem, .i = (int)i};
    ASSERT_OK(weft_spawn(&t[i], fetch_task, &f[i], NULL));
  }
  ASSERT_OK(weft_gather(t, n, 0, NULL, NULL));
  for (size_t i = 0; i < n; i++) {
    ASSERT_EQ(f[i].ok, 1);
    weft_task_release(t[i]);
  }
  free(t);
  load_seen(s, in_flight, conns);
  http_session_done(s);
}

static void *limit_one_main(void *arg) {
  fetch f[4] = {{0}};
  int in_flight, conns;

  (void)arg;
  /* each request waits up to 0.2 s for a second one that never comes */
  fetch_all(&(weft_http_session_opts){.limit = 1}, "/concurrency/hold?until=2&wait=0.2", NULL, f, 4,
            &in_flight, &conns);
  ASSERT_EQ(in_flight, 1);
  ASSERT_EQ(conns, 1);
  for (int i = 1; i < 4; i++)
    ASSERT_EQ(f[i].conn, f[0].conn);
  return NULL;
}

TEST_IMPL(http_session_limit_one) {
  return with_httpbin(limit_one_main, 0);
}
TEST_TIMEOUT(http_session_limit_one, 60);

static void *limit_per_host_main(void *arg) {
  fetch f[6] = {{0}};
  int in_flight, conns;

  (void)arg;
  /* pairs meet at once; no third request is let through meanwhile */
  fetch_all(&(weft_http_session_opts){.limit_per_host = 2}, "/concurrency/hold?until=3&wait=0.3",
            NULL, f, 6, &in_flight, &conns);
  ASSERT_EQ(in_flight, 2);
  ASSERT_LE(conns, 2);
  /* the limit is per host: one to each of two names meet */
  memset(f, 0, sizeof f);
  f[0].url = url_of("/concurrency/hold?until=2&wait=2");
  f[1].url = by_name("/concurrency/hold?until=2&wait=2");
  fetch_all(&(weft_http_session_opts){.limit_per_host = 1}, NULL, NULL, f, 2, &in_flight, &conns);
  ASSERT_EQ(in_flight, 2);
  ASSERT_NE(f[0].conn, f[1].conn);
  return NULL;
}

TEST_IMPL(http_session_limit_per_host) {
  return with_httpbin(limit_per_host_main, 0);
}
TEST_TIMEOUT(http_session_limit_per_host, 60);

/* The default limit (100) and WEFT_HTTP_UNLIMITED let 4 requests meet. */
static void *limit_none_main(void *arg) {
  static const int limits[] = {0, WEFT_HTTP_UNLIMITED};
  int in_flight, conns;

  (void)arg;
  for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++) {
    fetch f[4] = {{0}};

    fetch_all(&(weft_http_session_opts){.limit = limits[k]}, "/concurrency/hold?until=4&wait=2",
              NULL, f, 4, &in_flight, &conns);
    ASSERT_EQ(in_flight, 4);
    ASSERT_EQ(conns, 4);
    for (int i = 1; i < 4; i++)
      for (int m = 0; m < i; m++)
        ASSERT_NE(f[i].conn, f[m].conn);
  }
  return NULL;
}

TEST_IMPL(http_session_limit_none) {
  return with_httpbin(limit_none_main, 0);
}
TEST_TIMEOUT(http_session_limit_none, 60);

/* ---- a thousand tasks -------------------------------------------------------- */

/* 1000 tasks, at most 10 requests at once: through a semaphore (arg not
 * NULL) or by the connector's limit. */
static void *many_main(void *arg) {
  weft_sem sem = WEFT_SEM_INIT(10);
  weft_http_session_opts o = {.limit = arg ? WEFT_HTTP_UNLIMITED : 10};
  fetch *f = calloc(1000, sizeof *f);
  int in_flight, conns;

  ASSERT_NOT_NULL(f);
  fetch_all(&o, "/concurrency/hold", arg ? &sem : NULL, f, 1000, &in_flight, &conns);
  ASSERT_GE(in_flight, 1);
  ASSERT_LE(in_flight, 10);
  ASSERT_LE(conns, 10);
  ASSERT_EQ(weft_sem_value(&sem), 10);
  free(f);
  return NULL;
}

TEST_IMPL(http_session_many_semaphore) {
  int rc;

  httpbin_start(&peer, 0);
  rc = weft_test_run(many_main, &peer, NULL);
  http_peer_stop(&peer);
  return rc;
}
TEST_TIMEOUT(http_session_many_semaphore, 120);

TEST_IMPL(http_session_many_limit) {
  return with_httpbin(many_main, 0);
}
TEST_TIMEOUT(http_session_many_limit, 120);

/* ---- what a session keeps ------------------------------------------------------ */

#define KEEP_BODY 40000

/* GET /bytes/KEEP_BODY and read the body whole (a body buffer of its own). */
static void *fetch_body(void *arg) {
  weft_http_session *s = arg;
  weft_http_response *r;
  const void *data;
  size_t len;
  char url[64];

  snprintf(url, sizeof url, "/bytes/%d", KEEP_BODY);
  ASSERT_OK(weft_http_get(s, url, NULL, &r));
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_EQ(KEEP_BODY, len);
  weft_http_response_free(r);
  return NULL;
}

static void fetch_bodies(weft_http_session *s, size_t n) {
  weft_task **t = calloc(n, sizeof *t);

  ASSERT_NOT_NULL(t);
  for (size_t i = 0; i < n; i++)
    ASSERT_OK(weft_spawn(&t[i], fetch_body, s, NULL));
  ASSERT_OK(weft_gather(t, n, 0, NULL, NULL));
  for (size_t i = 0; i < n; i++)
    weft_task_release(t[i]);
  free(t);
}

/* A session keeps as many finished transfers and body buffers as its
 * connection pool holds (at least 64), and hands them to later requests. */
static void *keeps_main(void *arg) {
  static const int limits[] = {80, 10};
  static const size_t keep[] = {80, 64};

  (void)arg;
  for (size_t k = 0; k < 2; k++) {
    weft_http_session *s = session_open(&(weft_http_session_opts){.limit = limits[k]});

    fetch_bodies(s, 150); /* 150 transfers at once, limit or not */
    ASSERT_EQ(keep[k], s->keep);
    ASSERT_EQ(keep[k], s->n_idle_xfers);
    ASSERT_LE(s->n_spare_bodies, keep[k]);
    ASSERT_GE(s->n_idle_xfers, 1);
    ASSERT_GE(s->n_spare_bodies, 1);
    fetch_bodies(s, 150); /* the kept ones serve the next requests */
    ASSERT_LE(s->n_idle_xfers, keep[k]);
    ASSERT_LE(s->n_spare_bodies, keep[k]);
    http_session_done(s);
  }
  return NULL;
}

TEST_IMPL(http_session_keeps_transfers) {
  return with_httpbin(keeps_main, 0);
}
TEST_TIMEOUT(http_session_keeps_transfers, 120);

/* ---- redirects ---------------------------------------------------------------- */

static void hop_is(const weft_http_response *r, size_t i, int status, const char *url,
                   const char *location) {
  const weft_http_headers *h;
  const char *u;
  int st;

  ASSERT_OK(weft_http_response_history(r, i, &st, &u, &h));
  ASSERT_EQ(st, status);
  ASSERT_STR_EQ(u, url);
  ASSERT_STR_EQ(weft_http_headers_get(h, "Location"), location);
}

static void *redirect_history_main(void *arg) {
  weft_http_session *s = session_open(NULL);
  weft_http_response *r = http_send_ok(s, "GET", "/redirect/3", NULL);
  json_t *j;
  char abs[256];

  (void)arg;
  ASSERT_EQ(weft_http_response_status(r), 200);
  ASSERT_STR_EQ(weft_http_response_url(r), url_of("/get"));
  ASSERT_EQ(weft_http_response_history_count(r), 3u);
  hop_is(r, 0, 302, url_of("/redirect/3"), "/relative-redirect/2");
  hop_is(r, 1, 302, url_of("/relative-redirect/2"), "/relative-redirect/1");
  hop_is(r, 2, 302, url_of("/relative-redirect/1"), "/get");
  ASSERT_EQ(weft_http_response_history(r, 3, NULL, NULL, NULL), -ERANGE);
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  ASSERT_STR_EQ(http_json_field(j, NULL, "url"), url_of("/get"));
  json_decref(j);
  weft_http_response_free(r);
  /* absolute Location headers */
  r = http_send_ok(s, "GET", "/absolute-redirect/2", NULL);
  ASSERT_EQ(weft_http_response_history_count(r), 2u);
  snprintf(abs, sizeof abs, "%s", url_of("/absolute-redirect/1"));
  hop_is(r, 0, 302, url_of("/absolute-redirect/2"), abs);
  hop_is(r, 1, 302, abs, url_of("/get"));
  ASSERT_STR_EQ(weft_http_response_url(r), url_of("/get"));
  weft_http_response_free(r);
  /* a relative Location without a leading slash */
  r = http_send_ok(s, "GET", "/redirect-to?url=../anything/rel", NULL);
  ASSERT_EQ(weft_http_response_history_count(r), 1u);
  ASSERT_STR_EQ(weft_http_response_url(r), url_of("/anything/rel"));
  weft_http_response_free(r);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_session_redirect_history) {
  return with_httpbin(redirect_history_main, 0);
}
TEST_TIMEOUT(http_session_redirect_history, 60);

/* The method and body /anything saw after a redirect with status code. */
static void redirected(weft_http_session *s, const char *method, const char *code,
                       const weft_http_request_opts *o, const char *want_method,
                       const char *want_data) {
  weft_http_pair q[] = {{"url", "/anything/after"}, {"status_code", code}};
  weft_http_request_opts ro = *o;
  weft_http_response *r;
  json_t *j;

  ro.params = q;
  ro.n_params = 2;
  r = http_send_ok(s, method, "/redirect-to", &ro);
  ASSERT_EQ(weft_http_response_status(r), 200);
  ASSERT_EQ(weft_http_response_history_count(r), 1u);
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  ASSERT_STR_EQ(http_json_field(j, NULL, "method"), want_method);
  ASSERT_STR_EQ(http_json_field(j, NULL, "data"), want_data);
  if (!*want_data)
    ASSERT_NULL(http_json_field(j, "headers", "Content-Type"));
  json_decref(j);
  weft_http_response_free(r);
}

static void *redirect_methods_main(void *arg) {
  weft_http_session *s = session_open(NULL);
  weft_http_request_opts data = {.data = "hello", .data_len = (size_t)-1};
  weft_http_request_opts js = {.json = "{\"a\": 1}"};
  json_t *j;

  (void)arg;
  redirected(s, "POST", "303", &data, "GET", "");
  redirected(s, "PUT", "303", &data, "GET", "");
  redirected(s, "POST", "302", &data, "GET", "");
  redirected(s, "POST", "301", &data, "GET", "");
  redirected(s, "PUT", "302", &data, "PUT", "hello");
  redirected(s, "POST", "307", &data, "POST", "hello");
  redirected(s, "PATCH", "307", &data, "PATCH", "hello");
  redirected(s, "PUT", "308", &js, "PUT", "{\"a\": 1}");
  /* the 307's JSON body keeps its type */
  j = http_call_json(s, "POST", "/redirect-to?url=/anything&status_code=307",
                     &(weft_http_request_opts){.json = "[1]"});
  ASSERT_STR_EQ(http_json_field(j, "headers", "Content-Type"), "application/json");
  ASSERT_EQ(json_integer_value(json_array_get(json_object_get(j, "json"), 0)), 1);
  json_decref(j);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_session_redirect_methods) {
  return with_httpbin(redirect_methods_main, 0);
}
TEST_TIMEOUT(http_session_redirect_methods, 60);

static void *redirect_limits_main(void *arg) {
  weft_http_session *s = session_open(NULL);
  weft_http_session *s2 = session_open(&(weft_http_session_opts){.max_redirects = 2});
  weft_http_request_opts two = {.max_redirects = 2};
  weft_http_response *r;

  (void)arg;
  /* allow_redirects=False: the 302 itself */
  r = http_send_ok(s, "GET", "/redirect/1", &(weft_http_request_opts){.no_redirects = 1});
  ASSERT_EQ(weft_http_response_status(r), 302);
  ASSERT_STR_EQ(weft_http_response_header(r, "Location"), "/get");
  ASSERT_STR_EQ(weft_http_response_url(r), url_of("/redirect/1"));
  ASSERT_EQ(weft_http_response_history_count(r), 0u);
  weft_http_response_free(r);
  /* max_redirects, per request and per session */
  fails_with(s, "GET", "/redirect/5", &two, WEFT_HTTP_EREDIRECTS);
  ASSERT(strstr(weft_http_last_error(), "too many redirects") != NULL);
  ASSERT(strstr(weft_http_last_error(), "/relative-redirect/2") != NULL);
  fails_with(s2, "GET", "/redirect/3", NULL, WEFT_HTTP_EREDIRECTS);
  r = http_send_ok(s2, "GET", "/redirect/2", NULL);
  ASSERT_EQ(weft_http_response_status(r), 200);
  ASSERT_EQ(weft_http_response_history_count(r), 2u);
  weft_http_response_free(r);
  /* the default is 10 */
  fails_with(s, "GET", "/redirect/11", NULL, WEFT_HTTP_EREDIRECTS);
  r = http_send_ok(s, "GET", "/redirect/10", NULL);
  ASSERT_EQ(weft_http_response_history_count(r), 10u);
  weft_http_response_free(r);
  /* the connection survives the drained redirect bodies */
  ASSERT_EQ(conn_id(s), conn_id(s));
  http_session_done(s2);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_session_redirect_limits) {
  return with_httpbin(redirect_limits_main, 0);
}
TEST_TIMEOUT(http_session_redirect_limits, 60);

static int once_source(void *arg, void *buf, size_t cap, size_t *len) {
  int *sent = arg;

  *len = *sent || cap < 2 ? 0 : 2;
  memcpy(buf, "hi", *len);
  *sent = 1;
  return 0;
}

/* Locations without a scheme or with another scheme; bodies that cannot
 * be sent twice; HEAD keeps its method. */
static void *redirect_edges_main(void *arg) {
  weft_http_session *s = session_open(NULL);
  weft_http_response *r;
  int sent = 0;
  char url[300];

  (void)arg;
  snprintf(url, sizeof url, "/redirect-to?url=//localhost:%d/anything/pr", peer.port);
  r = http_send_ok(s, "GET", url, NULL);
  ASSERT_EQ(weft_http_response_status(r), 200);
  ASSERT_STR_EQ(weft_http_response_url(r), by_name("/anything/pr"));
  weft_http_response_free(r);
  fails_with(s, "GET", "/redirect-to?url=ftp://127.0.0.1/x", NULL, WEFT_HTTP_ESCHEME);
  /* a streamed body is not sent again on a 307 ... */
  fails_with(s, "POST", "/redirect-to?url=/anything&status_code=307",
             &(weft_http_request_opts){.source = once_source, .source_arg = &sent}, -ESPIPE);
  /* ... but on a 303 it is not needed */
  sent = 0;
  r = http_send_ok(s, "POST", "/redirect-to?url=/anything&status_code=303",
                   &(weft_http_request_opts){.source = once_source, .source_arg = &sent});
  ASSERT_EQ(weft_http_response_status(r), 200);
  weft_http_response_free(r);
  r = http_send_ok(s, "HEAD", "/redirect-to?url=/anything&status_code=303", NULL);
  ASSERT_EQ(weft_http_response_status(r), 200);
  ASSERT_EQ(weft_http_response_history_count(r), 1u);
  ASSERT_STR_EQ(weft_http_response_url(r), url_of("/anything"));
  weft_http_response_free(r);
  /* a 3xx without a Location comes back as it is */
  r = http_send_ok(s, "GET", "/status/304", NULL);
  ASSERT_EQ(weft_http_response_status(r), 304);
  ASSERT_EQ(weft_http_response_history_count(r), 0u);
  weft_http_response_free(r);
  ASSERT_EQ(conn_id(s), conn_id(s));
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_session_redirect_edges) {
  return with_httpbin(redirect_edges_main, 0);
}
TEST_TIMEOUT(http_session_redirect_edges, 60);

/* Authorization goes to the same origin only, whether from auth or headers. */
static void *redirect_auth_main(void *arg) {
  weft_http_session *s = session_open(&(weft_http_session_opts){.auth = "user:passwd"});
  const char *hdr[] = {"Authorization: Bearer tok", NULL};
  weft_http_request_opts bearer = {.headers = hdr};
  char cross[300];

  (void)arg;
  snprintf(cross, sizeof cross, "/redirect-to?url=%s", by_name("/headers"));
  header_sent_is(s, "/headers", NULL, "Authorization", "Basic dXNlcjpwYXNzd2Q=");
  header_sent_is(s, "/redirect-to?url=/headers", NULL, "Authorization", "Basic dXNlcjpwYXNzd2Q=");
  header_sent_is(s, cross, NULL, "Authorization", NULL);
  http_session_done(s);
  s = session_open(NULL);
  header_sent_is(s, "/redirect-to?url=/headers", &bearer, "Authorization", "Bearer tok");
  header_sent_is(s, cross, &bearer, "Authorization", NULL);
  /* once dropped it stays dropped, even back on the first origin */
  snprintf(cross, sizeof cross, "/redirect-to?url=%s%%3Furl%%3D%s", by_name("/redirect-to"),
           url_of("/headers"));
  header_sent_is(s, cross, &bearer, "Authorization", NULL);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_session_redirect_auth) {
  return with_httpbin(redirect_auth_main, 0);
}
TEST_TIMEOUT(http_session_redirect_auth, 60);

/* ---- cookies ---------------------------------------------------------------- */

/* The cookies httpbin's /cookies saw, as a JSON object (decref it). */
static json_t *cookies_seen(weft_http_session *s, const char *url,
                            const weft_http_request_opts *o) {
  json_t *j = http_call_json(s, "GET", url, o);
  json_t *c = json_incref(json_object_get(j, "cookies"));

  json_decref(j);
  ASSERT_NOT_NULL(c);
  return c;
}

static void cookie_seen_is(json_t *c, const char *name, const char *want) {
  const char *v = json_string_value(json_object_get(c, name));

  if (want ? !v || strcmp(v, want) != 0 : v != NULL) {
    char *dump = json_dumps(c, JSON_COMPACT);
    fprintf(stderr, "cookie %s: want %s, the server saw %s\n", name, want ? want : "none", dump);
    free(dump);
  }
  if (want)
    ASSERT_STR_EQ(v, want);
  else
    ASSERT_NULL(v);
}

static const weft_cookie *jar_find(weft_cookie_jar *jar, const char *name) {
  for (size_t i = 0; i < weft_cookie_jar_count(jar); i++)
    if (!strcmp(weft_cookie_jar_at(jar, i)->name, name))
      return weft_cookie_jar_at(jar, i);
  return NULL;
}

static void jar_header_is(weft_cookie_jar *jar, const char *url, const char *want) {
  char *h = NULL;

  ASSERT_OK(weft_cookie_jar_header(jar, url, &h));
  ASSERT_STR_EQ(h, want);
  weft_free(h);
}

static void *cookies_jar_main(void *arg) {
  weft_http_session *s = session_open(&(weft_http_session_opts){.base_url = by_name("")});
  weft_cookie_jar *jar = weft_http_session_cookie_jar(s);
  weft_http_response *r;
  const weft_cookie *c;
  char url[300];
  json_t *seen;

  (void)arg;
  ASSERT_NOT_NULL(jar);
  /* set through a redirect, sent to the redirect's target */
  r = http_send_ok(s, "GET", "/cookies/set?a=1&b=2", NULL);
  ASSERT_EQ(weft_http_response_history_count(r), 1u);
  ASSERT_EQ(weft_http_response_cookie_count(r), 2u);
  ASSERT_STR_EQ(weft_http_response_cookie(r, 0)->name, "a");
  ASSERT_STR_EQ(weft_http_response_cookie(r, 1)->value, "2");
  ASSERT_NULL(weft_http_response_cookie(r, 2));
  weft_http_response_free(r);
  seen = cookies_seen(s, "/cookies", NULL);
  cookie_seen_is(seen, "a", "1");
  cookie_seen_is(seen, "b", "2");
  json_decref(seen);
  /* the jar holds them: iteration and filter_cookies */
  ASSERT_EQ(weft_cookie_jar_count(jar), 2u);
  c = jar_find(jar, "a");
  ASSERT_NOT_NULL(c);
  ASSERT_STR_EQ(c->value, "1");
  ASSERT_STR_EQ(c->domain, "localhost");
  ASSERT_STR_EQ(c->path, "/");
  ASSERT_EQ(c->host_only, 1);
  ASSERT_EQ(c->expires, 0);
  jar_header_is(jar, by_name("/x"), "a=1; b=2");
  jar_header_is(jar, "http://other.test/", "");
  /* not sent to another host, even through a redirect */
  snprintf(url, sizeof url, "/redirect-to?url=%s", url_of("/cookies"));
  seen = cookies_seen(s, url, NULL);
  ASSERT_EQ(json_object_size(seen), 0u);
  json_decref(seen);
  /* a response that sets none lists none */
  r = http_send_ok(s, "GET", "/get", NULL);
  ASSERT_EQ(weft_http_response_cookie_count(r), 0u);
  weft_http_response_free(r);
  /* deleted by the server */
  r = http_send_ok(s, "GET", "/cookies/delete?a", NULL);
  ASSERT_EQ(weft_http_response_cookie_count(r), 1u);
  ASSERT_STR_EQ(weft_http_response_cookie(r, 0)->name, "a");
  weft_http_response_free(r);
  seen = cookies_seen(s, "/cookies", NULL);
  cookie_seen_is(seen, "a", NULL);
  cookie_seen_is(seen, "b", "2");
  json_decref(seen);
  ASSERT_EQ(weft_cookie_jar_count(jar), 1u);
  ASSERT_NULL(jar_find(jar, "a"));
  /* cleared by the client */
  weft_cookie_jar_clear(jar, NULL);
  seen = cookies_seen(s, "/cookies", NULL);
  ASSERT_EQ(json_object_size(seen), 0u);
  json_decref(seen);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_session_cookies_jar) {
  return with_httpbin(cookies_jar_main, 0);
}
TEST_TIMEOUT(http_session_cookies_jar, 60);

/* A strict jar drops cookies from a bare IP host; an unsafe one keeps them. */
static void *cookies_ip_main(void *arg) {
  weft_http_session *strict = session_open(NULL);
  weft_http_session *unsafe = session_open(&(weft_http_session_opts){.cookie_jar_unsafe = 1});
  weft_http_response *r;
  json_t *seen;

  (void)arg;
  r = http_send_ok(strict, "GET", "/set-ip-cookie", NULL);
  ASSERT_EQ(weft_http_response_cookie_count(r), 1u); /* what it set, kept or not */
  ASSERT_STR_EQ(weft_http_response_cookie(r, 0)->name, "ipcookie");
  weft_http_response_free(r);
  seen = cookies_seen(strict, "/cookies/set?z=9", NULL);
  ASSERT_EQ(json_object_size(seen), 0u);
  json_decref(seen);
  ASSERT_EQ(weft_cookie_jar_count(weft_http_session_cookie_jar(strict)), 0u);
  r = http_send_ok(unsafe, "GET", "/set-ip-cookie", NULL);
  weft_http_response_free(r);
  seen = cookies_seen(unsafe, "/cookies/set?z=9", NULL);
  cookie_seen_is(seen, "ipcookie", "1");
  cookie_seen_is(seen, "z", "9");
  json_decref(seen);
  ASSERT_EQ(weft_cookie_jar_count(weft_http_session_cookie_jar(unsafe)), 2u);
  ASSERT_STR_EQ(jar_find(weft_http_session_cookie_jar(unsafe), "z")->domain, "127.0.0.1");
  http_session_done(unsafe);
  http_session_done(strict);
  return NULL;
}

TEST_IMPL(http_session_cookies_ip_host) {
  return with_httpbin(cookies_ip_main, 0);
}
TEST_TIMEOUT(http_session_cookies_ip_host, 60);

/* Per-request cookies and the session's initial cookies are sent, not stored. */
static void *cookies_sent_main(void *arg) {
  static const char *const init[] = {"init=1", "other=o", NULL};
  weft_http_session *s =
      session_open(&(weft_http_session_opts){.base_url = by_name(""), .cookies = init});
  weft_http_pair rc[] = {{"req", "2"}, {"also", "3"}};
  weft_http_request_opts ro = {.cookies = rc, .n_cookies = 2};
  weft_http_response *r;
  json_t *seen;
  char *h;

  (void)arg;
  seen = cookies_seen(s, "/cookies", &ro);
  cookie_seen_is(seen, "init", "1");
  cookie_seen_is(seen, "other", "o");
  cookie_seen_is(seen, "req", "2");
  cookie_seen_is(seen, "also", "3");
  json_decref(seen);
  /* with the jar's too */
  r = http_send_ok(s, "GET", "/cookies/set?jar=4", NULL);
  weft_http_response_free(r);
  h = header_sent(s, "/headers", &ro, "Cookie");
  ASSERT_NOT_NULL(h);
  ASSERT(strstr(h, "jar=4") && strstr(h, "init=1") && strstr(h, "req=2") && strstr(h, "also=3"));
  free(h);
  /* the next request without them sends only the session's */
  seen = cookies_seen(s, "/cookies", NULL);
  cookie_seen_is(seen, "init", "1");
  cookie_seen_is(seen, "jar", "4");
  cookie_seen_is(seen, "req", NULL);
  json_decref(seen);
  ASSERT_EQ(weft_cookie_jar_count(weft_http_session_cookie_jar(s)), 1u);
  http_session_done(s);
  /* initial cookies that are not name=value are refused */
  ASSERT_EQ(weft_http_session_new(
                &s, &(weft_http_session_opts){.cookies = (const char *const[]){"novalue", NULL}}),
            -EINVAL);
  ASSERT_NULL(s);
  return NULL;
}

TEST_IMPL(http_session_cookies_sent) {
  return with_httpbin(cookies_sent_main, 0);
}
TEST_TIMEOUT(http_session_cookies_sent, 60);

/* Same names from three places merge as aiohttp's dictionaries do: a
 * jar cookie beats an initial one (the server's later word), a request
 * cookie replaces either in place; a value with a space goes out quoted. */
static void *cookies_merge_main(void *arg) {
  static const char *const init[] = {"a=init", "b=init", "sp=x y", NULL};
  weft_http_session *s =
      session_open(&(weft_http_session_opts){.base_url = by_name(""), .cookies = init});
  weft_http_pair rc[] = {{"b", "req"}, {"c", "req"}};
  weft_http_request_opts ro = {.cookies = rc, .n_cookies = 2};
  weft_http_response *r;
  json_t *seen;

  (void)arg;
  r = http_send_ok(s, "GET", "/cookies/set?a=jar", NULL);
  weft_http_response_free(r);
  header_sent_is(s, "/headers", &ro, "Cookie", "a=jar; b=req; sp=\"x y\"; c=req");
  seen = cookies_seen(s, "/cookies", NULL);
  cookie_seen_is(seen, "a", "jar");
  cookie_seen_is(seen, "b", "init");
  cookie_seen_is(seen, "sp", "x y");
  json_decref(seen);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_session_cookies_merge) {
  return with_httpbin(cookies_merge_main, 0);
}
TEST_TIMEOUT(http_session_cookies_merge, 60);

/* Saved to a file, loaded into a new session's jar: the server sees them;
 * a jar passed in is shared between sessions. */
static void *cookies_file_main(void *arg) {
  weft_http_session *s = session_open(&(weft_http_session_opts){.base_url = by_name("")});
  weft_http_session *s2, *s3;
  weft_cookie_jar *shared;
  weft_http_response *r;
  char path[] = "/tmp/weft-http-session-XXXXXX";
  json_t *seen;
  int fd = mkstemp(path);

  (void)arg;
  ASSERT(fd >= 0);
  close(fd);
  r = http_send_ok(s, "GET", "/cookies/set?k=v&n=42", NULL);
  weft_http_response_free(r);
  ASSERT_OK(weft_cookie_jar_save(weft_http_session_cookie_jar(s), path));
  http_session_done(s);
  s2 = session_open(&(weft_http_session_opts){.base_url = by_name("")});
  ASSERT_OK(weft_cookie_jar_load(weft_http_session_cookie_jar(s2), path));
  ASSERT_EQ(weft_cookie_jar_count(weft_http_session_cookie_jar(s2)), 2u);
  seen = cookies_seen(s2, "/cookies", NULL);
  cookie_seen_is(seen, "k", "v");
  cookie_seen_is(seen, "n", "42");
  json_decref(seen);
  http_session_done(s2);
  unlink(path);
  /* a shared jar: what one session receives, the other sends */
  ASSERT_OK(weft_cookie_jar_new(&shared, 0));
  s2 = session_open(&(weft_http_session_opts){.base_url = by_name(""), .cookie_jar = shared});
  s3 = session_open(&(weft_http_session_opts){.base_url = by_name(""), .cookie_jar = shared});
  ASSERT(weft_http_session_cookie_jar(s2) == shared);
  r = http_send_ok(s2, "GET", "/cookies/set?shared=1", NULL);
  weft_http_response_free(r);
  seen = cookies_seen(s3, "/cookies", NULL);
  cookie_seen_is(seen, "shared", "1");
  json_decref(seen);
  http_session_done(s2);
  http_session_done(s3);
  ASSERT_EQ(weft_cookie_jar_count(shared), 1u); /* not freed with the sessions */
  weft_cookie_jar_free(shared);
  return NULL;
}

TEST_IMPL(http_session_cookies_file) {
  return with_httpbin(cookies_file_main, 0);
}
TEST_TIMEOUT(http_session_cookies_file, 60);

/* ---- auth and raise_for_status ---------------------------------------------- */

static int status_of(weft_http_session *s, const char *url, const weft_http_request_opts *o) {
  weft_http_response *r = http_send_ok(s, "GET", url, o);
  int st = weft_http_response_status(r);

  weft_http_response_free(r);
  return st;
}

static void *basic_auth_main(void *arg) {
  weft_http_session *s = session_open(&(weft_http_session_opts){.auth = "user:passwd"});
  weft_http_session *none = session_open(NULL);
  weft_http_response *r;
  char url[256];
  json_t *j;

  (void)arg;
  j = http_call_json(s, "GET", "/basic-auth/user/passwd", NULL);
  ASSERT(json_is_true(json_object_get(j, "authenticated")));
  ASSERT_STR_EQ(http_json_field(j, NULL, "user"), "user");
  json_decref(j);
  /* the request's auth replaces the session's */
  ASSERT_EQ(
      status_of(s, "/basic-auth/user/passwd", &(weft_http_request_opts){.auth = "user:wrong"}),
      401);
  ASSERT_EQ(
      status_of(none, "/basic-auth/user/passwd", &(weft_http_request_opts){.auth = "user:passwd"}),
      200);
  /* none: 401 and the challenge */
  r = http_send_ok(none, "GET", "/basic-auth/user/passwd", NULL);
  ASSERT_EQ(weft_http_response_status(r), 401);
  ASSERT_STR_EQ(weft_http_response_header(r, "WWW-Authenticate"), "Basic realm=\"Fake Realm\"");
  weft_http_response_free(r);
  /* credentials in the URL */
  snprintf(url, sizeof url, "http://user:passwd@127.0.0.1:%d/basic-auth/user/passwd", peer.port);
  ASSERT_EQ(status_of(none, url, NULL), 200);
  snprintf(url, sizeof url, "http://user:nope@127.0.0.1:%d/basic-auth/user/passwd", peer.port);
  ASSERT_EQ(status_of(none, url, NULL), 401);
  /* kept across a redirect to the same origin */
  snprintf(url, sizeof url,
           "http://user:passwd@127.0.0.1:%d/redirect-to?url=/basic-auth/user/passwd", peer.port);
  ASSERT_EQ(status_of(none, url, NULL), 200);
  /* and not sent to another origin */
  snprintf(url, sizeof url, "http://user:passwd@127.0.0.1:%d/redirect-to?url=%s", peer.port,
           by_name("/headers"));
  header_sent_is(none, url, NULL, "Authorization", NULL);
  /* auth together with an Authorization header is refused */
  fails_with(s, "GET", "/get",
             &(weft_http_request_opts){.headers = (const char *const[]){"Authorization: x", NULL}},
             -EINVAL);
  http_session_done(none);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_session_basic_auth) {
  return with_httpbin(basic_auth_main, 0);
}
TEST_TIMEOUT(http_session_basic_auth, 60);

static void *raise_main(void *arg) {
  weft_http_session *s = session_open(&(weft_http_session_opts){.raise_for_status = 1});
  weft_http_session *lax = session_open(NULL);
  weft_http_response *r;
  char want[300];

  (void)arg;
  snprintf(want, sizeof want, "404, message='Not Found', url='%s'", url_of("/status/404"));
  fails_with(s, "GET", "/status/404", NULL, WEFT_HTTP_ESTATUS);
  ASSERT_STR_EQ(weft_http_last_error(), want);
  ASSERT_EQ(status_of(s, "/status/200", NULL), 200);
  /* off for one request, then asked of the response */
  r = http_send_ok(s, "GET", "/status/404", &(weft_http_request_opts){.raise_for_status = -1});
  ASSERT_EQ(weft_http_response_status(r), 404);
  ASSERT_EQ(weft_http_response_raise_for_status(r), WEFT_HTTP_ESTATUS);
  ASSERT_STR_EQ(weft_http_last_error(), want);
  weft_http_response_free(r);
  /* on for one request of a session without it */
  ASSERT_EQ(status_of(lax, "/status/500", NULL), 500);
  fails_with(lax, "GET", "/status/500", &(weft_http_request_opts){.raise_for_status = 1},
             WEFT_HTTP_ESTATUS);
  snprintf(want, sizeof want, "500, message='Internal Server Error', url='%s'",
           url_of("/status/500"));
  ASSERT_STR_EQ(weft_http_last_error(), want);
  /* after redirects, the final URL is named */
  fails_with(s, "GET", "/redirect-to?url=/status/403", NULL, WEFT_HTTP_ESTATUS);
  snprintf(want, sizeof want, "403, message='Forbidden', url='%s'", url_of("/status/403"));
  ASSERT_STR_EQ(weft_http_last_error(), want);
  /* the connection is still good */
  ASSERT_EQ(conn_id(s), conn_id(s));
  http_session_done(lax);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_session_raise_for_status) {
  return with_httpbin(raise_main, 0);
}
TEST_TIMEOUT(http_session_raise_for_status, 60);

/* ---- base URL, headers, User-Agent, resolve -------------------------------- */

static void url_seen_is(weft_http_session *s, const char *url, const char *want) {
  json_t *j = http_call_json(s, "GET", url, NULL);

  ASSERT_STR_EQ(http_json_field(j, NULL, "url"), want);
  json_decref(j);
}

static void *base_url_main(void *arg) {
  char base[256];
  weft_http_session *s;

  (void)arg;
  snprintf(base, sizeof base, "%s/anything/dir/", peer.url);
  s = session_open(&(weft_http_session_opts){.base_url = base});
  url_seen_is(s, "x/y?q=1", url_of("/anything/dir/x/y?q=1"));
  url_seen_is(s, "../up", url_of("/anything/up"));
  url_seen_is(s, "/anything/root", url_of("/anything/root"));
  url_seen_is(s, "?only=query", url_of("/anything/dir/?only=query"));
  url_seen_is(s, by_name("/anything/abs"), by_name("/anything/abs"));
  url_seen_is(s, NULL, url_of("/anything/dir/"));
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_session_base_url) {
  return with_httpbin(base_url_main, 0);
}
TEST_TIMEOUT(http_session_base_url, 60);

static void *headers_main(void *arg) {
  static const char *const sh[] = {"X-Default: d", "X-Both: session", NULL};
  static const char *const rh[] = {"x-both: request", "X-Req: r", NULL};
  weft_http_session *s = session_open(&(weft_http_session_opts){.headers = sh});
  weft_http_session *ua = session_open(&(weft_http_session_opts){.user_agent = "agent/2"});
  weft_http_request_opts ro = {.headers = rh};
  json_t *j;

  (void)arg;
  j = http_call_json(s, "GET", "/headers", &ro);
  ASSERT_STR_EQ(http_json_field(j, "headers", "X-Default"), "d");
  ASSERT_STR_EQ(http_json_field(j, "headers", "X-Both"), "request");
  ASSERT_STR_EQ(http_json_field(j, "headers", "X-Req"), "r");
  json_decref(j);
  header_sent_is(s, "/headers", NULL, "X-Both", "session");
  header_sent_is(s, "/headers", NULL, "X-Req", NULL);
  /* User-Agent: the default, the option, a header */
  header_sent_is(s, "/headers", NULL, "User-Agent", "weft/" WEFT_VERSION);
  j = http_call_json(s, "GET", "/user-agent", NULL);
  ASSERT_STR_EQ(http_json_field(j, NULL, "user-agent"), "weft/" WEFT_VERSION);
  json_decref(j);
  header_sent_is(ua, "/headers", NULL, "User-Agent", "agent/2");
  header_sent_is(
      ua, "/headers",
      &(weft_http_request_opts){.headers = (const char *const[]){"User-Agent: req/3", NULL}},
      "User-Agent", "req/3");
  http_session_done(ua);
  http_session_done(s);
  /* a malformed default header is refused when the session is made */
  ASSERT_EQ(weft_http_session_new(
                &s, &(weft_http_session_opts){.headers = (const char *const[]){"no colon", NULL}}),
            -EINVAL);
  return NULL;
}

TEST_IMPL(http_session_headers) {
  return with_httpbin(headers_main, 0);
}
TEST_TIMEOUT(http_session_headers, 60);

static void *resolve_main(void *arg) {
  char entry[128], url[256], host[128];
  const char *const resolve[] = {entry, NULL};
  weft_http_session *s;
  json_t *j;

  (void)arg;
  snprintf(entry, sizeof entry, "httpbin.weft.invalid:%d:127.0.0.1", peer.port);
  snprintf(url, sizeof url, "http://httpbin.weft.invalid:%d/get", peer.port);
  snprintf(host, sizeof host, "httpbin.weft.invalid:%d", peer.port);
  s = session_open(&(weft_http_session_opts){.resolve = resolve});
  j = http_call_json(s, "GET", url, NULL);
  ASSERT_STR_EQ(http_json_field(j, "headers", "Host"), host);
  ASSERT_STR_EQ(http_json_field(j, NULL, "url"), url);
  json_decref(j);
  http_session_done(s);
  /* not host:port:address */
  s = session_open(
      &(weft_http_session_opts){.resolve = (const char *const[]){"httpbin.weft.invalid", NULL}});
  fails_with(s, "GET", url, NULL, -EINVAL);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_session_resolve) {
  return with_httpbin(resolve_main, 0);
}
TEST_TIMEOUT(http_session_resolve, 60);
