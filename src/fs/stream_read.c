/*
 * Reads of streams (pipes, FIFOs, terminals) without a pool thread: the
 * descriptor is made non-blocking (libuv's poll handle does that; the file
 * object opened its own description, so no other reader of the pipe sees
 * it), the loop thread reads, and when nothing is there the task waits for
 * the descriptor to become readable. That wait is an ordinary suspension
 * point, so cancellation and timeouts stop it at once, and a stream nobody
 * writes to holds no pool thread (the pool has only a few: four idle pipes
 * would stall every file call and getaddrinfo of the process). A stream
 * open for writing too ("r+"), whose writes go through the pool and must
 * block, or one libuv cannot poll, is read on the pool as regular files
 * are.
 */
#include <unistd.h>

#include "internal.h"

struct weft__fs_poll {
  uv_poll_t handle;
  weft_task *waiter;
};

static void poll_closed(uv_handle_t *h) {
  weft_free(h->data);
}

static void poll_ready(uv_poll_t *h, int status, int events) {
  weft__fs_poll *p = h->data;

  WEFT__UNUSED(status);
  WEFT__UNUSED(events);
  uv_poll_stop(h);
  if (p->waiter)
    weft__wake(p->waiter, 0);
  p->waiter = NULL;
}

static void poll_interrupted(weft_task *t, void *obj) {
  weft__fs_poll *p = obj;

  WEFT__UNUSED(t);
  uv_poll_stop(&p->handle);
  p->waiter = NULL;
}

static int poll_open(weft_file *f, weft_loop *loop) {
  weft__fs_poll *p;

  if (f->flags & WEFT__F_WRITE)
    return -EINVAL; /* its pool writes must block */
  if (!(p = weft_calloc(1, sizeof *p)))
    return -ENOMEM;
  if (uv_poll_init(&loop->uv, &p->handle, f->fd) != 0) {
    weft_free(p);
    return -EINVAL;
  }
  p->handle.data = p;
  f->poll = p;
  return 0;
}

/* Wait until f's descriptor is readable (or hung up): 0, the code of an
 * interruption, or libuv's error. */
static int wait_readable(weft_file *f) {
  int rc = uv_poll_start(&f->poll->handle, UV_READABLE | UV_DISCONNECT, poll_ready);

  if (rc)
    return rc;
  f->poll->waiter = weft__current();
  return weft__park("fs", poll_interrupted, f->poll);
}

int64_t weft__stream_read(weft_file *f, char *buf, size_t n, int *code) {
  ssize_t got;
  int rc;

  *code = 0;
  if (!f->poll && poll_open(f, weft__current()->fut.loop) != 0) {
    f->flags |= WEFT__F_STREAM_POOL; /* the pool reads it */
    return -EAGAIN;
  }
  for (;;) {
    if ((got = read(f->fd, buf, n)) >= 0)
      return got;
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN)
      return -errno;
    if ((rc = wait_readable(f)) != 0) {
      *code = rc; /* interrupted while it waited: nothing read */
      return 0;
    }
  }
}

void weft__stream_poll_close(weft_file *f) {
  if (!f->poll)
    return;
  uv_poll_stop(&f->poll->handle);
  uv_close((uv_handle_t *)&f->poll->handle, poll_closed);
  f->poll = NULL;
}
