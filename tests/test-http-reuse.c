/* HTTP client: a session hands a finished transfer's easy handle to its
 * next request without resetting it when the request sets the same
 * options (src/http/opts.h). Here one handle serves a run of requests
 * whose methods, bodies, headers, proxies and decompression differ, and
 * each request must behave as if its handle were new: nothing of the
 * last one (HEAD's no-body, a body, a header, a proxy) carries over. */
#include <jansson.h>
#include <string.h>

#include "http/engine.h"
#include "test-http-util.h"

static http_peer bin, px;

typedef struct step {
  const char *method;
  weft_http_request_opts o;
  const char *data;   /* the body httpbin saw ("" none) */
  const char *header; /* X-Step it saw, or NULL */
  int proxied;        /* went through tinyproxy (Via header) */
  int kept;           /* the handle kept the last request's options */
} step;

static int source_once(void *arg, void *buf, size_t cap, size_t *len) {
  int *sent = arg;

  *len = 0;
  if (*sent || cap < 3)
    return 0;
  *sent = 1;
  memcpy(buf, "src", 3);
  *len = 3;
  return 0;
}

static int source_sent;

static const char *const with_header[] = {"X-Step: one", NULL};

static step steps[] = {
    {"GET", {.headers = with_header}, "", "one", 0, 0},
    {"GET", {0}, "", NULL, 0, 1},
    {"POST", {.data = "abc", .data_len = (size_t)-1}, "abc", NULL, 0, 0},
    {"POST", {.data = "xyz", .data_len = (size_t)-1, .headers = with_header}, "xyz", "one", 0, 1},
    {"PUT", {.data = "put", .data_len = (size_t)-1}, "put", NULL, 0, 0},
    {"GET", {0}, "", NULL, 0, 0},
    {"POST",
     {.source = source_once, .source_arg = &source_sent, .source_len = 3},
     "src",
     NULL,
     0,
     0},
    {"DELETE", {0}, "", NULL, 0, 0},
    {"GET", {.proxy = "PROXY"}, "", NULL, 1, 0},
    {"GET", {0}, "", NULL, 0, 1},
    {"GET", {.proxy = "PROXY", .headers = with_header}, "", "one", 1, 1},
    {"GET", {0}, "", NULL, 0, 1},
};

/* Under --torture a failed copy of the options makes the next request
 * reset the handle: fewer kept, never more. */
static void kept_is(const weft_http_session *s, size_t want) {
  if (weft_test_torture)
    ASSERT_LE(s->n_hops_kept, want);
  else
    ASSERT_EQ(want, s->n_hops_kept);
}

static void step_check(weft_http_session *s, step *st, size_t i) {
  weft_http_request_opts o = st->o;
  size_t kept = s->n_hops_kept;
  json_t *j;
  const char *via;

  if (o.proxy)
    o.proxy = px.url;
  j = http_call_json(s, st->method, "/anything", &o);
  if (strcmp(http_json_field(j, NULL, "method"), st->method) != 0 ||
      strcmp(http_json_field(j, NULL, "data"), st->data) != 0)
    fprintf(stderr, "step %zu: %s %s\n", i, http_json_field(j, NULL, "method"),
            http_json_field(j, NULL, "data"));
  ASSERT_STR_EQ(http_json_field(j, NULL, "method"), st->method);
  ASSERT_STR_EQ(http_json_field(j, NULL, "data"), st->data);
  if (st->header)
    ASSERT_STR_EQ(http_json_field(j, "headers", "X-Step"), st->header);
  else
    ASSERT_NULL(http_json_field(j, "headers", "X-Step"));
  via = http_json_field(j, "headers", "Via");
  ASSERT_EQ(st->proxied, via != NULL && strstr(via, "tinyproxy") != NULL);
  json_decref(j);
  kept_is(s, kept + (size_t)st->kept);
}

/* HEAD, then GET on the same handle: the GET has its body. */
static void head_then_get(weft_http_session *s) {
  weft_http_response *r = http_send_ok(s, "HEAD", "/bytes/1000", NULL);
  const void *data;
  size_t len;

  weft_http_response_free(r);
  r = http_send_ok(s, "GET", "/bytes/1000", NULL);
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_EQ(1000, len);
  weft_http_response_free(r);
}

/* A response freed with its body half read: its handle is reset before
 * the next request, which is whole. */
static void released_early(weft_http_session *s) {
  weft_http_response *r = http_send_ok(s, "GET", "/bytes/400000", NULL);
  const void *data;
  size_t len, kept;
  json_t *j;

  ASSERT_OK(weft_http_response_read_any(r, &data, &len));
  ASSERT_GT(len, 0);
  ASSERT_LT(len, 400000);
  weft_http_response_free(r);
  kept = s->n_hops_kept;
  j = http_call_json(s, "POST", "/anything",
                     &(weft_http_request_opts){.data = "after", .data_len = (size_t)-1});
  ASSERT_STR_EQ(http_json_field(j, NULL, "data"), "after");
  json_decref(j);
  kept_is(s, kept);
}

/* Decompression off: every request on the handle keeps the body as sent. */
static void decompression(void) {
  weft_http_session *s;

  ASSERT_OK(weft_http_session_new(
      &s, &(weft_http_session_opts){.base_url = bin.url, .no_decompress = 1}));
  http_get_gzip_as_sent(s); /* read to its end: the transfer ends */
  http_get_gzip_as_sent(s);
  kept_is(s, 1);
  http_session_done(s);
}

static void *options_main(void *arg) {
  weft_http_session *s;

  (void)arg;
  ASSERT_OK(weft_http_session_new(
      &s, &(weft_http_session_opts){.base_url = bin.url, .timeout.total = 10}));
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
    step_check(s, &steps[i], i);
  ASSERT_EQ(1, source_sent);
  head_then_get(s);
  released_early(s);
  ASSERT_EQ(1, s->n_idle_xfers); /* one handle served them all */
  http_session_done(s);
  decompression();
  return NULL;
}

TEST_TIMEOUT(http_reuse_options, 60);
TEST_IMPL(http_reuse_options) {
  int rc;

  httpbin_start(&bin, 0);
  tinyproxy_start(&px, NULL, NULL);
  rc = weft_test_run(options_main, NULL, NULL);
  http_peer_stop(&px);
  http_peer_stop(&bin);
  return rc;
}
