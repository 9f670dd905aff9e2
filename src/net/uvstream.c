/*
 * The libuv stream transport shared by TCP sockets, Unix sockets and pipes:
 * reads land in one buffer per loop and are delivered as views; writes
 * go to the kernel at once (uv_try_write) and what it does not take waits
 * in one of two reused buffers, so the steady state allocates nothing.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "core/internal.h"
#include "net/uvstream.h"

/* As large as a big message (uvloop reads 256 KiB too): a 100 KiB echo is
 * then one read and one write. */
#define READ_BUF_SIZE (256u * 1024u)
#define WBUF_KEEP_MAX (1u << 20) /* give back write buffers larger than this */
#define OWN_BUF_MAX (1u << 30)   /* the most read into a protocol's buffer */

_Static_assert(sizeof(uv_buf_t) == sizeof(struct iovec), "uv_buf_t is an iovec on Unix");

static void uvs_on_closed(uv_handle_t *h);

/* Data is delivered before the next read, so the loop's one read buffer
 * serves every transport. Without memory libuv reports UV_ENOBUFS to
 * uvs_read, and the connection ends with -ENOMEM. */
static void uvs_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
  weft_loop *loop = weft__container_of(h->loop, weft_loop, uv);
  weft__uvs *u = h->data;
  size_t len;
  char *own = weft__transport_get_buffer(&u->base, suggested, &len);

  if (own) { /* the protocol's: no copy between the kernel and it */
    *b = uv_buf_init(own, len > OWN_BUF_MAX ? OWN_BUF_MAX : (unsigned)len);
    return;
  }
  if (!loop->read_buf)
    loop->read_buf = weft_malloc(READ_BUF_SIZE);
  *b = uv_buf_init(loop->read_buf, loop->read_buf ? READ_BUF_SIZE : 0);
}

static void uvs_close_handle(weft__uvs *u) {
  if (u->handle_closing)
    return;
  u->handle_closing = 1;
  u->base.flags |= WEFT__TR_CLOSING;
  uv_close(&u->u.h, uvs_on_closed);
}

/* A fatal error: close at once, connection_lost(err) follows. */
static void uvs_fail(weft__uvs *u, int err) {
  if (!u->lost_err)
    u->lost_err = err;
  u->wlen[1] = 0;
  uvs_close_handle(u);
}

static void uvs_on_closed(uv_handle_t *h) {
  weft__uvs *u = h->data;

  weft__transport_deliver_lost(&u->base, u->lost_err);
  weft__transport_release(&u->base);
}

static void uvs_on_eof(weft__uvs *u) {
  uv_read_stop(&u->u.s);
  if (weft__transport_deliver_eof(&u->base))
    return;
  weft_transport_close(&u->base);
}

static void uvs_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b) {
  weft__uvs *u = s->data;

  if (nread > 0) {
    weft_loop *loop = weft__container_of(s->loop, weft_loop, uv);

    if (b->base == loop->read_buf)
      weft__transport_deliver_data(&u->base, b->base, (size_t)nread);
    else
      weft__transport_deliver_buffer(&u->base, (size_t)nread);
    return;
  }
  if (nread == UV_EOF)
    uvs_on_eof(u);
  else if (nread == UV_ENOBUFS && b->len == 0)
    uvs_fail(u, -ENOMEM); /* no read buffer (uvs_alloc) */
  else if (nread < 0)
    uvs_fail(u, (int)nread);
}

static int uvs_can_read(const weft__uvs *u) {
  const uint32_t stop = WEFT__TR_CLOSING | WEFT__TR_LOST | WEFT__TR_EOF_RECV | WEFT__TR_NO_READ;

  return (u->base.flags & WEFT__TR_READING) && !(u->base.flags & stop) && !u->handle_closing;
}

static int uvs_resume_reading(weft_transport *tr) {
  weft__uvs *u = (weft__uvs *)tr;

  if (!uvs_can_read(u))
    return 0;
  return uv_read_start(&u->u.s, uvs_alloc, uvs_read);
}

