/*
 * The stream object: its protocol (asyncio's StreamReaderProtocol with
 * FlowControlMixin), waiting and waking, closing and lifetime.
 */
#include <errno.h>
#include <string.h>

#include "net/transport.h"
#include "stream.h"

static const weft__buffered_ops stream_buffered;

weft_stream *weft__stream_new(weft_loop *loop) {
  weft_stream *s = weft_calloc(1, sizeof *s);

  if (!s)
    return NULL;
  s->loop = loop;
  s->limit = WEFT_STREAM_LIMIT_DEFAULT;
  s->refs = 1;
  s->rlost = s->wlost = 1;
  s->eof = 1;
  weft__list_init(&s->drainers);
  weft__list_init(&s->closers);
  return s;
}

void weft__stream_attach_read(weft_stream *s, weft_transport *tr) {
  s->rtr = weft_transport_retain(tr);
  tr->buffered = &stream_buffered;
  s->rlost = 0;
  s->eof = 0;
  s->refs++; /* the protocol's, until connection_lost */
}

void weft__stream_attach_write(weft_stream *s, weft_transport *tr) {
  s->wtr = tr;
  s->wlost = 0;
  if (tr == s->rtr)
    return;
  weft_transport_retain(tr);
  s->refs++;
}

void weft__stream_unref(weft_stream *s) {
  if (--s->refs > 0)
    return;
  if (s->rtr)
    weft_transport_release(s->rtr);
  if (s->wtr && s->wtr != s->rtr)
    weft_transport_release(s->wtr);
  weft__sbuf_free(&s->rbuf);
  weft_free(s);
}

/* ---- waiting ---------------------------------------------------------- */

static void waiter_unlink(weft_task *t, void *obj) {
  weft__swaiter *w = obj;

  WEFT__UNUSED(t);
  weft__list_remove(&w->link);
}

int weft__stream_park(weft__list *list, const char *what) {
  weft__swaiter w;
  int rc;

  w.task = weft__current();
  if (!w.task)
    return -EPERM;
  weft__list_insert_tail(list, &w.link);
  rc = weft__park(what, waiter_unlink, &w);
  if (weft__list_linked(&w.link))
    weft__list_remove(&w.link);
  return rc;
}

void weft__stream_wake_all(weft__list *list) {
  while (!weft__list_empty(list)) {
    weft__swaiter *w = weft__container_of(list->next, weft__swaiter, link);

    weft__list_remove(&w->link);
    weft__wake(w->task, 0);
  }
}

static void reader_unlink(weft_task *t, void *obj) {
  weft_stream *s = obj;

  WEFT__UNUSED(t);
  s->reader = NULL;
}

static void wake_reader(weft_stream *s) {
  weft_task *t = s->reader;

  if (t) {
    s->reader = NULL;
    weft__wake(t, 0);
  }
}

int weft__stream_begin_read(weft_stream *s) {
  if (!weft__current())
    return -EPERM;
  if (s->reader)
    return -EBUSY;
  if (s->rbuf.pinned || s->rbuf.retired)
    weft__sbuf_unpin(&s->rbuf);
  return 0;
}

int weft__stream_wait_data(weft_stream *s, const char *what) {
  int rc;

  if (s->rpaused && s->rtr && !s->rlost) {
    s->rpaused = 0;
    weft_transport_resume_reading(s->rtr);
  }
  s->reader = weft__current();
  rc = weft__park(what, reader_unlink, s);
  s->reader = NULL;
  return rc;
}

void weft__stream_consumed(weft_stream *s) {
  if (s->rpaused && s->rbuf.len <= s->limit && !s->rlost) {
    s->rpaused = 0;
    weft_transport_resume_reading(s->rtr);
  }
}

/* ---- protocol --------------------------------------------------------- */

/* Hand the start of data to a reader waiting with its own buffer. Returns
 * how much it took. */
static size_t give_direct(weft_stream *s, const char *data, size_t len) {
  size_t n;

  if (!s->direct_buf || !s->reader || s->rbuf.len)
    return 0;
  n = len < s->direct_cap ? len : s->direct_cap;
  memcpy(s->direct_buf, data, n);
  s->direct_got = n;
  s->direct_buf = NULL;
  return n;
}

static void pause_if_full(weft_stream *s, weft_transport *tr) {
  if (!s->rpaused && s->rbuf.len > 2 * s->limit) {
    s->rpaused = 1;
    weft_transport_pause_reading(tr);
  }
}

static void on_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  weft_stream *s = arg;
  size_t n = give_direct(s, data, len);

  data += n;
  len -= n;
  if (weft__sbuf_append(&s->rbuf, data, len) != 0) {
    s->err = -ENOMEM;
    weft_transport_abort(tr);
    wake_reader(s);
    return;
  }
  pause_if_full(s, tr);
  wake_reader(s);
}

/* The transport reads straight into the stream's memory (no copy): the
 * buffer of a reader waiting with an empty stream buffer, else the free
 * tail of the stream buffer when it is large. Smaller reads go through
 * on_data. */
#define DIRECT_MIN (16u * 1024u)
#define TAIL_MIN (64u * 1024u)

