/*
 * Reading: read(n), read() to the end. Small reads are served from the
 * buffer; a read at least as large as the buffer goes straight into the
 * caller's memory. Reads of cached data run on the loop thread
 * (read_inline.c), the others on the thread pool. An interrupted read
 * puts the position back where the call started.
 */
#include <string.h>

#include "internal.h"

/* One read request: the count (0 at EOF) or an errno, and in *code the
 * interruption that came meanwhile (the count stands: it was read). */
static int64_t pread_counted(weft_file *f, char *buf, size_t n, int *code) {
  weft__fs_req r;
  weft_loop *loop;
  uv_buf_t b = uv_buf_init(buf, n > 1u << 30 ? 1u << 30 : (unsigned)n);
  int64_t at = (f->flags & WEFT__F_STREAM) ? -1 : f->raw_pos;
  int64_t rc;

  if ((*code = weft__fs_begin(&r, &loop)) != 0)
    return 0;
  if (weft__stream_inline(f) && (rc = weft__stream_io(f, buf, n, 0, code)) != -EAGAIN)
    return rc;
  if ((rc = weft__file_pread_inline(f, buf, n)) != -EAGAIN) {
    if (rc < 0) /* an interruption while it yielded */
      *code = (int)rc;
    return rc < 0 ? 0 : rc;
  }
  weft__file_pread_pooled();
  *code = weft__fs_wait(&r, uv_fs_read(&loop->uv, &r.req, f->fd, &b, 1, at, weft__fs_cb));
  rc = r.req.result;
  if (rc > 0)
    f->raw_pos += rc;
  uv_fs_req_cleanup(&r.req);
  return rc;
}

int64_t weft__file_pread(weft_file *f, char *buf, size_t n) {
  int code;
  int64_t rc = pread_counted(f, buf, n, &code);

  return code ? code : rc;
}

/* A reader that consumed a whole buffer gets a larger one: fewer
 * thread-pool round trips for streaming reads and line iteration. */
static void maybe_grow(weft_file *f) {
  char *p;

  if (f->rlen != f->rcap || f->rpos != f->rlen || f->rcap >= WEFT__READ_BUFFER_MAX)
    return;
  if ((p = weft_realloc(f->rbuf, f->rcap * 2)) != NULL) {
    f->rbuf = p;
    f->rcap *= 2;
  }
}

/* A stream cannot be read again: the buffer keeps rbuf[mark..rlen), what
 * the current call took and what it has not, and grows as needed. */
static int64_t stream_fill(weft_file *f) {
  int64_t rc;
  int code;
  char *p;

  memmove(f->rbuf, f->rbuf + f->mark, f->rlen - f->mark);
  f->rlen -= f->mark;
  f->rpos -= f->mark;
  f->mark = 0;
  if (f->rlen == f->rcap) {
    if (!(p = weft_realloc(f->rbuf, f->rcap * 2)))
      return -ENOMEM;
    f->rbuf = p;
    f->rcap *= 2;
  }
  rc = pread_counted(f, f->rbuf + f->rlen, f->rcap - f->rlen, &code);
  if (rc > 0)
    f->rlen += (size_t)rc; /* kept even when interrupted */
  return code ? code : rc;
}

int64_t weft__file_fill(weft_file *f) {
  int64_t rc;

  if (f->flags & WEFT__F_STREAM)
    return stream_fill(f);
  maybe_grow(f);
  rc = weft__file_pread(f, f->rbuf, f->rcap);

  f->rpos = 0;
  f->rlen = rc > 0 ? (size_t)rc : 0;
  return rc;
}

int weft__file_read_begin(weft_file *f, const char *op) {
  int rc;

  if (f->fd < 0 || !(f->flags & WEFT__F_READ))
    return weft__fs_fail(-EBADF, op, f->path);
  if (weft__file_unflushed(f) && (rc = weft__file_flush(f)) != 0)
    return rc;
  f->mark = f->rpos;
  f->read_start = f->raw_pos - (int64_t)(f->rlen - f->rpos); /* tell(): all flushed */
  return 0;
}

int weft__file_read_abort(weft_file *f, int code, const char *op) {
  if (f->flags & WEFT__F_STREAM) {
    f->rpos = f->mark;
  } else {
    f->rpos = f->rlen = 0;
    f->raw_pos = f->read_start;
  }
  return weft__fs_fail(code, op, f->path);
}