static int uvs_pause_reading(weft_transport *tr) {
  weft__uvs *u = (weft__uvs *)tr;

  if (u->handle_closing)
    return 0;
  return uv_read_stop(&u->u.s);
}

/* ---- writing --------------------------------------------------------- */

static size_t uvs_buffered(const weft__uvs *u) {
  return u->u.s.write_queue_size + u->wlen[1];
}

static int wbuf_append(weft__uvs *u, const struct iovec *iov, size_t n, size_t skip, size_t more) {
  size_t need = u->wlen[1] + more;

  if (need > u->wcap[1]) {
    size_t cap = u->wcap[1] ? u->wcap[1] : 4096;
    char *nb;

    while (cap < need)
      cap *= 2;
    if (!(nb = weft_realloc(u->wbuf[1], cap)))
      return -ENOMEM;
    u->wbuf[1] = nb;
    u->wcap[1] = cap;
  }
  for (size_t i = 0; i < n; i++) {
    size_t l = iov[i].iov_len;

    if (skip >= l) {
      skip -= l;
      continue;
    }
    memcpy(u->wbuf[1] + u->wlen[1], (char *)iov[i].iov_base + skip, l - skip);
    u->wlen[1] += l - skip;
    skip = 0;
  }
  return 0;
}

static void uvs_written(uv_write_t *req, int status);

static void uvs_shrink(weft__uvs *u, int i) {
  if (u->wcap[i] > WBUF_KEEP_MAX) {
    weft_free(u->wbuf[i]);
    u->wbuf[i] = NULL;
    u->wcap[i] = 0;
  }
}

/* Send the gathering buffer: it becomes the one in flight. */
static int uvs_flush(weft__uvs *u) {
  char *b = u->wbuf[0];
  size_t cap = u->wcap[0];
  uv_buf_t buf;
  int rc;

  u->wbuf[0] = u->wbuf[1];
  u->wcap[0] = u->wcap[1];
  u->wlen[0] = u->wlen[1];
  u->wbuf[1] = b;
  u->wcap[1] = cap;
  u->wlen[1] = 0;
  buf = uv_buf_init(u->wbuf[0], (unsigned)u->wlen[0]);
  rc = uv_write(&u->wreq, &u->u.s, &buf, 1, uvs_written);
  if (rc == 0)
    u->writing = 1;
  return rc;
}

static void uvs_do_shutdown(weft__uvs *u);

/* Nothing is buffered any more: do what waited for that. */
static void uvs_drained(weft__uvs *u) {
  if (u->close_pending) {
    uvs_close_handle(u);
    return;
  }
  if (u->eof_pending) {
    u->eof_pending = 0;
    uvs_do_shutdown(u);
  }
}

static void uvs_written(uv_write_t *req, int status) {
  weft__uvs *u = req->data;
  int rc;

  u->writing = 0;
  u->wlen[0] = 0;
  uvs_shrink(u, 0);
  if (status < 0) {
    if (status != UV_ECANCELED)
      uvs_fail(u, status);
    return;
  }
  if (u->wlen[1] > 0 && !u->handle_closing) {
    if ((rc = uvs_flush(u)) != 0) {
      uvs_fail(u, rc);
      return;
    }
  }
  weft__transport_write_buffer_changed(&u->base, uvs_buffered(u));
  if (!u->writing)
    uvs_drained(u);
}

