/*
 * sendfile: file -> stream. Over a plain socket the bytes go with
 * sendfile(2) on the thread pool (the worker waits for the socket to take
 * more with poll, and looks for a stop request between rounds); over
 * anything else (TLS, pipes) they are read from the file and written to
 * the stream in chunks, with a drain after each. Only the public stream
 * API is used.
 */
#include <poll.h>
#include <stdatomic.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include "internal.h"
#include "weft/stream.h"
#include "weft/tls.h"

#define SF_COPY_CHUNK (64u * 1024u)
#define SF_ROUND (1u << 30)

typedef struct sf_work {
  uv_work_t req;
  weft_task *task;
  int sock, fd;
  int64_t off;
  size_t left;
  size_t sent;
  int err;
  atomic_int stop;
  uint8_t done;
} sf_work;

static int sf_fast_capable(weft_stream *s) {
  weft_tls_info info;
  int fd = weft_stream_fileno(s), type = 0;
  socklen_t len = sizeof type;

  if (fd < 0 || weft_stream_tls_info(s, &info) != -EINVAL)
    return -1;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
    return -1;
  return fd;
}

/* On a pool thread: sendfile until done, end of file, an error or a stop. */
static void sf_run(uv_work_t *req) {
  sf_work *w = req->data;

  while (w->left > 0 && !atomic_load(&w->stop)) {
    off_t off = (off_t)w->off;
    ssize_t n = sendfile(w->sock, w->fd, &off, w->left < SF_ROUND ? w->left : SF_ROUND);
    if (n > 0) {
      w->off += n;
      w->sent += (size_t)n;
      w->left -= (size_t)n;
    } else if (n == 0) {
      break; /* the file ended early */
    } else if (errno == EAGAIN) {
      struct pollfd pfd = {.fd = w->sock, .events = POLLOUT};
      poll(&pfd, 1, 50);
    } else if (errno != EINTR) {
      w->err = -errno;
      break;
    }
  }
}

static void sf_after(uv_work_t *req, int status) {
  sf_work *w = req->data;

  if (status == UV_ECANCELED)
    w->err = 0; /* withdrawn before it ran: nothing sent */
  w->done = 1;
  weft__wake(w->task, 0);
}

static void sf_interrupted(weft_task *t, void *obj) {
  sf_work *w = obj;

  WEFT__UNUSED(t);
  atomic_store(&w->stop, 1);
  uv_cancel((uv_req_t *)&w->req);
}

/* Wait for w; an interruption stops it and waits, shielded, for the end. */
static int sf_wait(sf_work *w) {
  weft_scope shield;
  int code = 0;

  while (!w->done && !code)
    code = weft__park("sendfile", sf_interrupted, w);
  if (w->done)
    return code;
  sf_interrupted(w->task, w);
  weft_shield_enter(&shield);
  while (!w->done)
    weft__park("sendfile", sf_interrupted, w);
  weft_shield_leave(&shield);
  return code;
}

static int sf_fast(weft_file *f, int sock, int64_t off, size_t count, size_t *sent) {
  weft_task *t = weft__current();
  sf_work w = {.task = t, .sock = sock, .fd = f->fd, .off = off, .left = count};
  int rc;

  w.req.data = &w;
  atomic_init(&w.stop, 0);
  if ((rc = uv_queue_work(&t->fut.loop->uv, &w.req, sf_run, sf_after)) != 0)
    return rc;
  rc = sf_wait(&w);
  *sent += w.sent;
  return rc ? rc : w.err;
}

/* One chunk read from the file at off: its length (0 at end of file) or a
 * code. */
static int64_t sf_read(weft_file *f, char *buf, size_t n, int64_t off) {
  weft__fs_req r;
  weft_loop *loop;
  uv_buf_t b = uv_buf_init(buf, (unsigned)n);
  int rc = weft__fs_begin(&r, &loop);

  if (rc)
    return rc;
  rc = uv_fs_read(&loop->uv, &r.req, f->fd, &b, 1, off, weft__fs_cb);
  return weft__fs_finish(&r, rc);
}

static int sf_copy(weft_file *f, weft_stream *s, int64_t off, size_t count, size_t *sent) {
  char *buf = weft_malloc(SF_COPY_CHUNK);
  int64_t n = 0;
  int rc = 0;

  if (!buf)
    return -ENOMEM;
  while (count > 0 && rc == 0) {
    n = sf_read(f, buf, count < SF_COPY_CHUNK ? count : SF_COPY_CHUNK, off);
    if (n <= 0)
      break;
    if ((rc = weft_stream_write(s, buf, (size_t)n)) == 0)
      rc = weft_stream_drain(s);
    if (rc == 0 || rc == -ECANCELED || rc == -ETIMEDOUT) /* written: it counts */
      *sent += (size_t)n;
    off += n;
    count -= (size_t)n;
  }
  weft_free(buf);
  return rc ? rc : n < 0 ? (int)n : 0;
}

static int sf_start(weft_file *f, weft_stream *s, int64_t offset, size_t *count) {
  int64_t size;
  int rc;

  if (!f || !s || f->fd < 0 || offset < 0)
    return weft__fs_fail(f && f->fd < 0 ? -EBADF : -EINVAL, "sendfile", f ? f->path : NULL);
  if (!(f->flags & WEFT__F_READ))
    return weft__fs_fail(-EBADF, "sendfile", f->path);
  if (f->flags & WEFT__F_STREAM)
    return weft__fs_fail(-ESPIPE, "sendfile", f->path);
  if ((rc = weft_file_flush(f)) != 0)
    return rc;
  if ((rc = weft__file_size(f, &size)) != 0)
    return weft__fs_fail(rc, "sendfile", f->path);
  if (offset >= size)
    *count = 0;
  else if (*count == 0 || (uint64_t)*count > (uint64_t)(size - offset))
    *count = (size_t)(size - offset);
  return 0;
}

int weft_file_sendfile(weft_file *f, weft_stream *s, int64_t offset, size_t count, size_t *sent) {
  size_t done = 0;
  int sock, rc;

  if (sent)
    *sent = 0;
  if (!weft__current())
    return -EPERM;
  if ((rc = sf_start(f, s, offset, &count)) != 0 || count == 0)
    return rc;
  sock = sf_fast_capable(s);
  if (sock >= 0 && weft_stream_write_buffer_size(s) > 0 && (rc = weft_stream_drain(s)) == 0 &&
      weft_stream_write_buffer_size(s) > 0)
    sock = -1; /* earlier writes still buffered: copying keeps the order */
  if (rc == 0 && sock >= 0) {
    rc = sf_fast(f, sock, offset, count, &done);
    if (rc == -EINVAL || rc == -ENOSYS || rc == -EOPNOTSUPP) {
      rc = 0; /* this pair of descriptors cannot: copy the rest */
      sock = -1;
    }
  }
  if (rc == 0 && sock < 0)
    rc = sf_copy(f, s, offset + (int64_t)done, count - done, &done);
  if (sent)
    *sent = done;
  if (rc && rc != -ECANCELED && rc != -ETIMEDOUT)
    weft__fs_fail(rc, "sendfile", f->path);
  return rc;
}
