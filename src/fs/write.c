/*
 * Writing: write, writelines, flush. Data is gathered in the write buffer,
 * a segment of a ring that a job on the thread pool writes while the task
 * fills the next segment (behind.c). Writes of WEFT__WRITE_BUFFER_MAX or
 * more go from the caller's memory. Append-mode writes let the kernel put
 * them at the end (O_APPEND) and read the position back.
 */
#include <string.h>
#include <unistd.h>

#include "internal.h"

void weft__file_wrote(weft_file *f, int64_t n) {
  off_t end = (f->flags & WEFT__F_APPEND) ? lseek(f->fd, 0, SEEK_CUR) : -1;

  f->raw_pos = end >= 0 ? (int64_t)end : f->raw_pos + n; /* a stream has no offset */
}

/* One write request of up to n bytes at raw_pos; returns the count or a
 * code. Bytes written count even when the wait was interrupted (*code). */
static int64_t pwrite_once(weft_file *f, const char *buf, size_t n, int *code) {
  weft__fs_req r;
  weft_loop *loop;
  uv_buf_t b = uv_buf_init((char *)buf, n > 1u << 30 ? 1u << 30 : (unsigned)n);
  int64_t at = weft__file_write_at(f);
  int64_t result;

  if ((*code = weft__fs_begin(&r, &loop)) != 0)
    return 0;
  if (weft__stream_inline(f) && (result = weft__stream_io(f, (char *)buf, n, 1, code)) != -EAGAIN) {
    if (result > 0)
      weft__file_wrote(f, result);
    return result;
  }
  *code = weft__fs_wait(&r, uv_fs_write(&loop->uv, &r.req, f->fd, &b, 1, at, weft__fs_cb));
  result = r.req.result;
  uv_fs_req_cleanup(&r.req);
  if (result > 0)
    weft__file_wrote(f, result);
  return result;
}

/* Write all n bytes; *done gets how many were written. */
static int write_all(weft_file *f, const char *buf, size_t n, size_t *done) {
  int code = 0;

  *done = 0;
  while (*done < n) {
    int64_t rc = pwrite_once(f, buf + *done, n - *done, &code);

    if (rc > 0)
      *done += (size_t)rc;
    if (code)
      return code;
    if (rc < 0)
      return (int)rc;
    if (rc == 0)
      return -EIO;
  }
  return 0;
}

/* A stream the loop thread writes: write the buffer from the task. */
static int flush_buffer(weft_file *f) {
  size_t done;
  int rc = write_all(f, f->wbuf, f->wlen, &done);

  /* The unwritten rest stays buffered; tell() does not move. */
  memmove(f->wbuf, f->wbuf + done, f->wlen - done);
  f->wlen -= done;
  return rc;
}

int weft__file_flush(weft_file *f) {
  int rc;

  if (f->fd < 0)
    return weft__fs_fail(-EBADF, "flush", f->path);
  rc = weft__file_behind_flush(f);
  if (rc == -EAGAIN)
    rc = flush_buffer(f);
  if (rc)
    return weft__fs_fail(rc, "write", f->path);
  return 0;
}

int weft_file_flush(weft_file *f) {
  int rc = weft__file_enter(f, "flush");

  if (rc)
    return rc;
  rc = weft__file_flush(f);
  weft__file_leave(f);
  return rc;
}

/* Flush, then buffer data if it fits, else write it from the caller's
 * memory. */
static int write_through(weft_file *f, const char *data, size_t n) {
  size_t done;
  int rc;

  if ((rc = weft__file_flush(f)) != 0)
    return rc;
  if (n < f->wcap) {
    memcpy(f->wbuf, data, n);
    f->wlen = n;
    return 0;
  }
  if ((rc = write_all(f, data, n, &done)) != 0)
    return weft__fs_fail(rc, "write", f->path);
  return 0;
}

/* data does not fit in the write buffer: top it up and publish it until
 * the rest fits, then keep the rest. The wait for room comes before each
 * copy, so an interrupted call keeps nothing of the piece it waited for;
 * pieces published before stay. A stream the loop thread writes is written
 * through. */
static int write_behind(weft_file *f, const char *data, size_t n) {
  size_t k;
  int rc;

  while (n > (k = f->wcap - f->wlen)) {
    rc = weft__file_behind_room(f);
    if (rc == -EAGAIN)
      return write_through(f, data, n);
    if (rc)
      return weft__fs_fail(rc, "write", f->path);
    memcpy(f->wbuf + f->wlen, data, k);
    f->wlen = f->wcap;
    weft__file_behind_push(f);
    data += k;
    n -= k;
  }
  memcpy(f->wbuf + f->wlen, data, n);
  f->wlen += n;
  return 0;
}

static ssize_t write_locked(weft_file *f, const void *data, size_t n) {
  int rc;

  if (f->fd < 0 || !(f->flags & WEFT__F_WRITE))
    return weft__fs_fail(-EBADF, "write", f->path);
  if (n > SSIZE_MAX || (!data && n))
    return weft__fs_fail(-EINVAL, "write", f->path);
  weft__file_drop_read(f);
  if (f->wcap - f->wlen >= n) {
    memcpy(f->wbuf + f->wlen, data, n);
    f->wlen += n;
    return (ssize_t)n;
  }
  if (n < WEFT__WRITE_BUFFER_MAX)
    rc = write_behind(f, data, n);
  else
    rc = write_through(f, data, n);
  return rc ? rc : (ssize_t)n;
}

ssize_t weft_file_write(weft_file *f, const void *data, size_t n) {
  ssize_t rc = weft__file_enter(f, "write");

  if (rc)
    return rc;
  rc = write_locked(f, data, n);
  weft__file_leave(f);
  return rc;
}

/* All the lines in one turn: no other task's data comes between them. */
int weft_file_write_lines(weft_file *f, const char *const *lines, size_t n) {
  ssize_t rc;

  if (!lines && n)
    return weft__fs_fail(-EINVAL, "write", f ? f->path : NULL);
  if ((rc = weft__file_enter(f, "write")) != 0)
    return (int)rc;
  for (size_t i = 0; i < n && rc >= 0; i++)
    rc = write_locked(f, lines[i], strlen(lines[i]));
  weft__file_leave(f);
  return rc < 0 ? (int)rc : 0;
}
