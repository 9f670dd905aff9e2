/*
 * Streams (pipes, FIFOs, terminals) open in one direction only, read or
 * written on the loop thread: the descriptor is made non-blocking (libuv's
 * poll handle does that; the file object opened its own description, so
 * no other user of the pipe sees it), and when the pipe is empty (or full)
 * the task waits for it to become readable (writable), like a socket. That
 * wait is an ordinary suspension point, so cancellation and timeouts stop
 * it at once, and a pipe nobody writes to (or reads) holds no pool thread:
 * the pool has only a few, and tasks waiting on idle pipes there would
 * stall every file call and getaddrinfo of the process. A stream open both
 * ways ("r+" on a FIFO) uses the pool as regular files do: one description
 * cannot block for the pool's requests and not block for the loop's.
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

int weft__stream_inline(const weft_file *f) {
  int both = WEFT__F_READ | WEFT__F_WRITE;

  return (f->flags & (WEFT__F_STREAM | WEFT__F_STREAM_POOL)) == WEFT__F_STREAM &&
         (f->flags & both) != both;
}

/* The poll handle, made on first use; -EAGAIN (use the pool from now on)
 * if libuv cannot poll the descriptor, -ENOMEM (nothing done: the next
 * call tries again) if memory is short. */
static int poll_open(weft_file *f) {
  weft__fs_poll *p;

  if (f->poll)
    return 0;
  if (!(p = weft_calloc(1, sizeof *p)))
    return -ENOMEM;
  if (uv_poll_init(&weft__current()->fut.loop->uv, &p->handle, f->fd) != 0) {
    weft_free(p);
    f->flags |= WEFT__F_STREAM_POOL;
    return -EAGAIN;
  }
  p->handle.data = p;
  f->poll = p;
  return 0;
}

/* Wait until f's descriptor is ready for events (or hung up): 0, the code
 * of an interruption, or libuv's error. */
static int wait_ready(weft_file *f, int events) {
  int rc = uv_poll_start(&f->poll->handle, events | UV_DISCONNECT, poll_ready);

  if (rc)
    return rc;
  f->poll->waiter = weft__current();
  return weft__park("fs", poll_interrupted, f->poll);
}

int64_t weft__stream_io(weft_file *f, char *buf, size_t n, int writing, int *code) {
  ssize_t got;
  int rc;

  *code = 0;
  if ((rc = poll_open(f)) != 0)
    return rc;
  for (;;) {
    got = writing ? write(f->fd, buf, n) : read(f->fd, buf, n);
    if (got >= 0)
      return got;
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN)
      return -errno;
    if ((rc = wait_ready(f, writing ? UV_WRITABLE : UV_READABLE)) != 0) {
      *code = rc; /* interrupted while it waited: nothing done */
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
