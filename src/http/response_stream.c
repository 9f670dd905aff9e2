/*
 * Streaming reads of the body (aiohttp's resp.content): read(n), readany,
 * readchunk, readline and at_eof. Views into the transfer's buffer are
 * consumed at the next call on the response, so they stay valid until
 * then; lines are assembled (and NUL-terminated) in r->line.
 */
#include <errno.h>
#include <string.h>

#include "http/internal.h"

#define LINE_MAX_DEFAULT ((size_t)64 * 1024)

static void settle(weft_http_response *r) {
  if (r->pending) {
    weft__http_body_consume(r, r->pending);
    r->pending = 0;
  }
  r->line.off = r->line.len = 0;
}

int weft__http_response_enter(weft_http_response *r) {
  settle(r);
  if (r->err == -EFBIG)
    return weft__http_fail(-EFBIG, "response body larger than the maximum");
  if (r->err)
    return weft__http_fail(r->err, NULL);
  return 0;
}

int weft__http_response_too_big(weft_http_response *r, size_t max) {
  r->pending = 0;
  weft__http_xfer_release(r);
  r->err = -EFBIG;
  return weft__http_fail(-EFBIG, "response body larger than %zu bytes", max);
}

/* The buffered bytes, waiting for some unless the body has ended (then
 * *n is 0). read() having taken the whole body leaves nothing. */
static int fill(weft_http_response *r, const char **p, size_t *n) {
  int rc;

  *p = "";
  *n = 0;
  if (r->body_done)
    return 0;
  rc = weft__http_body_wait(r);
  if (rc < 0)
    return rc;
  *p = weft__http_body_peek(r, n);
  return 0;
}

/* Hand out n bytes, checked against the request's max_body. */
static int account(weft_http_response *r, size_t n) {
  if (r->max_body && r->consumed + n > r->max_body)
    return weft__http_response_too_big(r, r->max_body);
  r->consumed += n;
  return 0;
}

int weft_http_response_read_some(weft_http_response *r, void *buf, size_t cap, size_t *len) {
  const char *p;
  size_t n;
  int rc;

  *len = 0;
  rc = weft__http_response_enter(r);
  if (rc < 0 || cap == 0)
    return rc;
  rc = fill(r, &p, &n);
  if (rc < 0 || n == 0)
    return rc;
  if (n > cap)
    n = cap;
  rc = account(r, n);
  if (rc < 0)
    return rc;
  memcpy(buf, p, n);
  weft__http_body_consume(r, n);
  *len = n;
  return 0;
}

static int view(weft_http_response *r, int chunk, const void **data, size_t *len) {
  const char *p = "";
  size_t n = 0, c;
  int rc;

  *data = "";
  *len = 0;
  rc = weft__http_response_enter(r);
  if (rc == 0)
    rc = fill(r, &p, &n);
  if (rc < 0 || n == 0)
    return rc;
  c = chunk ? weft__http_body_chunk_len(r) : 0;
  if (c > 0 && c < n)
    n = c;
  rc = account(r, n);
  if (rc < 0)
    return rc;
  r->pending = n;
  *data = p;
  *len = n;
  return 0;
}

int weft_http_response_read_any(weft_http_response *r, const void **data, size_t *len) {
  return view(r, 0, data, len);
}

int weft_http_response_read_chunk(weft_http_response *r, const void **data, size_t *len) {
  return view(r, 1, data, len);
}

/* Append n bytes to the line (kept NUL-terminated). */
static int line_add(weft_http_response *r, const char *p, size_t n) {
  if (weft__http_buf_append(&r->line, p, n) < 0)
    return weft__http_fail(-ENOMEM, NULL);
  return 0;
}

/* One step: take bytes up to '\n' (or all) into the line. 1: line done. */
static int line_step(weft_http_response *r, size_t max, const char *p, size_t n) {
  const char *nl = memchr(p, '\n', n);
  size_t take = nl ? (size_t)(nl - p) + 1 : n;
  int rc;

  if (r->line.len + take > max) {
    weft__http_body_consume(r, take);
    r->line.len = 0;
    return weft__http_fail(-EOVERFLOW, "line longer than %zu bytes", max);
  }
  rc = account(r, take);
  if (rc == 0)
    rc = line_add(r, p, take);
  if (rc < 0)
    return rc;
  weft__http_body_consume(r, take);
  return nl != NULL;
}

int weft_http_response_read_line(weft_http_response *r, size_t max, const char **line,
                                 size_t *len) {
  const char *p;
  size_t n;
  int rc;

  *line = "";
  *len = 0;
  if (max == 0)
    max = LINE_MAX_DEFAULT;
  rc = weft__http_response_enter(r);
  while (rc == 0) {
    rc = fill(r, &p, &n);
    if (rc < 0 || n == 0)
      break;
    rc = line_step(r, max, p, n);
  }
  if (rc < 0)
    return rc;
  *line = r->line.len ? r->line.data : ""; /* at the end: "", not the last line */
  *len = r->line.len;
  return 0;
}

int weft_http_response_at_eof(const weft_http_response *cr) {
  weft_http_response *r = (weft_http_response *)cr;
  size_t n;

  if (r->body_done || !r->xfer)
    return !r->err || r->body_done;
  if (r->err)
    return 0;
  settle(r); /* at_eof is a call on r: the last view is done with */
  weft__http_body_peek(r, &n);
  return n == 0 && weft__http_body_ended(r);
}
