/*
 * Reading: read(n), read(-1), readexactly, readuntil, readline and line
 * iteration. Data stays in the stream's buffer until a call returns it, so
 * an interrupted read loses nothing.
 */
#include <errno.h>
#include <string.h>

#include "stream.h"

/* What a read returns once the buffer cannot satisfy it: 0 at a clean end
 * of file, the connection's error otherwise. */
static int end_code(const weft_stream *s) {
  return s->err;
}

/* Wait until something is buffered or the stream ended. */
static int wait_some(weft_stream *s, const char *what) {
  int rc;

  while (s->rbuf.len == 0 && !s->eof) {
    rc = weft__stream_wait_data(s, what);
    if (rc)
      return rc;
  }
  return 0;
}

int weft_stream_read_view(weft_stream *s, size_t n, const char **data, size_t *len) {
  int rc;

  *data = NULL;
  *len = 0;
  if ((rc = weft__stream_begin_read(s)) != 0)
    return rc;
  if (n == 0)
    return 0;
  if ((rc = wait_some(s, "stream read")) != 0)
    return rc;
  if (s->rbuf.len == 0)
    return end_code(s);
  *len = n < s->rbuf.len ? n : s->rbuf.len;
  *data = weft__sbuf_take_view(&s->rbuf, *len);
  weft__stream_consumed(s);
  return 0;
}

/* Wait with buf offered to on_data. Data it copied there is returned even
 * if an interruption came after (nothing is lost). */
static int wait_direct(weft_stream *s, void *buf, size_t n, size_t *got) {
  int rc;

  s->direct_buf = buf;
  s->direct_cap = n;
  s->direct_got = 0;
  rc = weft__stream_wait_data(s, "stream read");
  *got = s->direct_got;
  s->direct_buf = NULL;
  s->direct_got = 0;
  return *got ? 0 : rc;
}

int weft_stream_read(weft_stream *s, void *buf, size_t n, size_t *got) {
  size_t take;
  int rc;

  *got = 0;
  if ((rc = weft__stream_begin_read(s)) != 0)
    return rc;
  if (n == 0)
    return 0;
  while (s->rbuf.len == 0 && !s->eof) {
    if ((rc = wait_direct(s, buf, n, got)) != 0 || *got)
      return rc;
  }
  if (s->rbuf.len == 0)
    return end_code(s);
  take = n < s->rbuf.len ? n : s->rbuf.len;
  memcpy(buf, weft__sbuf_head(&s->rbuf), take);
  weft__sbuf_consume(&s->rbuf, take);
  weft__stream_consumed(s);
  *got = take;
  return 0;
}

/* Wait until at least n bytes are buffered or the stream ended. */
static int wait_for_len(weft_stream *s, size_t n, const char *what) {
  int rc;

  while (s->rbuf.len < n && !s->eof) {
    rc = weft__stream_wait_data(s, what);
    if (rc)
      return rc;
  }
  return 0;
}

int weft_stream_read_exactly(weft_stream *s, void *buf, size_t n, size_t *got) {
  size_t take;
  int rc;

  *got = 0;
  if ((rc = weft__stream_begin_read(s)) != 0)
    return rc;
  if ((rc = wait_for_len(s, n, "stream read_exactly")) != 0)
    return rc;
  take = n < s->rbuf.len ? n : s->rbuf.len;
  if (take)
    memcpy(buf, weft__sbuf_head(&s->rbuf), take);
  weft__sbuf_consume(&s->rbuf, take);
  weft__stream_consumed(s);
  *got = take;
  if (take == n)
    return 0;
  return s->err ? s->err : -EPIPE;
}

