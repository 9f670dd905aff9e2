/*
 * Responses against the httpbin peer: what arrives with the headers
 * (status, reason, version, final URL, the header multi-map, the raw block,
 * Content-Length and Content-Type), the whole body with and without a cap,
 * a large body read slowly under backpressure, the streaming reads, release
 * and connection reuse, text() with character sets and json().
 */
#include <jansson.h>
#include <strings.h>

#include "test-http-util.h"
#include "http/engine.h"

/* ---- helpers ---------------------------------------------------------- */

typedef struct env {
  http_peer p;
  weft_http_session *s;
} env;

typedef void (*body_fn)(env *e);

static void *env_main(void *arg) {
  env *e = ((void **)arg)[0];
  body_fn fn = (body_fn)((void **)arg)[1];

  ASSERT_OK(weft_http_session_new(&e->s, NULL));
  fn(e);
  ASSERT_OK(weft_http_session_close(e->s));
  weft_http_session_free(e->s);
  return NULL;
}

/* Start httpbin, run fn in a task with a session, stop it all. */
static void with_httpbin(body_fn fn) {
  env e;
  void *args[2] = {&e, (void *)fn};

  memset(&e, 0, sizeof e);
  httpbin_start(&e.p, 0);
  ASSERT_OK(weft_test_run(env_main, args, NULL));
  http_peer_stop(&e.p);
}

static const char *url_of(env *e, const char *path) {
  static char bufs[4][512];
  static int next;
  char *b = bufs[next++ % 4];

  snprintf(b, 512, "%s%s", e->p.url, path);
  return b;
}

static weft_http_response *get(env *e, const char *path) {
  weft_http_response *r = NULL;
  int rc = weft_http_get(e->s, url_of(e, path), NULL, &r);

  if (rc != 0)
    fprintf(stderr, "GET %s: %s: %s\n", path, weft_err_name(rc), weft_http_last_error());
  ASSERT_OK(rc);
  ASSERT_NOT_NULL(r);
  return r;
}

static weft_http_response *get_opts(env *e, const char *path, const weft_http_request_opts *o) {
  weft_http_response *r = NULL;

  ASSERT_OK(weft_http_get(e->s, url_of(e, path), o, &r));
  return r;
}

/* The whole body of path as a string (the response is freed). */
static void get_text(env *e, const char *path, char *out, size_t cap) {
  weft_http_response *r = get(e, path);
  const void *data;
  size_t len;

  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_LT(len, cap);
  memcpy(out, data, len + 1);
  weft_http_response_free(r);
}

/* httpbin's /bytes/n?seed=s is Python's random.Random(s): MT19937 seeded
 * by init_by_array([s]); randbytes(n) (n >= 65536) is the 32-bit outputs
 * little-endian, below that one getrandbits(8) (the top byte) a byte. */
typedef struct mt {
  uint32_t v[624];
  int i;
} mt;

