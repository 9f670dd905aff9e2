/*
 * Write-behind: when the write buffer fills, it is handed to the thread
 * pool and the task goes on filling a second buffer while the pool writes
 * the first, so the task's copy into the buffer and the kernel's copy into
 * the page cache overlap. Both buffers double at each hand-over of a full
 * buffer up to WEFT__WRITE_BUFFER_MAX: fewer round trips for streaming
 * writes. A flush hands the buffer over too and waits for it, so every
 * buffered write of a file goes through one request at a time. The next hand
 * over, and a flush (so a read, seek, truncate or close), waits for the
 * request in flight first. A failed request keeps the bytes it did not
 * write and its error; the next of those calls reports the error, and
 * flush writes the kept bytes again, before anything written later.
 */
#include <unistd.h>

#include "internal.h"

struct weft__fs_behind {
  uv_fs_t req;
  weft_file *file;   /* NULL once the file is gone (close outside a task) */
  uv_file orphan_fd; /* then: the descriptor to close when the request ends */
  weft_task *waiter; /* the task parked until the request ends */
  char *buf;         /* buf[off..len) is not written yet */
  size_t off, len, cap;
  int error; /* a failure not reported yet */
  uint8_t busy;
};

static void behind_done(uv_fs_t *req);

static int behind_submit(weft__fs_behind *b, uv_loop_t *uv) {
  weft_file *f = b->file;
  size_t n = b->len - b->off;
  uv_buf_t buf = uv_buf_init(b->buf + b->off, n > 1u << 30 ? 1u << 30 : (unsigned)n);

  return uv_fs_write(uv, &b->req, f->fd, &buf, 1, weft__file_write_at(f), behind_done);
}

static void behind_free(weft__fs_behind *b) {
  weft_free(b->buf);
  weft_free(b);
}

/* Count what a request wrote; 0 when the rest must go next. */
static int behind_account(weft__fs_behind *b, int64_t n) {
  weft_file *f = b->file;

  if (n <= 0)
    return n < 0 ? (int)n : -EIO;
  b->off += (size_t)n;
  weft__file_wrote(f, n);
  return 0;
}

static void behind_done(uv_fs_t *req) {
  weft__fs_behind *b = weft__container_of(req, weft__fs_behind, req);
  int64_t n = req->result;

  uv_fs_req_cleanup(req);
  if (!b->file) {
    close(b->orphan_fd);
    behind_free(b);
    return;
  }
  b->error = behind_account(b, n);
  if (!b->error && b->off < b->len) {
    b->error = behind_submit(b, req->loop); /* a short write: the rest */
    if (!b->error)
      return;
  }
  b->busy = 0;
  if (b->waiter)
    weft__wake(b->waiter, 0);
}

static void behind_interrupted(weft_task *t, void *obj) {
  weft__fs_behind *b = obj;

  WEFT__UNUSED(t);
  b->waiter = NULL;
}

/* Wait until no request is in flight; its failure (once), or the code of
 * an interruption (the request goes on). Only the task whose turn it is
 * (turn.c) waits here. */
static int behind_settle(weft__fs_behind *b) {
  int rc = 0;

  while (b->busy && !rc) {
    b->waiter = weft__current();
    rc = weft__park("fs", behind_interrupted, b);
    b->waiter = NULL;
  }
  if (rc)
    return rc;
  rc = b->error;
  b->error = 0;
  return rc;
}

/* Send buf[off..len) to the pool (a kept rest, or a buffer handed over). */
static int behind_start(weft__fs_behind *b) {
  weft_task *t = weft__current();
  int rc;

  if (!t)
    return -EPERM;
  if ((rc = behind_submit(b, &t->fut.loop->uv)) != 0)
    return rc; /* kept for the next flush */
  b->busy = 1;
  return 0;
}

int weft__file_behind_flush(weft_file *f) {
  weft__fs_behind *b = f->behind;
  int rc;

  if (!b)
    return 0;
  if ((rc = behind_settle(b)) != 0 || b->off == b->len)
    return rc;
  if ((rc = behind_start(b)) != 0)
    return rc;
  return behind_settle(b);
}

/* Give the idle buffer want bytes if it has less, not while it keeps a
 * rest; keep it as it is when memory is short. */
static void behind_grow(weft__fs_behind *b, size_t want) {
  char *p;

  if (b->cap >= want || b->off < b->len || !(p = weft_malloc(want)))
    return;
  weft_free(b->buf);
  b->buf = p;
  b->cap = want;
}

static int behind_new(weft_file *f) {
  weft__fs_behind *b = weft_calloc(1, sizeof *b);

  if (!b)
    return -ENOMEM;
  b->file = f;
  f->behind = b;
  return 0;
}

int weft__file_behind_ready(weft_file *f, int grow) {
  size_t want = f->wcap;
  weft_task *t = weft__current();
  int rc;

  if (!t)
    return -EPERM;
  if (weft__scope_pending(t))
    return weft__park("fs", NULL, NULL); /* no request starts */
  if (weft__stream_inline(f))
    return -EAGAIN; /* the loop thread writes it */
  if (!f->behind && (rc = behind_new(f)) != 0)
    return rc;
  if ((rc = weft__file_behind_flush(f)) != 0)
    return rc;
  if (grow)
    want = want >= WEFT__WRITE_BUFFER_MAX / 2 ? WEFT__WRITE_BUFFER_MAX : want * 2;
  behind_grow(f->behind, want);
  return f->behind->cap >= f->wcap ? 0 : -ENOMEM;
}

void weft__file_hand_over(weft_file *f) {
  weft__fs_behind *b = f->behind;
  char *full = f->wbuf;
  size_t cap = f->wcap;

  f->wbuf = b->buf;
  f->wcap = b->cap;
  b->buf = full;
  b->cap = cap;
  b->off = 0;
  b->len = f->wlen;
  f->wlen = 0;
  b->error = behind_start(b); /* a failure to start is reported next */
}

size_t weft__file_behind_pending(const weft_file *f) {
  return f->behind ? f->behind->len - f->behind->off : 0;
}

int weft__file_behind_unflushed(const weft_file *f) {
  const weft__fs_behind *b = f->behind;

  return b->busy || b->error || b->off < b->len;
}

int weft__file_behind_release(weft_file *f) {
  weft__fs_behind *b = f->behind;

  f->behind = NULL;
  if (!b)
    return 0;
  if (!b->busy) {
    behind_free(b);
    return 0;
  }
  b->file = NULL; /* closed outside a task: the request finishes alone */
  b->orphan_fd = f->fd;
  return 1;
}