static int uvs_write(weft_transport *tr, const struct iovec *iov, size_t n, size_t total) {
  weft__uvs *u = (weft__uvs *)tr;
  size_t done = 0;
  int rc;

  if (!u->writing && u->wlen[1] == 0) {
    rc = uv_try_write(&u->u.s, (const uv_buf_t *)iov, (unsigned)n);
    if (rc >= 0 && (size_t)rc == total)
      return 0;
    if (rc < 0 && rc != UV_EAGAIN) {
      uvs_fail(u, rc);
      return rc;
    }
    done = rc > 0 ? (size_t)rc : 0;
  }
  if ((rc = wbuf_append(u, iov, n, done, total - done)) != 0) {
    if (done)
      uvs_fail(u, rc); /* part of it went out: the stream is broken */
    return rc;
  }
  if (!u->writing && (rc = uvs_flush(u)) != 0) {
    uvs_fail(u, rc);
    return rc;
  }
  weft__transport_write_buffer_changed(tr, uvs_buffered(u));
  return 0;
}

static void uvs_shutdown_done(uv_shutdown_t *req, int status) {
  /* A peer already gone shows up on the read side. */
  WEFT__UNUSED(req);
  WEFT__UNUSED(status);
}

static void uvs_do_shutdown(weft__uvs *u) {
  int rc;

  if (u->kind == WEFT__UVS_PIPE && !u->is_socket) {
    uvs_close_handle(u); /* a pipe's write end closes to signal EOF */
    return;
  }
  rc = uv_shutdown(&u->sreq, &u->u.s, uvs_shutdown_done);
  if (rc && rc != UV_ENOTCONN)
    uvs_fail(u, rc);
}

static int uvs_write_eof(weft_transport *tr) {
  weft__uvs *u = (weft__uvs *)tr;

  if (u->writing || u->wlen[1])
    u->eof_pending = 1;
  else
    uvs_do_shutdown(u);
  return 0;
}

static void uvs_close(weft_transport *tr) {
  weft__uvs *u = (weft__uvs *)tr;

  if (!u->handle_closing)
    uv_read_stop(&u->u.s);
  if (u->writing || u->wlen[1])
    u->close_pending = 1;
  else
    uvs_close_handle(u);
}

static void uvs_abort(weft_transport *tr) {
  weft__uvs *u = (weft__uvs *)tr;

  u->wlen[1] = 0;
  uvs_close_handle(u);
}

static int uvs_fileno(const weft_transport *tr) {
  const weft__uvs *u = (const weft__uvs *)tr;
  uv_os_fd_t fd;

  if (u->handle_closing || uv_fileno(&u->u.h, &fd) != 0)
    return -EBADF;
  return fd;
}

static int uvs_name(const weft_transport *tr, struct sockaddr_storage *out, int peer) {
  int fd = uvs_fileno(tr);
  socklen_t len = sizeof *out;
  int rc;

  if (fd < 0)
    return -ENOTCONN;
  memset(out, 0, sizeof *out);
  rc = peer ? getpeername(fd, (struct sockaddr *)out, &len)
            : getsockname(fd, (struct sockaddr *)out, &len);
  if (rc != 0)
    return errno == ENOTSOCK ? -ENOTSUP : -errno;
  return 0;
}

static int uvs_peername(const weft_transport *tr, struct sockaddr_storage *out) {
  return uvs_name(tr, out, 1);
}

static int uvs_sockname(const weft_transport *tr, struct sockaddr_storage *out) {
  return uvs_name(tr, out, 0);
}

static void uvs_free(weft_transport *tr) {
  weft__uvs *u = (weft__uvs *)tr;

  weft_free(u->wbuf[0]);
  weft_free(u->wbuf[1]);
  weft_free(u);
}

static const weft__transport_ops tcp_ops = {
    .name = "tcp",
    .write = uvs_write,
    .write_eof = uvs_write_eof,
    .close = uvs_close,
    .abort = uvs_abort,
    .pause_reading = uvs_pause_reading,
    .resume_reading = uvs_resume_reading,
    .peername = uvs_peername,
    .sockname = uvs_sockname,
    .fileno = uvs_fileno,
    .free = uvs_free,
};

static const weft__transport_ops pipe_ops = {
    .name = "pipe",
    .write = uvs_write,
    .write_eof = uvs_write_eof,
    .close = uvs_close,
    .abort = uvs_abort,
    .pause_reading = uvs_pause_reading,
    .resume_reading = uvs_resume_reading,
    .peername = uvs_peername,
    .sockname = uvs_sockname,
    .fileno = uvs_fileno,
    .free = uvs_free,
};