int weft_stream_read_all(weft_stream *s, char **out, size_t *len) {
  char *copy;
  int rc;

  *out = NULL;
  *len = 0;
  if ((rc = weft__stream_begin_read(s)) != 0)
    return rc;
  while (!s->eof) {
    if ((rc = weft__stream_wait_data(s, "stream read_all")) != 0)
      return rc;
  }
  if (s->err) /* not the whole stream: what came stays buffered for read() */
    return s->err;
  copy = weft_malloc(s->rbuf.len + 1);
  if (!copy)
    return -ENOMEM;
  if (s->rbuf.len)
    memcpy(copy, weft__sbuf_head(&s->rbuf), s->rbuf.len);
  copy[s->rbuf.len] = '\0';
  *out = copy;
  *len = s->rbuf.len;
  weft__sbuf_consume(&s->rbuf, s->rbuf.len);
  return 0;
}

/* Find sep, waiting for more data. 0 and *pos (the separator's offset),
 * 1 when the stream ended first, -ENOBUFS past the limit, or an
 * interruption code. */
static int find_sep(weft_stream *s, const void *sep, size_t seplen, size_t *pos) {
  size_t from = 0;
  int rc;

  for (;;) {
    *pos = weft__sbuf_find(&s->rbuf, sep, seplen, from);
    if (*pos != WEFT__SBUF_NPOS)
      return *pos > s->limit ? -ENOBUFS : 0;
    if (s->rbuf.len >= seplen && s->rbuf.len - seplen + 1 > s->limit)
      return -ENOBUFS;
    if (s->eof)
      return 1;
    if (s->rbuf.len >= seplen)
      from = s->rbuf.len - seplen + 1;
    if ((rc = weft__stream_wait_data(s, "stream read_until")) != 0)
      return rc;
  }
}

/* Shared by read_until and read_line: *ended tells an end of file. */
static int until(weft_stream *s, const void *sep, size_t seplen, const char **data, size_t *len,
                 int *ended) {
  size_t pos, n;
  int rc;

  *data = NULL;
  *len = 0;
  *ended = 0;
  if (!sep || seplen == 0)
    return -EINVAL;
  if ((rc = weft__stream_begin_read(s)) != 0)
    return rc;
  rc = find_sep(s, sep, seplen, &pos);
  if (rc < 0)
    return rc;
  *ended = rc == 1;
  n = rc == 1 ? s->rbuf.len : pos + seplen;
  *len = n;
  *data = n ? weft__sbuf_take_view(&s->rbuf, n) : "";
  weft__stream_consumed(s);
  return 0;
}

int weft_stream_read_until(weft_stream *s, const void *sep, size_t seplen, const char **data,
                           size_t *len) {
  int ended;
  int rc = until(s, sep, seplen, data, len, &ended);

  if (rc == 0 && ended)
    return s->err ? s->err : -EPIPE;
  return rc;
}

int weft_stream_read_line(weft_stream *s, const char **line, size_t *len) {
  int ended;
  int rc = until(s, "\n", 1, line, len, &ended);

  if (rc == 0 && ended && *len == 0)
    return end_code(s);
  return rc;
}

int weft_stream_read_line_dup(weft_stream *s, char **line, size_t *len) {
  const char *view;
  int rc = weft_stream_read_line(s, &view, len);

  *line = NULL;
  if (rc)
    return rc;
  *line = weft_malloc(*len + 1);
  if (!*line)
    return -ENOMEM;
  memcpy(*line, view, *len);
  (*line)[*len] = '\0';
  return 0;
}

int weft_stream_next_line(weft_stream *s, const char **line, size_t *len) {
  int rc = weft_stream_read_line(s, line, len);

  if (rc)
    return rc;
  return *len > 0;
}

int weft_stream_at_eof(const weft_stream *s) {
  return s->eof && s->rbuf.len == 0;
}

size_t weft_stream_buffered(const weft_stream *s) {
  return s->rbuf.len;
}

int weft_stream_set_limit(weft_stream *s, size_t limit) {
  if (!s || limit == 0)
    return -EINVAL;
  s->limit = limit;
  return 0;
}

size_t weft_stream_limit(const weft_stream *s) {
  return s->limit;
}