static void mt_init(mt *m, uint32_t seed) {
  uint32_t *v = m->v;
  int i = 1, j = 0;

  v[0] = 19650218u;
  for (int k = 1; k < 624; k++)
    v[k] = 1812433253u * (v[k - 1] ^ (v[k - 1] >> 30)) + (uint32_t)k;
  for (int k = 624; k; k--) {
    v[i] = (v[i] ^ ((v[i - 1] ^ (v[i - 1] >> 30)) * 1664525u)) + seed + (uint32_t)j;
    j = 0; /* a key of one word */
    if (++i >= 624)
      v[0] = v[623], i = 1;
  }
  for (int k = 623; k; k--) {
    v[i] = (v[i] ^ ((v[i - 1] ^ (v[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
    if (++i >= 624)
      v[0] = v[623], i = 1;
  }
  v[0] = 0x80000000u;
  m->i = 624;
}

static uint32_t mt_next(mt *m) {
  uint32_t y;

  if (m->i >= 624) {
    for (int k = 0; k < 624; k++) {
      y = (m->v[k] & 0x80000000u) | (m->v[(k + 1) % 624] & 0x7fffffffu);
      m->v[k] = m->v[(k + 397) % 624] ^ (y >> 1) ^ (y & 1 ? 0x9908b0dfu : 0);
    }
    m->i = 0;
  }
  y = m->v[m->i++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  return y ^ (y >> 18);
}

static char *seeded_bytes(size_t n, uint32_t seed) {
  unsigned char *b = malloc(n + 4);
  mt m;

  ASSERT_NOT_NULL(b);
  ASSERT(n < 65536 || n % 4 == 0); /* whole words */
  mt_init(&m, seed);
  for (size_t i = 0; i < n; i += n < 65536 ? 1 : 4) {
    uint32_t w = mt_next(&m);

    if (n < 65536) {
      b[i] = (unsigned char)(w >> 24);
      continue;
    }
    for (int k = 0; k < 4; k++)
      b[i + k] = (unsigned char)(w >> (8 * k));
  }
  return (char *)b;
}

/* Bytes collected from the streaming reads, NUL-terminated. */
typedef struct sink {
  char data[65536];
  size_t len;
} sink;

static void sink_add(sink *k, const void *p, size_t n) {
  ASSERT_LT(k->len + n, sizeof k->data);
  memcpy(k->data + k->len, p, n);
  k->len += n;
  k->data[k->len] = '\0';
}

/* ---- what arrives with the headers ------------------------------------ */

static void status_body(env *e) {
  weft_http_response *r = get(e, "/get");

  ASSERT_EQ(200, weft_http_response_status(r));
  ASSERT_STR_EQ("OK", weft_http_response_reason(r));
  ASSERT_EQ(11, weft_http_response_version(r));
  ASSERT_STR_EQ(url_of(e, "/get"), weft_http_response_url(r));
  ASSERT_EQ(0, weft_http_response_history_count(r));
  ASSERT_OK(weft_http_response_raise_for_status(r));
  weft_http_response_free(r);

  r = get(e, "/status/418");
  ASSERT_EQ(418, weft_http_response_status(r));
  ASSERT_STR_EQ("I'm a Teapot", weft_http_response_reason(r));
  ASSERT_EQ(WEFT_HTTP_ESTATUS, weft_http_response_raise_for_status(r));
  ASSERT(strstr(weft_http_last_error(), "418, message='I'm a Teapot', url='") != NULL);
  weft_http_response_free(r);

  r = get(e, "/status/204");
  ASSERT_EQ(204, weft_http_response_status(r));
  ASSERT_STR_EQ("No Content", weft_http_response_reason(r));
  weft_http_response_free(r);

  /* The final URL after redirects; the hops are in the history. */
  r = get(e, "/redirect/2");
  ASSERT_EQ(200, weft_http_response_status(r));
  ASSERT_STR_EQ(url_of(e, "/get"), weft_http_response_url(r));
  ASSERT_EQ(2, weft_http_response_history_count(r));
  weft_http_response_free(r);
}

TEST_IMPL(http_response_status) {
  with_httpbin(status_body);
  return 0;
}

static void multimap_body(env *e) {
  weft_http_response *r = get(e, "/response-headers?X-A=1&x-b=b&X-A=2&X-A=3");
  const weft_http_headers *h = weft_http_response_headers(r);
  const char *vals[4], *name, *value;
  size_t n = weft_http_headers_count(h), seen = 0;

  ASSERT_GE(n, 6);
  ASSERT_EQ(3, weft_http_headers_get_all(h, "x-a", vals, 4));
  ASSERT_STR_EQ("1", vals[0]);
  ASSERT_STR_EQ("2", vals[1]);
  ASSERT_STR_EQ("3", vals[2]);
  ASSERT_EQ(3, weft_http_headers_get_all(h, "X-A", vals, 2)); /* fills 2, counts 3 */
  ASSERT_STR_EQ("1", weft_http_headers_get(h, "x-A"));
  ASSERT_STR_EQ("1", weft_http_response_header(r, "X-a"));
  ASSERT_STR_EQ("b", weft_http_response_header(r, "X-B"));
  ASSERT_NULL(weft_http_response_header(r, "X-C"));
  /* In the order received, names in their original case. */
  for (size_t i = 0; i < n; i++) {
    ASSERT_OK(weft_http_headers_at(h, i, &name, &value));
    if (strcasecmp(name, "X-A") == 0) {
      ASSERT_STR_EQ("X-A", name);
      ASSERT_EQ('1' + seen, value[0]);
      seen++;
    }
  }
  ASSERT_EQ(3, seen);
  ASSERT_EQ(-ERANGE, weft_http_headers_at(h, n, &name, &value));
  weft_http_response_free(r);
}

TEST_IMPL(http_response_headers_multimap) {
  with_httpbin(multimap_body);
  return 0;
}

/* raw_headers is the block as received: the status line, each header as
 * the multi-map has it, the blank line. */
static void raw_body(env *e) {
  weft_http_response *r = get(e, "/response-headers?X-A=1&X-A=2&X-Sp=a%20%20b");
  const weft_http_headers *h = weft_http_response_headers(r);
  char want[4096];
  size_t len, n = 0;
  const char *raw = weft_http_response_raw_headers(r, &len);

  n += (size_t)snprintf(want + n, sizeof want - n, "HTTP/1.1 200 OK\r\n");
  for (size_t i = 0; i < weft_http_headers_count(h); i++) {
    const char *name, *value;

    ASSERT_OK(weft_http_headers_at(h, i, &name, &value));
    n += (size_t)snprintf(want + n, sizeof want - n, "%s: %s\r\n", name, value);
  }
  n += (size_t)snprintf(want + n, sizeof want - n, "\r\n");
  ASSERT_LT(n, sizeof want);
  ASSERT_EQ(n, len);
  ASSERT_EQ(len, strlen(raw));
  ASSERT_STR_EQ(want, raw);
  ASSERT(strstr(raw, "\r\nX-A: 1\r\nX-A: 2\r\nX-Sp: a  b\r\n") != NULL);
  ASSERT_STR_EQ("a  b", weft_http_response_header(r, "x-sp"));
  weft_http_response_free(r);

  /* After redirects: the final response's block only. */
  r = get(e, "/redirect/1");
  raw = weft_http_response_raw_headers(r, &len);
  ASSERT_OK(strncmp(raw, "HTTP/1.1 200 OK\r\n", 17));
  ASSERT_NULL(strstr(raw, "Location"));
  ASSERT_NULL(strstr(raw, "302"));
  weft_http_response_free(r);
}

TEST_IMPL(http_response_raw_headers) {
  with_httpbin(raw_body);
  return 0;
}

static void content_type_body(env *e) {
  weft_http_response *r = get(e, "/bytes/100");

  ASSERT_EQ(100, weft_http_response_content_length(r));
  ASSERT_STR_EQ("application/octet-stream", weft_http_response_content_type(r));
  ASSERT_NULL(weft_http_response_charset(r));
  weft_http_response_free(r);

  r = get(e, "/encoding/gb2312");
  ASSERT_STR_EQ("text/html", weft_http_response_content_type(r));
  ASSERT_STR_EQ("gb2312", weft_http_response_charset(r));
  ASSERT_GT(weft_http_response_content_length(r), 0);
  weft_http_response_free(r);

  r = get(e, "/encoding/gb2312?nocharset=1");
  ASSERT_STR_EQ("text/html", weft_http_response_content_type(r));
  ASSERT_NULL(weft_http_response_charset(r));
  weft_http_response_free(r);

  r = get(e, "/html");
  ASSERT_STR_EQ("text/html", weft_http_response_content_type(r));
  ASSERT_STR_EQ("utf-8", weft_http_response_charset(r));
  weft_http_response_free(r);

  r = get(e, "/json");
  ASSERT_STR_EQ("application/json", weft_http_response_content_type(r));
  weft_http_response_free(r);

  /* Chunked: no Content-Length. */
  r = get(e, "/stream/2");
  ASSERT_EQ(-1, weft_http_response_content_length(r));
  ASSERT_NULL(weft_http_response_header(r, "Content-Length"));
  ASSERT_STR_EQ("chunked", weft_http_response_header(r, "transfer-encoding"));
  weft_http_response_free(r);

  /* No Content-Type at all. */
  r = get(e, "/status/204");
  ASSERT_NULL(weft_http_response_header(r, "Content-Type"));
  ASSERT_STR_EQ("application/octet-stream", weft_http_response_content_type(r));
  ASSERT_NULL(weft_http_response_charset(r));
  weft_http_response_free(r);
}

TEST_IMPL(http_response_content_type) {
  with_httpbin(content_type_body);
  return 0;
}

/* ---- whole body ------------------------------------------------------- */

static void read_body(env *e) {
  char *want = seeded_bytes(30000, 3);
  weft_http_response *r = get(e, "/bytes/30000?seed=3");
  const void *data, *again;
  size_t len, len2;

  ASSERT_EQ(0, weft_http_response_at_eof(r));
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_EQ(30000, len);
  ASSERT_OK(memcmp(data, want, len));
  ASSERT_EQ(0, ((const char *)data)[len]); /* NUL-terminated */
  ASSERT_EQ(1, weft_http_response_at_eof(r));
  /* Cached: the same bytes again, under any cap they fit. */
  ASSERT_OK(weft_http_response_read(r, 30000, &again, &len2));
  ASSERT(again == data);
  ASSERT_EQ(len, len2);
  /* A tighter cap on a body already read fails, and leaves it readable. */
  ASSERT_EQ(-EFBIG, weft_http_response_read(r, 100, &again, &len2));
  ASSERT_NULL(again);
  ASSERT_EQ(0, len2);
  ASSERT_OK(weft_http_response_read(r, 0, &again, &len2));
  ASSERT_EQ(30000, len2);
  /* Streaming reads after read() find the end. */
  {
    char buf[16];
    const void *v;
    const char *line;

    ASSERT_OK(weft_http_response_read_some(r, buf, sizeof buf, &len2));
    ASSERT_EQ(0, len2);
    ASSERT_OK(weft_http_response_read_any(r, &v, &len2));
    ASSERT_EQ(0, len2);
    ASSERT_OK(weft_http_response_read_line(r, 0, &line, &len2));
    ASSERT_EQ(0, len2);
  }
  weft_http_response_free(r);
  free(want);

  /* An empty body. */
  r = get(e, "/bytes/0");
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_EQ(0, len);
  ASSERT_NOT_NULL(data);
  ASSERT_STR_EQ("", data);
  weft_http_response_free(r);
}

TEST_IMPL(http_response_read) {
  with_httpbin(read_body);
  return 0;
}

static void read_max_body(env *e) {
  weft_http_response *r;
  const void *data;
  size_t len;
  char buf[64], first[16], second[16];

  get_text(e, "/conn-id", first, sizeof first);
  r = get(e, "/bytes/1000000");
  ASSERT_EQ(-EFBIG, weft_http_response_read(r, 999, &data, &len));
  ASSERT(strstr(weft_http_last_error(), "999") != NULL);
  ASSERT_NULL(data);
  ASSERT_EQ(0, len);
  /* Sticky: every body call fails the same way from now on. */
  ASSERT_EQ(-EFBIG, weft_http_response_read(r, 0, &data, &len));
  ASSERT_EQ(-EFBIG, weft_http_response_read(r, 5000, &data, &len));
  ASSERT_EQ(-EFBIG, weft_http_response_read_some(r, buf, sizeof buf, &len));
  ASSERT_EQ(-EFBIG, weft_http_response_read_any(r, &data, &len));
  ASSERT_EQ(0, weft_http_response_at_eof(r));
  {
    const char *text;

    ASSERT_EQ(-EFBIG, weft_http_response_text(r, NULL, 0, &text, &len));
    ASSERT_NULL(text);
  }
  weft_http_response_free(r);
  /* The response was closed with its connection (the body had not all
   * arrived): the next request makes a new one. */
  get_text(e, "/conn-id", second, sizeof second);
  ASSERT_NE(atoi(first), atoi(second));

  /* A small body over the cap. */
  r = get(e, "/bytes/1000");
  ASSERT_EQ(-EFBIG, weft_http_response_read(r, 999, &data, &len));
  ASSERT_EQ(-EFBIG, weft_http_response_read(r, 0, &data, &len));
  weft_http_response_free(r);

  /* A body exactly at the cap is fine. */
  r = get(e, "/bytes/1000");
  ASSERT_OK(weft_http_response_read(r, 1000, &data, &len));
  ASSERT_EQ(1000, len);
  weft_http_response_free(r);

  /* The request's max_body caps read() and the streaming reads. */
  r = get_opts(e, "/bytes/1000", &(weft_http_request_opts){.max_body = 500});
  ASSERT_EQ(-EFBIG, weft_http_response_read(r, 0, &data, &len));
  ASSERT_EQ(-EFBIG, weft_http_response_read(r, 2000, &data, &len));
  weft_http_response_free(r);
  r = get_opts(e, "/bytes/1000", &(weft_http_request_opts){.max_body = 500});
  {
    size_t total = 0;
    int rc;

    while ((rc = weft_http_response_read_some(r, buf, sizeof buf, &len)) == 0 && len)
      total += len;
    ASSERT_EQ(-EFBIG, rc);
    ASSERT_LE(total, 500);
    ASSERT_GT(total, 500 - sizeof buf);
  }
  weft_http_response_free(r);
  /* max_body counts the bytes streamed before read(). */
  r = get_opts(e, "/bytes/1000", &(weft_http_request_opts){.max_body = 600});
  {
    size_t total = 0;

    while (total < 500) {
      ASSERT_OK(weft_http_response_read_some(r, buf, sizeof buf, &len));
      ASSERT_GT(len, 0);
      total += len;
    }
    ASSERT_EQ(-EFBIG, weft_http_response_read(r, 0, &data, &len));
    ASSERT(strstr(weft_http_last_error(), "600") != NULL);
  }
  weft_http_response_free(r);
  /* Under max_body, read() after streaming gives the rest. */
  r = get_opts(e, "/bytes/1000", &(weft_http_request_opts){.max_body = 1000});
  ASSERT_OK(weft_http_response_read_some(r, buf, sizeof buf, &len));
  {
    size_t first = len;

    ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
    ASSERT_EQ(1000 - first, len);
  }
  weft_http_response_free(r);
}

TEST_IMPL(http_response_read_max) {
  with_httpbin(read_max_body);
  return 0;
}

/* ---- a large body, read slowly ---------------------------------------- */

#define BIG_LEN 5000000
#define BIG_BUFSIZE 16384

/* The bytes buffered on the response's side now. */
static size_t buffered(weft_http_response *r) {
  return r->xfer ? r->xfer->in.len - r->xfer->in.off : 0;
}

static int paused;

static void check_backpressure(weft_http_response *r) {
  ASSERT_LE(buffered(r), BIG_BUFSIZE + CURL_MAX_WRITE_SIZE);
  if (r->xfer)
    ASSERT_LE(r->xfer->in.cap, 2 * (BIG_BUFSIZE + CURL_MAX_WRITE_SIZE));
  if (r->xfer && r->xfer->paused_recv)
    paused++;
}

static void *big_main(void *arg) {
  http_peer *p = arg;
  weft_http_session *s;
  weft_http_response *r;
  char *want = seeded_bytes(BIG_LEN, 7), *buf = malloc(4096), url[256];
  size_t total = 0, len, reads = 0;

  ASSERT_NOT_NULL(buf);
  ASSERT_OK(weft_http_session_new(&s, &(weft_http_session_opts){.read_bufsize = BIG_BUFSIZE}));
  snprintf(url, sizeof url, "%s/bytes/%d?seed=7", p->url, BIG_LEN);
  ASSERT_OK(weft_http_get(s, url, NULL, &r));
  ASSERT_EQ(BIG_LEN, weft_http_response_content_length(r));
  for (;;) {
    /* A slow reader (8 KiB per loop iteration, curl receives up to 16 KiB
     * in one): let the loop run so the transfer fills the buffer; now and
     * then a pause long enough for it to fill and wait for the reader. */
    if (reads % 2 == 0)
      ASSERT_OK(weft_sleep(reads % 64 == 0 ? 0.002 : 0));
    check_backpressure(r);
    ASSERT_OK(weft_http_response_read_some(r, buf, 4096, &len));
    if (len == 0)
      break;
    ASSERT_LE(len, 4096);
    ASSERT_LE(total + len, BIG_LEN);
    if (memcmp(buf, want + total, len) != 0) {
      fprintf(stderr, "bytes differ in [%zu, %zu)\n", total, total + len);
      abort();
    }
    total += len;
    reads++;
  }
  ASSERT_EQ(BIG_LEN, total);
  ASSERT_EQ(1, weft_http_response_at_eof(r));
  ASSERT_GT(paused, 0); /* the transfer did wait for the reader */
  weft_http_response_free(r);
  ASSERT_OK(weft_http_session_close(s));
  weft_http_session_free(s);
  free(buf);
  free(want);
  return NULL;
}

/* Start httpbin, run fn(&peer) in a task (with its own session), stop. */
static void with_peer(void *(*fn)(void *)) {
  http_peer p;

  httpbin_start(&p, 0);
  ASSERT_OK(weft_test_run(fn, &p, NULL));
  http_peer_stop(&p);
}

TEST_TIMEOUT(http_response_backpressure, 60);
TEST_IMPL(http_response_backpressure) {
  with_peer(big_main);
  return 0;
}

/* A session receives small bodies through curl's default 16 KiB buffer
 * and moves to a larger one once a body has filled it; every byte
 * arrives either way. */
static void fetch_whole(env *e, size_t n, unsigned seed) {
  char *want = seeded_bytes(n, seed);
  char path[64];
  weft_http_response *r;
  const void *data;
  size_t len;

  snprintf(path, sizeof path, "/bytes/%zu?seed=%u", n, seed);
  r = get(e, path);
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_EQ(n, len);
  ASSERT_OK(memcmp(data, want, len));
  weft_http_response_free(r);
  free(want);
}

static void recv_buffer_body(env *e) {
  fetch_whole(e, 1000, 1);
  fetch_whole(e, 16000, 2);
  ASSERT_EQ(0, e->s->large_reads);
  fetch_whole(e, 300000, 3);
  ASSERT_EQ(1, e->s->large_reads);
  fetch_whole(e, 300000, 4);
  fetch_whole(e, 10, 5);
}

TEST_IMPL(http_response_recv_buffer) {
  with_httpbin(recv_buffer_body);
  return 0;
}

/* read() of a whole body lets it gather past read_bufsize without
 * pausing the transfer, and takes the transfer's buffer as the body when
 * nothing was read before; after a streaming read it copies the rest. The
 * next transfer starts with a freed body's buffer. */
typedef struct gather_watch {
  weft_http_response *r;
  size_t most; /* bytes buffered, the most seen */
  int stop;
} gather_watch;

static void *watch_buffer(void *arg) {
  gather_watch *w = arg;

  while (!w->stop) {
    weft__http_xfer *x = w->r->xfer;

    if (x && x->in.len - x->in.off > w->most)
      w->most = x->in.len - x->in.off;
    ASSERT_OK(weft_sleep(0));
  }
  return NULL;
}

static void *gather_main(void *arg) {
  http_peer *p = arg;
  char *want = seeded_bytes(1000000, 13), url[256], small[256];
  weft_http_session *s;
  weft_http_response *r;
  const void *data;
  size_t len;
  char head[100];

  ASSERT_OK(weft_http_session_new(&s, &(weft_http_session_opts){.read_bufsize = 4096}));
  snprintf(url, sizeof url, "%s/bytes/1000000?seed=13", p->url);
  ASSERT_OK(weft_http_get(s, url, NULL, &r));
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_EQ(1000000, len);
  ASSERT_OK(memcmp(data, want, len));
  ASSERT_EQ(0, ((const char *)data)[len]);
  ASSERT(r->xfer == NULL || r->xfer->in.data == NULL); /* taken, not copied */
  weft_http_response_free(r);

  /* A body small enough to be kept once freed: the next transfer
   * receives into it. */
  snprintf(small, sizeof small, "%s/bytes/100000", p->url);
  ASSERT_OK(weft_http_get(s, small, NULL, &r));
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_EQ(100000, len);
  weft_http_response_free(r);
  ASSERT_OK(weft_http_get(s, url, NULL, &r));
  TORTURE_EXIT_UNLESS(r->xfer->in.data == data); /* kept only if memory allowed */
  ASSERT(r->xfer->in.data == data);

  ASSERT_OK(weft_http_response_read_some(r, head, sizeof head, &len));
  ASSERT_GT(len, 0);
  ASSERT_OK(memcmp(head, want, len));
  {
    size_t first = len;

    ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
    ASSERT_EQ(1000000 - first, len);
    ASSERT_OK(memcmp(data, want + first, len));
  }
  weft_http_response_free(r);

  /* A cap well under the body: the transfer never buffers more than the
   * cap while read() waits, and read() fails. (The body comes in 30 pieces
   * 20 ms apart, so the watcher sees it grow.) */
  snprintf(url, sizeof url, "%s/drip?numbytes=600000&chunk=20000&duration=0.6", p->url);
  ASSERT_OK(weft_http_get(s, url, NULL, &r));
  {
    gather_watch w = {.r = r};
    weft_task *t;

    ASSERT_OK(weft_spawn(&t, watch_buffer, &w, NULL));
    ASSERT_EQ(-EFBIG, weft_http_response_read(r, 300000, &data, &len));
    w.stop = 1;
    ASSERT_OK(weft_await(t, NULL));
    weft_task_release(t);
    ASSERT_GT(w.most, 0);
    ASSERT_LE(w.most, 300000);
  }
  ASSERT_NULL(data);
  weft_http_response_free(r);
  ASSERT_OK(weft_http_session_close(s));
  weft_http_session_free(s);
  free(want);
  return NULL;
}

TEST_TIMEOUT(http_response_read_gathers, 60);
TEST_IMPL(http_response_read_gathers) {
  with_peer(gather_main);
  return 0;
}

/* The same body through read_any views and through read(). */
static void big_views_body(env *e) {
  char *want = seeded_bytes(BIG_LEN, 11);
  char path[64];
  weft_http_response *r;
  const void *data;
  size_t len, total = 0;

  snprintf(path, sizeof path, "/bytes/%d?seed=11", BIG_LEN);
  r = get(e, path);
  for (;;) {
    ASSERT_OK(weft_http_response_read_any(r, &data, &len));
    if (len == 0)
      break;
    ASSERT_LE(total + len, BIG_LEN);
    ASSERT_OK(memcmp(data, want + total, len));
    total += len;
  }
  ASSERT_EQ(BIG_LEN, total);
  weft_http_response_free(r);
  free(want);
  fetch_whole(e, BIG_LEN, 11);
}

TEST_TIMEOUT(http_response_large_views, 60);
TEST_IMPL(http_response_large_views) {
  with_httpbin(big_views_body);
  return 0;
}

/* ---- streaming -------------------------------------------------------- */

/* One line of /stream/n is JSON with "id": i and ends with '\n'. */
static void stream_line_is(const char *line, size_t len, int id) {
  json_error_t err;
  json_t *j;

  ASSERT_GT(len, 1);
  ASSERT_EQ('\n', line[len - 1]);
  ASSERT_NULL(memchr(line, '\n', len - 1));
  j = json_loadb(line, len, 0, &err);
  ASSERT_NOT_NULL(j);
  ASSERT_EQ(id, json_integer_value(json_object_get(j, "id")));
  json_decref(j);
}

/* Every line of a /stream/20 body (NUL-terminated) in order. */
static void stream_body_is(const char *body, size_t len) {
  const char *p = body;
  int id = 0;

  while (p < body + len) {
    const char *nl = memchr(p, '\n', (size_t)(body + len - p));

    ASSERT_NOT_NULL(nl);
    stream_line_is(p, (size_t)(nl - p) + 1, id++);
    p = nl + 1;
  }
  ASSERT_EQ(20, id);
}

static void read_line_body(env *e) {
  weft_http_response *r = get(e, "/stream/20");
  const char *line;
  size_t len;
  int id = 0;

  ASSERT_EQ(0, weft_http_response_at_eof(r));
  for (;;) {
    ASSERT_OK(weft_http_response_read_line(r, 0, &line, &len));
    if (len == 0)
      break;
    ASSERT_EQ(len, strlen(line)); /* NUL-terminated */
    stream_line_is(line, len, id++);
  }
  ASSERT_EQ(20, id);
  ASSERT_EQ(1, weft_http_response_at_eof(r));
  ASSERT_OK(weft_http_response_read_line(r, 0, &line, &len));
  ASSERT_EQ(0, len);
  ASSERT_STR_EQ(line, ""); /* not the last line again */
  weft_http_response_free(r);
}

TEST_IMPL(http_response_read_line) {
  with_httpbin(read_line_body);
  return 0;
}

/* A line over max fails with -EOVERFLOW; the lines after it read on. */
static void line_max_body(env *e) {
  weft_http_response *r = get(e, "/stream/3");
  const char *line;
  size_t len;
  int rc;

  rc = weft_http_response_read_line(r, 10, &line, &len);
  ASSERT_EQ(-EOVERFLOW, rc);
  ASSERT(strstr(weft_http_last_error(), "10") != NULL);
  ASSERT_EQ(0, len);
  weft_http_response_free(r);

  /* A last line without '\n' is still a line. */
  r = get(e, "/conn-id");
  ASSERT_OK(weft_http_response_read_line(r, 0, &line, &len));
  ASSERT_EQ(1, len);
  ASSERT_STR_EQ("1", line);
  ASSERT_OK(weft_http_response_read_line(r, 0, &line, &len));
  ASSERT_EQ(0, len);
  weft_http_response_free(r);
}

TEST_IMPL(http_response_read_line_max) {
  with_httpbin(line_max_body);
  return 0;
}

static void read_some_body(env *e) {
  weft_http_response *r = get(e, "/stream/20");
  static sink body;
  char buf[7];
  size_t len;

  ASSERT_OK(weft_http_response_read_some(r, buf, 0, &len)); /* cap 0: nothing */
  ASSERT_EQ(0, len);
  ASSERT_EQ(0, weft_http_response_at_eof(r));
  for (;;) {
    ASSERT_OK(weft_http_response_read_some(r, buf, sizeof buf, &len));
    if (len == 0)
      break;
    ASSERT_LE(len, sizeof buf);
    sink_add(&body, buf, len);
  }
  stream_body_is(body.data, body.len);
  ASSERT_EQ(1, weft_http_response_at_eof(r));
  weft_http_response_free(r);
}

TEST_IMPL(http_response_read_some) {
  with_httpbin(read_some_body);
  return 0;
}

/* read_any and read_chunk views; a chunk never crosses the boundary of a
 * piece as sent (each line of /stream/n is its own HTTP chunk). */
static void views_body(env *e) {
  for (int chunk = 0; chunk < 2; chunk++) {
    weft_http_response *r = get(e, "/stream/20");
    static sink body;
    const void *data;
    size_t len;

    body.len = 0;
    for (;;) {
      int rc = chunk ? weft_http_response_read_chunk(r, &data, &len)
                     : weft_http_response_read_any(r, &data, &len);

      ASSERT_OK(rc);
      if (len == 0)
        break;
      if (chunk) {
        const char *nl = memchr(data, '\n', len);

        ASSERT(nl == NULL || nl == (const char *)data + len - 1);
      }
      sink_add(&body, data, len);
    }
    stream_body_is(body.data, body.len);
    ASSERT_EQ(1, weft_http_response_at_eof(r));
    ASSERT_OK(weft_http_response_read_chunk(r, &data, &len));
    ASSERT_EQ(0, len);
    weft_http_response_free(r);
  }
}

TEST_IMPL(http_response_read_any_chunk) {
  with_httpbin(views_body);
  return 0;
}

/* The streaming calls mix: a line, then a few bytes, then a view, then
 * the rest with read(). */
static void mixed_body(env *e) {
  weft_http_response *r = get(e, "/stream/20");
  static sink body;
  char buf[5];
  const void *data;
  const char *line;
  size_t len;

  ASSERT_OK(weft_http_response_read_line(r, 0, &line, &len));
  stream_line_is(line, len, 0);
  sink_add(&body, line, len);
  ASSERT_OK(weft_http_response_read_some(r, buf, sizeof buf, &len));
  ASSERT_GT(len, 0);
  sink_add(&body, buf, len);
  ASSERT_EQ(0, weft_http_response_at_eof(r));
  ASSERT_OK(weft_http_response_read_any(r, &data, &len));
  ASSERT_GT(len, 0);
  sink_add(&body, data, len);
  /* read() gives the rest, and caches it. */
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  sink_add(&body, data, len);
  stream_body_is(body.data, body.len);
  ASSERT_EQ(1, weft_http_response_at_eof(r));
  weft_http_response_free(r);
}

/* A body that trickles in (/drip: one byte every 20 ms). */
static void drip_body(env *e) {
  weft_http_response *r = get(e, "/drip?numbytes=5&duration=0.1");
  static sink body;
  const void *data;
  size_t len;

  ASSERT_EQ(5, weft_http_response_content_length(r));
  for (;;) {
    ASSERT_OK(weft_http_response_read_chunk(r, &data, &len));
    if (len == 0)
      break;
    sink_add(&body, data, len);
  }
  ASSERT_STR_EQ("*****", body.data);
  ASSERT_EQ(1, weft_http_response_at_eof(r));
  weft_http_response_free(r);
}

TEST_IMPL(http_response_drip) {
  with_httpbin(drip_body);
  return 0;
}

/* HEAD: the headers of the body, no body. */
static void head_body(env *e) {
  weft_http_response *r = NULL;
  const void *data;
  size_t len;

  ASSERT_OK(weft_http_head(e->s, url_of(e, "/bytes/100"), NULL, &r));
  ASSERT_EQ(200, weft_http_response_status(r));
  ASSERT_EQ(100, weft_http_response_content_length(r));
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_EQ(0, len);
  ASSERT_EQ(1, weft_http_response_at_eof(r));
  weft_http_response_free(r);
}

TEST_IMPL(http_response_head) {
  with_httpbin(head_body);
  return 0;
}

TEST_IMPL(http_response_mixed_reads) {
  with_httpbin(mixed_body);
  return 0;
}

/* ---- release and the connection --------------------------------------- */

static void release_body(env *e) {
  char a[16], b[16], c[16], buf[100];
  weft_http_response *r;
  size_t len;

  get_text(e, "/conn-id", a, sizeof a);
  /* Read to its end: the connection goes back to the pool and is reused. */
  get_text(e, "/conn-id", b, sizeof b);
  ASSERT_STR_EQ(a, b);
  r = get(e, "/stream/5");
  while (weft_http_response_read_some(r, buf, sizeof buf, &len) == 0 && len)
    ;
  weft_http_response_release(r);
  weft_http_response_release(r); /* twice is fine */
  weft_http_response_free(r);
  get_text(e, "/conn-id", b, sizeof b);
  ASSERT_STR_EQ(a, b);
  /* Released part-way: the connection is closed. */
  r = get(e, "/bytes/1000000");
  ASSERT_OK(weft_http_response_read_some(r, buf, sizeof buf, &len));
  ASSERT_GT(len, 0);
  weft_http_response_release(r);
  weft_http_response_free(r);
  get_text(e, "/conn-id", c, sizeof c);
  ASSERT_NE(atoi(a), atoi(c));
  /* Freed unread: the same. */
  r = get(e, "/bytes/1000000");
  weft_http_response_free(r);
  get_text(e, "/conn-id", b, sizeof b);
  ASSERT_NE(atoi(c), atoi(b));
  weft_http_response_free(NULL);
}

TEST_IMPL(http_response_release) {
  with_httpbin(release_body);
  return 0;
}

/* After a part-way release the header accessors still work; the body
 * calls fail rather than report the short body as complete. */
static void after_release_body(env *e) {
  weft_http_response *r = get(e, "/bytes/200000");
  const void *data;
  const char *text;
  char buf[10];
  size_t len;

  ASSERT_OK(weft_http_response_read_some(r, buf, sizeof buf, &len));
  weft_http_response_release(r);
  ASSERT_EQ(200, weft_http_response_status(r));
  ASSERT_EQ(200000, weft_http_response_content_length(r));
  ASSERT_STR_EQ("application/octet-stream", weft_http_response_content_type(r));
  ASSERT_STR_EQ(url_of(e, "/bytes/200000"), weft_http_response_url(r));
  ASSERT_EQ(0, weft_http_response_at_eof(r));
  ASSERT_EQ(-ECONNABORTED, weft_http_response_read_some(r, buf, sizeof buf, &len));
  ASSERT_EQ(0, len);
  ASSERT_EQ(-ECONNABORTED, weft_http_response_read(r, 0, &data, &len));
  ASSERT_EQ(-ECONNABORTED, weft_http_response_read_any(r, &data, &len));
  ASSERT_EQ(-ECONNABORTED, weft_http_response_text(r, NULL, 0, &text, &len));
  weft_http_response_free(r);

  /* Released unread, even with the whole body buffered. */
  r = get(e, "/bytes/10");
  weft_http_response_release(r);
  ASSERT_EQ(-ECONNABORTED, weft_http_response_read(r, 0, &data, &len));
  weft_http_response_free(r);

  /* Released after read(): the body stays. */
  r = get(e, "/bytes/10");
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  weft_http_response_release(r);
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_EQ(10, len);
  ASSERT_EQ(1, weft_http_response_at_eof(r));
  weft_http_response_free(r);

  /* Released after streaming to the end: nothing more, and no error. */
  r = get(e, "/bytes/10");
  while (weft_http_response_read_some(r, buf, sizeof buf, &len) == 0 && len)
    ;
  weft_http_response_release(r);
  ASSERT_OK(weft_http_response_read_some(r, buf, sizeof buf, &len));
  ASSERT_EQ(0, len);
  ASSERT_EQ(1, weft_http_response_at_eof(r));
  weft_http_response_free(r);
}

TEST_IMPL(http_response_after_release) {
  with_httpbin(after_release_body);
  return 0;
}

/* ---- text ------------------------------------------------------------- */

#define GB2312_UTF8                                                                          \
  "<html><body><p>\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c</p></body></" \
  "html>\n"
#define CP1251_UTF8                                                                               \
  "<html><body><p>\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xbc\xd0\xb8\xd1\x80</p>" \
  "</body></html>\n"

static void text_is(env *e, const char *path, const char *encoding, const char *want) {
  weft_http_response *r = get(e, path);
  const char *text;
  size_t len;

  ASSERT_OK(weft_http_response_text(r, encoding, 0, &text, &len));
  ASSERT_EQ(strlen(want), len);
  ASSERT_STR_EQ(want, text);
  weft_http_response_free(r);
}

static void text_body(env *e) {
  weft_http_response *r;
  const char *text, *again;
  const void *raw;
  size_t len, rawlen;

  /* The charset of Content-Type. */
  text_is(e, "/encoding/gb2312", NULL, GB2312_UTF8);
  text_is(e, "/encoding/windows-1251", NULL, CP1251_UTF8);
  /* Named by the caller when the server does not (any case, Python's spellings). */
  text_is(e, "/encoding/gb2312?nocharset=1", "gb2312", GB2312_UTF8);
  text_is(e, "/encoding/gb2312?nocharset=1", "GB2312", GB2312_UTF8);
  text_is(e, "/encoding/windows-1251?nocharset=1", "windows-1251", CP1251_UTF8);
  text_is(e, "/encoding/windows-1251?nocharset=1", "windows_1251", CP1251_UTF8);
  text_is(e, "/encoding/windows-1251?nocharset=1", "cp1251", CP1251_UTF8);
  /* The caller's encoding wins over the header's. */
  r = get(e, "/encoding/windows-1251");
  ASSERT_OK(weft_http_response_text(r, "latin-1", 0, &text, &len));
  ASSERT_OK(strncmp(text, "<html><body><p>\xc3\x8f\xc3\xb0", 19));
  /* Another encoding on the same response decodes the same bytes again. */
  ASSERT_OK(weft_http_response_text(r, NULL, 0, &again, &len));
  ASSERT_STR_EQ(CP1251_UTF8, again);
  ASSERT_OK(weft_http_response_read(r, 0, &raw, &rawlen));
  ASSERT_EQ(strlen(CP1251_UTF8) - 9, rawlen); /* 9 letters of 2 bytes in UTF-8 */
  weft_http_response_free(r);
  /* UTF-8 by default; decoded once. */
  r = get(e, "/html");
  ASSERT_OK(weft_http_response_text(r, NULL, 0, &text, &len));
  ASSERT(strstr(text, "Moby-Dick") != NULL);
  ASSERT_EQ(len, strlen(text));
  ASSERT_OK(weft_http_response_text(r, "UTF-8", 0, &again, NULL));
  ASSERT(again == text);
  weft_http_response_free(r);
}

TEST_IMPL(http_response_text) {
  with_httpbin(text_body);
  return 0;
}

static void text_errors_body(env *e) {
  weft_http_response *r = get(e, "/encoding/gb2312?nocharset=1");
  const char *text;
  size_t len;

  /* Not UTF-8, and no charset given: undecodable. */
  ASSERT_EQ(WEFT_HTTP_EDECODE, weft_http_response_text(r, NULL, 0, &text, &len));
  ASSERT_NULL(text);
  ASSERT_EQ(0, len);
  ASSERT(strstr(weft_http_last_error(), "offset 15") != NULL);
  ASSERT(strstr(weft_http_last_error(), "utf-8") != NULL);
  /* Unless replacement is asked for: one U+FFFD per bad sequence. */
  ASSERT_OK(weft_http_response_text(r, NULL, WEFT_HTTP_TEXT_REPLACE, &text, &len));
  ASSERT_OK(strncmp(text, "<html><body><p>\xef\xbf\xbd", 18));
  ASSERT(strstr(text, "</p></body></html>\n") != NULL);
  ASSERT_EQ(len, strlen(text));
  /* The response stays usable: the right charset decodes it. */
  ASSERT_OK(weft_http_response_text(r, "gb2312", 0, &text, &len));
  ASSERT_STR_EQ(GB2312_UTF8, text);
  /* An unknown charset. */
  ASSERT_EQ(WEFT_HTTP_ECHARSET, weft_http_response_text(r, "no-such-charset", 0, &text, &len));
  ASSERT(strstr(weft_http_last_error(), "no-such-charset") != NULL);
  ASSERT_EQ(WEFT_HTTP_ECHARSET,
            weft_http_response_text(r, "no-such-charset", WEFT_HTTP_TEXT_REPLACE, &text, &len));
  /* iconv reads "" as the locale's charset and takes "//" suffixes: not
   * charset names. */
  ASSERT_EQ(WEFT_HTTP_ECHARSET, weft_http_response_text(r, "", 0, &text, &len));
  ASSERT_EQ(WEFT_HTTP_ECHARSET, weft_http_response_text(r, "gb2312//IGNORE", 0, &text, &len));
  ASSERT_EQ(WEFT_HTTP_ECHARSET, weft_http_response_text(r, "utf-8,gb2312", 0, &text, &len));
  weft_http_response_free(r);

  /* Bytes that are not valid in the named charset. */
  r = get(e, "/encoding/windows-1251?nocharset=1");
  ASSERT_EQ(WEFT_HTTP_EDECODE, weft_http_response_text(r, "ascii", 0, &text, &len));
  ASSERT(strstr(weft_http_last_error(), "offset 15") != NULL);
  ASSERT_OK(weft_http_response_text(r, "ascii", WEFT_HTTP_TEXT_REPLACE, &text, &len));
  ASSERT_OK(strncmp(text, "<html><body><p>\xef\xbf\xbd\xef\xbf\xbd", 21));
  weft_http_response_free(r);
}

TEST_IMPL(http_response_text_errors) {
  with_httpbin(text_errors_body);
  return 0;
}

/* ---- json ------------------------------------------------------------- */

static void json_body(env *e) {
  weft_http_response *r = get(e, "/json");
  json_t *j, *j2;

  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  ASSERT_STR_EQ("Yours Truly",
                json_string_value(json_object_get(json_object_get(j, "slideshow"), "author")));
  ASSERT_EQ(2, json_array_size(json_object_get(json_object_get(j, "slideshow"), "slides")));
  /* Again: the body is cached, a new value is parsed. */
  ASSERT_OK(weft_http_response_json(r, NULL, &j2));
  ASSERT(json_equal(j, j2));
  json_decref(j2);
  json_decref(j);
  weft_http_response_free(r);

  /* A compressed body is parsed as decoded. */
  r = get(e, "/gzip");
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  ASSERT(json_is_true(json_object_get(j, "gzipped")));
  json_decref(j);
  weft_http_response_free(r);

  r = get(e, "/get?k=v");
  ASSERT_OK(weft_http_response_json(r, "application/json", &j));
  ASSERT_STR_EQ("v", json_string_value(json_object_get(json_object_get(j, "args"), "k")));
  json_decref(j);
  weft_http_response_free(r);
}

TEST_IMPL(http_response_json) {
  with_httpbin(json_body);
  return 0;
}

static void json_errors_body(env *e) {
  weft_http_response *r = get(e, "/json/invalid");
  json_t *j = (json_t *)1;

  ASSERT_EQ(WEFT_HTTP_EJSON, weft_http_response_json(r, NULL, &j));
  ASSERT_NULL(j);
  ASSERT(strstr(weft_http_last_error(), "line 3 column 14") != NULL);
  weft_http_response_free(r);

  /* Not JSON by its Content-Type. */
  r = get(e, "/html");
  ASSERT_EQ(WEFT_HTTP_ECONTENT_TYPE, weft_http_response_json(r, NULL, &j));
  ASSERT_NULL(j);
  ASSERT(strstr(weft_http_last_error(), "text/html") != NULL);
  ASSERT_EQ(WEFT_HTTP_ECONTENT_TYPE, weft_http_response_json(r, "application/json", &j));
  /* The check overridden: the body is parsed (and is not JSON). */
  ASSERT_EQ(WEFT_HTTP_EJSON, weft_http_response_json(r, "text/html", &j));
  ASSERT_EQ(WEFT_HTTP_EJSON, weft_http_response_json(r, "", &j));
  ASSERT_EQ(WEFT_HTTP_ECONTENT_TYPE, weft_http_response_json(r, "text/plain", &j));
  weft_http_response_free(r);

  /* JSON text served as text/plain ("1"): parsed once the check allows it. */
  r = get(e, "/conn-id");
  ASSERT_STR_EQ("text/plain", weft_http_response_content_type(r));
  ASSERT_EQ(WEFT_HTTP_ECONTENT_TYPE, weft_http_response_json(r, NULL, &j));
  ASSERT_OK(weft_http_response_json(r, "", &j));
  ASSERT(json_is_integer(j));
  json_decref(j);
  ASSERT_OK(weft_http_response_json(r, "TEXT/PLAIN", &j));
  ASSERT(json_is_integer(j));
  json_decref(j);
  weft_http_response_free(r);

  /* A JSON body under a +json media type with a charset is JSON. */
  r = get(e, "/response-headers?Content-Type=application/problem%2Bjson;%20charset=utf-8");
  ASSERT_STR_EQ("application/problem+json", weft_http_response_content_type(r));
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  ASSERT(json_is_object(j));
  json_decref(j);
  weft_http_response_free(r);

  /* No body and no Content-Type. */
  r = get(e, "/status/204");
  ASSERT_EQ(WEFT_HTTP_ECONTENT_TYPE, weft_http_response_json(r, NULL, &j));
  ASSERT_OK(weft_http_response_json(r, "", &j));
  ASSERT(json_is_null(j)); /* aiohttp: None for an empty body */
  json_decref(j);
  weft_http_response_free(r);
}

TEST_IMPL(http_response_json_errors) {
  with_httpbin(json_errors_body);
  return 0;
}

/* ---- decoding, without a peer ------------------------------------------ */

#define FFFD "\xef\xbf\xbd"

/* data decoded with REPLACE gives want (as Python's 'replace' handler);
 * without it, WEFT_HTTP_EDECODE at offset off. */
static void decodes(const char *charset, const char *data, size_t len, const char *want,
                    size_t off) {
  char *out = NULL, at[32];
  size_t outlen;

  ASSERT_OK(weft__http_decode_text(charset, WEFT_HTTP_TEXT_REPLACE, data, len, &out, &outlen));
  ASSERT_EQ(strlen(want), outlen);
  ASSERT_STR_EQ(want, out);
  weft_free(out);
  if (off == (size_t)-1)
    return;
  ASSERT_EQ(WEFT_HTTP_EDECODE, weft__http_decode_text(charset, 0, data, len, &out, &outlen));
  ASSERT_NULL(out);
  snprintf(at, sizeof at, "at offset %zu", off);
  ASSERT(strstr(weft_http_last_error(), at) != NULL);
}

TEST_IMPL(http_response_decode) {
  char *out;
  size_t len;

  /* UTF-8, strictly: one U+FFFD per maximal invalid subsequence. */
  decodes(NULL, "plain", 5, "plain", (size_t)-1);
  decodes("UTF-8", "\xed\xa0\x80", 3, FFFD FFFD FFFD, 0); /* a surrogate */
  decodes("utf8", "\xf0\x9f\x98", 3, FFFD, 0);            /* cut short at the end */
  decodes("utf_8",
          "\xe2\x82"
          "A",
          3, FFFD "A", 0);
  decodes(NULL, "\xc0\xaf", 2, FFFD FFFD, 0);                   /* overlong */
  decodes(NULL, "\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD, 0); /* past U+10FFFF */
  decodes(NULL,
          "a\xff"
          "b",
          3, "a" FFFD "b", 1);
  decodes(NULL, "\xf5\x80", 2, FFFD FFFD, 0);
  decodes(NULL, "\xef\xbb\xbfhi", 5, "\xef\xbb\xbfhi", (size_t)-1); /* the BOM is kept */
  /* Through iconv. */
  decodes("gb2312", "\xc4\xe3\xc4", 3, "\xe4\xbd\xa0" FFFD, 2);
  decodes("GB2312", "\xc4\xe3", 2, "\xe4\xbd\xa0", (size_t)-1);
  decodes("latin-1", "caf\xe9", 4, "caf\xc3\xa9", (size_t)-1);
  decodes("windows_1251", "\xcf", 1, "\xd0\x9f", (size_t)-1);
  decodes("ascii",
          "a\x80"
          "b",
          3, "a" FFFD "b", 1);
  /* NUL is a character: the length counts it. */
  ASSERT_OK(weft__http_decode_text(NULL, 0, "a\0b", 3, &out, &len));
  ASSERT_EQ(3, len);
  ASSERT_OK(memcmp(out, "a\0b", 4));
  weft_free(out);
  ASSERT_OK(weft__http_decode_text("latin1", 0, "a\0b", 3, &out, &len));
  ASSERT_EQ(3, len);
  ASSERT_OK(memcmp(out, "a\0b", 4));
  weft_free(out);
  /* Empty input. */
  ASSERT_OK(weft__http_decode_text("gb2312", 0, "", 0, &out, NULL));
  ASSERT_STR_EQ("", out);
  weft_free(out);
  ASSERT_OK(weft__http_decode_text(NULL, 0, "", 0, &out, NULL));
  ASSERT_STR_EQ("", out);
  weft_free(out);
  /* Names that are not charsets. */
  ASSERT_EQ(WEFT_HTTP_ECHARSET, weft__http_decode_text("x-unknown", 0, "a", 1, &out, NULL));
  ASSERT_NULL(out);
  ASSERT_EQ(WEFT_HTTP_ECHARSET, weft__http_decode_text("", 0, "a", 1, &out, NULL));
  ASSERT_EQ(WEFT_HTTP_ECHARSET, weft__http_decode_text("ascii//TRANSLIT", 0, "a", 1, &out, NULL));
  ASSERT_EQ(WEFT_HTTP_ECHARSET, weft__http_decode_text("utf-8 ", 0, "a", 1, &out, NULL));
  {
    char name[80];

    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    ASSERT_EQ(WEFT_HTTP_ECHARSET, weft__http_decode_text(name, 0, "a", 1, &out, NULL));
    ASSERT(strlen(weft_http_last_error()) < 120); /* the name is cut in the message */
  }
  return 0;
}

/* The Content-Type check of json(). */
TEST_IMPL(http_response_json_type) {
  ASSERT(weft__http_json_type_ok("application/json", NULL));
  ASSERT(weft__http_json_type_ok("Application/JSON", NULL));
  ASSERT(weft__http_json_type_ok("application/vnd.api+json", NULL));
  ASSERT(weft__http_json_type_ok("application/problem+json", "application/json"));
  ASSERT(!weft__http_json_type_ok("application/+json", NULL));
  ASSERT(!weft__http_json_type_ok("text/json", NULL));
  ASSERT(!weft__http_json_type_ok("application/jsonx", NULL));
  ASSERT(!weft__http_json_type_ok("text/html", NULL));
  ASSERT(!weft__http_json_type_ok(NULL, NULL));
  ASSERT(weft__http_json_type_ok(NULL, ""));
  ASSERT(weft__http_json_type_ok("text/html", ""));
  ASSERT(weft__http_json_type_ok("text/html", "TEXT/HTML"));
  ASSERT(!weft__http_json_type_ok("text/html", "text/plain"));
  return 0;
}

/* JSON text: values of any kind, blank bodies, errors with their place. */
TEST_IMPL(http_response_json_parse) {
  json_t *j;

  ASSERT_OK(weft__http_parse_json("[1, 2]", 6, &j));
  ASSERT_EQ(2, json_array_size(j));
  json_decref(j);
  ASSERT_OK(weft__http_parse_json("\"s\"", 3, &j));
  ASSERT_STR_EQ("s", json_string_value(j));
  json_decref(j);
  ASSERT_OK(weft__http_parse_json(" \r\n\t", 4, &j));
  ASSERT(json_is_null(j));
  ASSERT_OK(weft__http_parse_json("", 0, &j));
  ASSERT(json_is_null(j));
  ASSERT_OK(weft__http_parse_json("{\"a\": 1} trailing", 8, &j)); /* the length given */
  json_decref(j);
  ASSERT_EQ(WEFT_HTTP_EJSON, weft__http_parse_json(" \0 ", 3, &j));
  ASSERT_NULL(j);
  ASSERT_EQ(WEFT_HTTP_EJSON, weft__http_parse_json("{\"a\": 1} x", 10, &j));
  ASSERT_EQ(WEFT_HTTP_EJSON, weft__http_parse_json("[1,\n 2,\n x]", 11, &j));
  ASSERT(strstr(weft_http_last_error(), "line 3 column 2") != NULL);
  ASSERT_EQ(WEFT_HTTP_EJSON, weft__http_parse_json("{\"a\": ", 6, &j));
  return 0;
}