static char *get_buffer(weft_transport *tr, size_t sizehint, size_t *len, void *arg) {
  weft_stream *s = arg;
  weft__sbuf *b = &s->rbuf;

  WEFT__UNUSED(tr);
  WEFT__UNUSED(sizehint);
  s->filling = 0;
  if (s->direct_buf && s->reader && !b->len && s->direct_cap >= DIRECT_MIN) {
    s->filling = 1;
    *len = s->direct_cap;
    return s->direct_buf;
  }
  if (b->data && b->cap - b->off - b->len >= TAIL_MIN) {
    s->filling = 2;
    *len = b->cap - b->off - b->len;
    return b->data + b->off + b->len;
  }
  return NULL;
}

static void buffer_updated(weft_transport *tr, size_t n, void *arg) {
  weft_stream *s = arg;

  if (s->filling == 1) {
    s->direct_got = n;
    s->direct_buf = NULL;
  } else if (s->filling == 2) {
    weft__sbuf_commit(&s->rbuf, n);
    pause_if_full(s, tr);
  }
  s->filling = 0;
  wake_reader(s);
}

static const weft__buffered_ops stream_buffered = {
    .data_received = on_data,
    .get_buffer = get_buffer,
    .buffer_updated = buffer_updated,
};

static int on_eof(weft_transport *tr, void *arg) {
  weft_stream *s = arg;

  WEFT__UNUSED(tr);
  s->eof = 1;
  wake_reader(s);
  return 1; /* keep the write side open: the owner closes */
}

static void on_lost(weft_transport *tr, int err, void *arg) {
  weft_stream *s = arg;

  if (err && !s->err)
    s->err = err;
  if (tr == s->rtr) {
    s->rlost = 1;
    s->eof = 1;
    wake_reader(s);
  }
  if (tr == s->wtr) {
    s->wlost = 1;
    s->wpaused = 0;
    weft__stream_wake_all(&s->drainers);
  }
  if (s->rlost && s->wlost)
    weft__stream_wake_all(&s->closers);
  weft__stream_unref(s);
}

static void on_pause(weft_transport *tr, void *arg) {
  weft_stream *s = arg;

  WEFT__UNUSED(tr);
  s->wpaused = 1;
}

static void on_resume(weft_transport *tr, void *arg) {
  weft_stream *s = arg;

  WEFT__UNUSED(tr);
  s->wpaused = 0;
  weft__stream_wake_all(&s->drainers);
}

static void on_made_rw(weft_transport *tr, void *arg) {
  weft__stream_attach_read(arg, tr);
  weft__stream_attach_write(arg, tr);
}

static void on_made_r(weft_transport *tr, void *arg) {
  weft__stream_attach_read(arg, tr);
}

static void on_made_w(weft_transport *tr, void *arg) {
  weft__stream_attach_write(arg, tr);
}

const weft_protocol weft__stream_protocol = {
    .connection_made = on_made_rw,
    .data_received = on_data,
    .eof_received = on_eof,
    .connection_lost = on_lost,
    .pause_writing = on_pause,
    .resume_writing = on_resume,
};

/* ---- closing ---------------------------------------------------------- */

static void close_with(weft_stream *s, void (*fn)(weft_transport *)) {
  s->closing = 1;
  if (s->rtr && !s->rlost)
    fn(s->rtr);
  if (s->wtr && s->wtr != s->rtr && !s->wlost)
    fn(s->wtr);
  s->eof = 1;
  wake_reader(s);
}

void weft_stream_close(weft_stream *s) {
  if (s)
    close_with(s, weft_transport_close);
}

void weft_stream_abort(weft_stream *s) {
  if (s)
    close_with(s, weft_transport_abort);
}

int weft_stream_is_closing(const weft_stream *s) {
  return s->closing || (s->rtr && (s->rlost || weft_transport_is_closing(s->rtr))) ||
         (s->wtr && (s->wlost || weft_transport_is_closing(s->wtr)));
}

int weft_stream_wait_closed(weft_stream *s) {
  int rc;

  if (!s)
    return -EINVAL;
  while (!(s->rlost && s->wlost)) {
    rc = weft__stream_park(&s->closers, "stream wait_closed");
    if (rc)
      return rc;
  }
  return s->err;
}

void weft_stream_free(weft_stream *s) {
  if (!s)
    return;
  weft_stream_close(s);
  s->freed = 1;
  weft__stream_unref(s);
}

void weft_stream_detach(weft_stream *s) {
  s->detached = 1;
}

int weft_stream_error(const weft_stream *s) {
  return s->err;
}

/* ---- information ------------------------------------------------------ */

static weft_transport *any_tr(const weft_stream *s) {
  return s->rtr ? s->rtr : s->wtr;
}

int weft_stream_peername(const weft_stream *s, struct sockaddr_storage *out) {
  return any_tr(s) ? weft_transport_peername(any_tr(s), out) : -ENOTCONN;
}

int weft_stream_sockname(const weft_stream *s, struct sockaddr_storage *out) {
  return any_tr(s) ? weft_transport_sockname(any_tr(s), out) : -ENOTCONN;
}

int weft_stream_fileno(const weft_stream *s) {
  return any_tr(s) ? weft_transport_fileno(any_tr(s)) : -EBADF;
}

weft_transport *weft_stream_transport(weft_stream *s) {
  return any_tr(s);
}

const weft_protocol weft__stream_read_protocol = {
    .connection_made = on_made_r,
    .data_received = on_data,
    .eof_received = on_eof,
    .connection_lost = on_lost,
};

const weft_protocol weft__stream_write_protocol = {
    .connection_made = on_made_w,
    .data_received = on_data,
    .connection_lost = on_lost,
    .pause_writing = on_pause,
    .resume_writing = on_resume,
};