static size_t take(weft_file *f, char *dst, size_t n) {
  size_t k = f->rlen - f->rpos < n ? f->rlen - f->rpos : n;

  memcpy(dst, f->rbuf + f->rpos, k);
  f->rpos += k;
  return k;
}

/* A read of at least this much skips the buffer when the page cache holds
 * the data: one copy instead of two. */
#define WEFT__DIRECT_READ_MIN (32u * 1024u)

/* Straight into the caller's memory on the loop thread, or -EAGAIN to go
 * through the buffer (small, not cached, or an interruption to deliver). */
static int64_t read_direct(weft_file *f, char *dst, size_t n) {
  weft_task *t = weft__current();

  if (n < WEFT__DIRECT_READ_MIN || !t || weft__scope_pending(t))
    return -EAGAIN;
  return weft__file_pread_inline(f, dst, n);
}

/* One step of a read into dst: the count (0 at EOF) or a code. */
static int64_t read_step(weft_file *f, char *dst, size_t want) {
  int64_t rc;

  if (want >= WEFT_FILE_BUFFER && !(f->flags & WEFT__F_STREAM))
    return weft__file_pread(f, dst, want);
  if ((rc = read_direct(f, dst, want)) != -EAGAIN)
    return rc;
  if ((rc = weft__file_fill(f)) > 0)
    rc = (int64_t)take(f, dst, want);
  return rc;
}

static ssize_t read_locked(weft_file *f, void *buf, size_t n) {
  char *dst = buf;
  size_t got;
  int64_t rc = weft__file_read_begin(f, "read");

  if (rc)
    return rc;
  got = take(f, dst, n);
  while (got < n && (rc = read_step(f, dst + got, n - got)) > 0)
    got += (size_t)rc;
  if (rc < 0)
    return weft__file_read_abort(f, (int)rc, "read");
  return (ssize_t)got;
}

ssize_t weft_file_read(weft_file *f, void *buf, size_t n) {
  ssize_t rc = weft__file_enter(f, "read");

  if (rc)
    return rc;
  rc = read_locked(f, buf, n);
  weft__file_leave(f);
  return rc;
}

/* Grow *data to hold at least need bytes. */
static int grow(char **data, size_t *cap, size_t need) {
  char *p;
  size_t c = *cap ? *cap : 4096;

  while (c < need)
    c *= 2;
  if (c == *cap)
    return 0;
  if (!(p = weft_realloc(*data, c)))
    return -ENOMEM;
  *data = p;
  *cap = c;
  return 0;
}

/* Read to EOF into *data; the size of the file sizes the first buffer. */
static int64_t read_rest(weft_file *f, char **data, size_t *len, size_t *cap) {
  int64_t size = 0, rc = weft__file_size(f, &size);

  if (rc)
    return rc;
  if (size > f->raw_pos && grow(data, cap, (size_t)(size - f->raw_pos) + *len + 1))
    return -ENOMEM;
  do {
    if (*cap - *len < 65536 && grow(data, cap, *len + 65536))
      return -ENOMEM;
    rc = weft__file_pread(f, *data + *len, *cap - *len - 1);
    if (rc > 0)
      *len += (size_t)rc;
  } while (rc > 0);
  return rc;
}

static int read_all_locked(weft_file *f, char **data, size_t *len) {
  size_t cap = 0, n = 0;
  char *buf = NULL;
  int64_t rc = weft__file_read_begin(f, "read");

  if (rc)
    return (int)rc;
  if (!data || !len)
    return weft__fs_fail(-EINVAL, "read", f->path);
  while ((f->flags & WEFT__F_STREAM) && (rc = weft__file_fill(f)) > 0)
    ; /* a stream: all of it into the buffer, which keeps it if interrupted */
  if (rc < 0)
    return weft__file_read_abort(f, (int)rc, "read");
  if (grow(&buf, &cap, f->rlen - f->rpos + 1))
    return weft__fs_fail(-ENOMEM, "read", f->path);
  n = take(f, buf, f->rlen - f->rpos);
  if (!(f->flags & WEFT__F_STREAM) && (rc = read_rest(f, &buf, &n, &cap)) < 0) {
    weft_free(buf);
    return weft__file_read_abort(f, (int)rc, "read");
  }
  buf[n] = '\0';
  *data = buf;
  *len = n;
  return 0;
}

int weft_file_read_all(weft_file *f, char **data, size_t *len) {
  int rc = weft__file_enter(f, "read");

  if (rc)
    return rc;
  rc = read_all_locked(f, data, len);
  weft__file_leave(f);
  return rc;
}
