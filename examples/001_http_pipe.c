/*
 * Port of seed 001's GET -> POST pipe: "从一个url获取文件后,直接post给另一个
 * url,并计算hash值". feed_stream() reads the download with readany(),
 * updates a SHA-256 with each chunk and feeds it to a stream; a task
 * started with loop.create_task posts that stream as it fills (a chunked
 * upload: the size is not known). The queue between them holds 4 chunks,
 * so neither side runs ahead of the other.
 *
 * The upload goes to /upload-sha256, which answers with the hash and size
 * of what it received. The base URL comes from WEFT_HTTPBIN (default
 * https://httpbin.org).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <weft.h>

#define SIZE 102400

static char base[256];
static weft_http_session *session;

typedef struct chunk {
  size_t len;
  char data[];
} chunk;

/* The StreamReader between the two requests: a queue of chunks, NULL at the end. */
typedef struct stream {
  weft_queue q;
  chunk *cur;
  size_t off;
} stream;

/* The POST's body source: the next bytes of the stream (0 bytes: the end). */
static int stream_read(void *arg, void *buf, size_t cap, size_t *len) {
  stream *st = arg;
  int rc;

  *len = 0;
  if (!st->cur) {
    if ((rc = weft_queue_get(&st->q, (void **)&st->cur)) != 0)
      return rc;
    if (!st->cur) /* feed_eof() */
      return 0;
    st->off = 0;
  }
  *len = st->cur->len - st->off < cap ? st->cur->len - st->off : cap;
  memcpy(buf, st->cur->data + st->off, *len);
  if ((st->off += *len) == st->cur->len) {
    weft_free(st->cur);
    st->cur = NULL;
  }
  return 0;
}

static void drop(void *item, void *arg) {
  (void)arg;
  weft_free(item);
}

/* session.post(url, data=stream): print what the server received. */
static void *post(void *arg) {
  weft_http_request_opts o = {.source = stream_read, .source_arg = arg, .source_len = -1};
  weft_http_response *r;
  json_t *j;
  char u[512];
  int rc;

  snprintf(u, sizeof u, "%s/upload-sha256", base);
  if ((rc = weft_http_post(session, u, &o, &r)) == 0 &&
      (rc = weft_http_response_json(r, NULL, &j)) == 0) {
    printf("POST %s: %d, the server got %lld bytes, sha256 %s\n", u, weft_http_response_status(r),
           json_integer_value(json_object_get(j, "bytes")),
           json_string_value(json_object_get(j, "sha256")));
    json_decref(j);
  }
  weft_http_response_free(r);
  weft_queue_shutdown(&((stream *)arg)->q, 1, drop, NULL); /* the feeder stops if we failed */
  return rc ? weft_fail(rc, "%s", weft_http_last_error()) : NULL;
}

/* stream.feed_data(chunk), copying the view readany() gave */
static int feed_data(stream *st, const void *data, size_t len) {
  chunk *c = weft_malloc(sizeof *c + len);
  int rc;

  if (!c)
    return -ENOMEM;
  c->len = len;
  memcpy(c->data, data, len);
  if ((rc = weft_queue_put(&st->q, c)) != 0)
    weft_free(c);
  return rc;
}

/* async def feed_stream(resp, stream): h = hashlib.sha256() ... return h.hexdigest() */
static int feed_stream(weft_http_response *resp, stream *st, char hex[65]) {
  EVP_MD_CTX *h = EVP_MD_CTX_new();
  unsigned char md[32];
  const void *data;
  size_t n, total = 0;
  int rc;

  if (!h || !EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
    EVP_MD_CTX_free(h);
    return -ENOMEM;
  }
  while ((rc = weft_http_response_read_any(resp, &data, &n)) == 0 && n > 0) {
    EVP_DigestUpdate(h, data, n);
    if ((rc = feed_data(st, data, n)) != 0)
      break;
    total += n;
  }
  EVP_DigestFinal_ex(h, md, NULL);
  EVP_MD_CTX_free(h);
  for (int i = 0; i < 32; i++)
    sprintf(hex + 2 * i, "%02x", md[i]);
  printf("fed %zu bytes to the stream\n", total);
  return rc;
}

static int pipe_urls(void) {
  stream st = {.cur = NULL};
  weft_http_response *resp;
  weft_task *poster = NULL;
  char u[512], hex[65];
  int rc;

  weft_queue_init(&st.q, WEFT_QUEUE_FIFO, 4, NULL);
  snprintf(u, sizeof u, "%s/bytes/%d", base, SIZE);
  if ((rc = weft_http_get(session, u, NULL, &resp)) == 0) {
    printf("GET %s: %d\n", u, weft_http_response_status(resp));
    if ((rc = weft_spawn(&poster, post, &st, NULL)) == 0 &&
        (rc = feed_stream(resp, &st, hex)) == 0 && (rc = weft_queue_put(&st.q, NULL)) == 0)
      printf("file_hash = %s\n", hex);
    weft_http_response_free(resp);
  }
  if (poster && rc != 0)
    weft_task_cancel(poster);
  if (poster) {
    int prc = weft_await(poster, NULL);
    rc = prc ? prc : rc; /* the POST's failure is the first cause */
    weft_task_release(poster);
  }
  weft_free(st.cur);
  weft_queue_destroy(&st.q, drop, NULL);
  return rc;
}

static void *amain(void *arg) {
  int rc;

  (void)arg;
  if ((rc = weft_http_session_new(&session, NULL)) != 0)
    return weft_fail(rc, "session");
  if ((rc = pipe_urls()) != 0)
    printf("error: %s: %s\n", weft_err_name(rc), weft_http_last_error());
  weft_http_session_close(session);
  weft_http_session_free(session);
  return rc ? weft_fail(rc, "pipe") : NULL;
}

int main(void) {
  const char *b = getenv("WEFT_HTTPBIN");

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://httpbin.org");
  return weft_run(amain, NULL, NULL) ? 1 : 0;
}