static int uvs_alloc_transport(weft_loop *loop, int kind, weft__uvs **out) {
  weft__uvs *u = weft_calloc(1, sizeof *u);

  if (!u)
    return -ENOMEM;
  weft__net_ignore_sigpipe();
  weft__transport_init(&u->base, kind == WEFT__UVS_TCP ? &tcp_ops : &pipe_ops, loop);
  u->kind = (uint8_t)kind;
  u->base.flags |= WEFT__TR_CAN_EOF;
  u->wreq.data = u;
  u->sreq.data = u;
  u->creq.data = u;
  *out = u;
  return 0;
}

int weft__uvs_new_tcp(weft_loop *loop, int family, weft__uvs **out) {
  weft__uvs *u;
  int rc = uvs_alloc_transport(loop, WEFT__UVS_TCP, &u);

  if (rc)
    return rc;
  rc = uv_tcp_init_ex(&loop->uv, &u->u.tcp, (unsigned)family);
  if (rc) {
    uvs_free(&u->base);
    return rc;
  }
  u->u.h.data = u;
  u->handle_init = 1;
  *out = u;
  return 0;
}

int weft__uvs_new_pipe(weft_loop *loop, weft__uvs **out) {
  weft__uvs *u;
  int rc = uvs_alloc_transport(loop, WEFT__UVS_PIPE, &u);

  if (rc)
    return rc;
  rc = uv_pipe_init(&loop->uv, &u->u.pipe, 0);
  if (rc) {
    uvs_free(&u->base);
    return rc;
  }
  u->u.h.data = u;
  u->handle_init = 1;
  *out = u;
  return 0;
}

void weft__uvs_discard(weft__uvs *u) {
  u->base.flags |= WEFT__TR_CLOSING;
  if (u->handle_init)
    uvs_close_handle(u);
  else
    weft__transport_release(&u->base);
}

void weft__uvs_start(weft__uvs *u, const weft_protocol *proto, void *arg) {
  int rc;

  weft__transport_make(&u->base, proto, arg);
  if (!uvs_can_read(u))
    return;
  rc = uv_read_start(&u->u.s, uvs_alloc, uvs_read);
  if (rc)
    uvs_fail(u, rc);
}

void weft__uvs_tcp_setup(weft__uvs *u, int nodelay_off, double keepalive) {
  if (!nodelay_off)
    uv_tcp_nodelay(&u->u.tcp, 1);
  if (keepalive > 0)
    uv_tcp_keepalive(&u->u.tcp, 1, keepalive < 1 ? 1 : (unsigned)keepalive);
}

int weft__uvs_new(weft_loop *loop, int kind, weft__uvs **out) {
  if (kind == WEFT__UVS_TCP)
    return weft__uvs_new_tcp(loop, AF_UNSPEC, out);
  return weft__uvs_new_pipe(loop, out);
}

int weft__uvs_adopt(weft__uvs *u, int fd) {
  if (u->kind == WEFT__UVS_TCP)
    return uv_tcp_open(&u->u.tcp, fd);
  return uv_pipe_open(&u->u.pipe, fd);
}

int weft__uvs_open(weft_loop *loop, int kind, int fd, weft__uvs **out) {
  weft__uvs *u;
  int rc = weft__uvs_new(loop, kind, &u);

  if (rc)
    return rc;
  rc = weft__uvs_adopt(u, fd);
  if (rc) {
    weft__uvs_discard(u);
    return rc;
  }
  *out = u;
  return 0;
}

void weft__net_ignore_sigpipe(void) {
  static atomic_int done;
  struct sigaction sa;

  if (atomic_load_explicit(&done, memory_order_relaxed) || atomic_exchange(&done, 1))
    return;
  if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
    signal(SIGPIPE, SIG_IGN);
}
