/*
 * The whole body: read() (the rest of the body after any streaming reads,
 * cached as aiohttp caches it), text() (decoded to UTF-8, cached per
 * charset and flags) and json() (aiohttp's content-type check, jansson).
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http/internal.h"

static size_t first_cap(weft_http_response *r, size_t max) {
  int64_t cl = weft_http_response_content_length(r);
  size_t cap = 16384;

  if (cl > 0 && (uint64_t)cl < ((size_t)64 << 20))
    cap = (size_t)cl + 1; /* a gzip body can still grow past it */
  if (max && cap > max + 1)
    cap = max + 1;
  return cap;
}

/* Room for n more bytes and the NUL. */
static int body_room(weft_http_response *r, size_t n, size_t max) {
  size_t cap = r->body_cap ? r->body_cap : first_cap(r, max);
  char *p;

  if (!r->body && (p = weft__http_body_take(r->session, cap, &r->body_cap)) != NULL) {
    r->body = p;
    cap = r->body_cap;
  }

  while (cap < r->body_len + n + 1)
    cap = cap < ((size_t)1 << 20) ? cap * 2 : cap + cap / 2;
  if (cap == r->body_cap)
    return 0;
  p = weft_realloc(r->body, cap);
  if (!p)
    return weft__http_fail(-ENOMEM, NULL);
  r->body = p;
  r->body_cap = cap;
  return 0;
}

/* max, and the request's max_body, whichever is tighter (0: none). */
static size_t effective_max(const weft_http_response *r, size_t max) {
  if (r->max_body && (!max || r->max_body < max))
    return r->max_body;
  return max;
}

/* Taking n more bytes would pass read()'s max (on what read() returns)
 * or the request's max_body (on the whole body, streamed parts included). */
static int over(weft_http_response *r, size_t max, size_t n) {
  if (max && r->body_len + n > max)
    return weft__http_response_too_big(r, max);
  if (r->max_body && r->consumed + n > r->max_body)
    return weft__http_response_too_big(r, r->max_body);
  return 0;
}

/* How many more bytes the transfer may buffer before read(max) or the
 * request's max_body is passed (SIZE_MAX: no bound). */
static size_t fill_limit(const weft_http_response *r, size_t max) {
  size_t limit = SIZE_MAX;

  if (max)
    limit = max > r->body_len ? max - r->body_len : 0;
  if (r->max_body) {
    uint64_t left = r->consumed < r->max_body ? r->max_body - r->consumed : 0;

    if (left < limit)
      limit = (size_t)left;
  }
  return limit;
}

/* Let the rest of the body arrive in one buffer and, when none of it was
 * read before, take that buffer as the body instead of copying it. */
static int gather(weft_http_response *r, size_t max) {
  size_t refused, n, len, cap;
  int rc;

  rc = weft__http_body_fill(r, fill_limit(r, max), r->body ? 0 : first_cap(r, max), &refused);
  if (rc < 0)
    return rc;
  weft__http_body_peek(r, &n);
  rc = over(r, max, n + refused);
  if (rc < 0 || r->body || r->body_len)
    return rc;
  if ((r->body = weft__http_body_adopt(r, &len, &cap)) != NULL) {
    r->body_len = len;
    r->body_cap = cap;
    r->consumed += len;
  }
  return 0;
}

static int read_rest(weft_http_response *r, size_t max) {
  const char *p;
  size_t n;
  int rc;

  rc = gather(r, max);
  if (rc < 0)
    return rc;
  for (;;) {
    rc = weft__http_body_wait(r);
    if (rc < 0)
      return rc;
    p = weft__http_body_peek(r, &n);
    if (n == 0)
      break;
    rc = over(r, max, n);
    if (rc == 0)
      rc = body_room(r, n, effective_max(r, max));
    if (rc < 0)
      return rc;
    memcpy(r->body + r->body_len, p, n);
    r->body_len += n;
    r->consumed += n;
    weft__http_body_consume(r, n);
  }
  rc = body_room(r, 0, effective_max(r, max));
  if (rc < 0)
    return rc;
  r->body[r->body_len] = '\0';
  r->body_done = 1;
  return 0;
}

int weft_http_response_read(weft_http_response *r, size_t max, const void **data, size_t *len) {
  int rc;

  *data = NULL;
  if (len)
    *len = 0;
  if (!r->body_done) {
    rc = weft__http_response_enter(r);
    if (rc < 0)
      return rc;
    rc = read_rest(r, max);
    if (rc < 0)
      return rc;
  } else if (max && r->body_len > max) {
    return weft__http_fail(-EFBIG, "response body larger than %zu bytes", max);
  }
  *data = r->body;
  if (len)
    *len = r->body_len;
  return 0;
}

static int same_charset(const char *a, const char *b) {
  if (!a || !b)
    return a == b;
  return strcasecmp(a, b) == 0;
}

static int decode(weft_http_response *r, const char *charset, int flags) {
  char *copy = NULL;
  int rc;

  if (charset && !(copy = weft_strdup(charset)))
    return weft__http_fail(-ENOMEM, NULL);
  weft_free(r->text);
  weft_free(r->text_charset);
  r->text = NULL;
  r->text_ok = 0;
  r->text_charset = copy;
  r->text_flags = flags;
  rc = weft__http_decode_text(charset, flags, r->body, r->body_len, &r->text, &r->text_len);
  if (rc < 0)
    return rc;
  r->text_ok = 1;
  return 0;
}

int weft_http_response_text(weft_http_response *r, const char *encoding, int flags,
                            const char **text, size_t *len) {
  const void *data;
  const char *charset;
  int rc;

  *text = NULL;
  if (len)
    *len = 0;
  rc = weft_http_response_read(r, 0, &data, NULL);
  if (rc == 0 && !encoding)
    rc = weft__http_response_parse_ct(r);
  if (rc < 0)
    return rc;
  charset = encoding ? encoding : weft_http_response_charset(r);
  if (!(r->text_ok && r->text_flags == flags && same_charset(r->text_charset, charset))) {
    rc = decode(r, charset, flags);
    if (rc < 0)
      return rc;
  }
  *text = r->text;
  if (len)
    *len = r->text_len;
  return 0;
}

static int is_utf8(const char *charset) {
  return !charset || !strcasecmp(charset, "utf-8") || !strcasecmp(charset, "utf8") ||
         !strcasecmp(charset, "us-ascii") || !strcasecmp(charset, "ascii");
}

int weft_http_response_json(weft_http_response *r, const char *content_type, struct json_t **out) {
  const char *media, *charset, *text;
  const void *data;
  size_t len;
  int rc;

  *out = NULL;
  rc = weft_http_response_read(r, 0, &data, &len);
  if (rc == 0)
    rc = weft__http_response_parse_ct(r);
  if (rc < 0)
    return rc;
  media = weft_http_response_content_type(r);
  if (!weft__http_json_type_ok(media, content_type)) {
    const char *ct = weft_http_response_header(r, "Content-Type");

    return weft__http_fail(WEFT_HTTP_ECONTENT_TYPE,
                           "Attempt to decode JSON with unexpected mimetype: %s", ct ? ct : "");
  }
  charset = weft_http_response_charset(r);
  if (is_utf8(charset))
    return weft__http_parse_json(data, len, out);
  rc = weft_http_response_text(r, charset, 0, &text, &len);
  if (rc < 0)
    return rc;
  return weft__http_parse_json(text, len, out);
}
