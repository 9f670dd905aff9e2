/*
 * UDP receiving: libuv's receive callback feeds the protocol, a parked task,
 * or the bounded queue; weft_udp_recvfrom takes from the queue or parks.
 */
#include <string.h>

#include "net/udp_internal.h"

/* Copy a datagram for the caller; -EMSGSIZE when it did not fit. */
static int udp_copy_out(const void *data, size_t n, const struct sockaddr *from, void *buf,
                        size_t cap, size_t *len, struct sockaddr_storage *addr) {
  if (n)
    memcpy(buf, data, n < cap ? n : cap);
  *len = n;
  if (addr) {
    memset(addr, 0, sizeof *addr);
    if (from)
      memcpy(addr, from, weft__udp_addr_len(from));
  }
  return n > cap ? -EMSGSIZE : 0;
}

static void udp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
  weft_udp *u = h->data;

  WEFT__UNUSED(suggested);
  *b = uv_buf_init(u->rbuf, WEFT_UDP_MAX_DATAGRAM);
}

static weft__udp_waiter *udp_first_waiter(weft_udp *u) {
  weft__list *l = u->waiters.next;

  if (l == &u->waiters)
    return NULL;
  weft__list_remove(l);
  return weft__container_of(l, weft__udp_waiter, link);
}

static void udp_enqueue(weft_udp *u, weft__udp_dgram *d) {
  d->next = NULL;
  *u->tail = d;
  u->tail = &d->next;
  u->nqueued++;
  u->qbytes += d->len;
}

void weft__udp_deliver_error(weft_udp *u, int err) {
  weft__udp_waiter *w = udp_first_waiter(u);
  weft__udp_dgram *d;

  if (w) {
    weft__wake(w->task, err);
    return;
  }
  if (u->nqueued >= u->max_datagrams || !(d = weft_calloc(1, sizeof *d))) {
    u->dropped++;
    return;
  }
  d->err = err;
  udp_enqueue(u, d);
}

/* Task style: straight into a waiting task's buffer, else into the queue
 * while it has room; past the bound the newest datagram is dropped. */
static void udp_deliver(weft_udp *u, const char *data, size_t n, const struct sockaddr *from) {
  weft__udp_waiter *w = udp_first_waiter(u);
  weft__udp_dgram *d;

  if (w) {
    weft__wake(w->task, udp_copy_out(data, n, from, w->buf, w->cap, w->len, w->addr));
    return;
  }
  if (u->nqueued >= u->max_datagrams || u->qbytes + n > u->max_bytes ||
      !(d = weft_malloc(sizeof *d + n))) {
    u->dropped++;
    return;
  }
  memcpy(d + 1, data, n);
  d->len = n;
  d->err = 0;
  memset(&d->addr, 0, sizeof d->addr);
  memcpy(&d->addr, from, weft__udp_addr_len(from));
  udp_enqueue(u, d);
}

static void udp_error(weft_udp *u, int err) {
  if (!u->has_proto)
    weft__udp_deliver_error(u, err);
  else if (u->proto.error_received)
    u->proto.error_received(u, err, u->proto_arg);
}

static void udp_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *b, const struct sockaddr *from,
                        unsigned flags) {
  weft_udp *u = h->data;

  if (u->closing || (nread == 0 && !from))
    return; /* nothing more to read now */
  if (nread < 0) {
    udp_error(u, (int)nread);
    return;
  }
  if (flags & UV_UDP_PARTIAL) { /* cannot happen with a 64 KiB buffer */
    udp_error(u, -EMSGSIZE);
    return;
  }
  if (u->has_proto) {
    if (u->proto.datagram_received)
      u->proto.datagram_received(u, b->base, (size_t)nread, from, u->proto_arg);
    return;
  }
  udp_deliver(u, b->base, (size_t)nread, from);
}

int weft__udp_recv_start(weft_udp *u) {
  return uv_udp_recv_start(&u->h, udp_alloc_cb, udp_recv_cb);
}

void weft__udp_recv_shutdown(weft_udp *u, int code) {
  weft__udp_waiter *w;

  while ((w = udp_first_waiter(u)) != NULL)
    weft__wake(w->task, code);
  while (u->head) {
    weft__udp_dgram *d = u->head;
    u->head = d->next;
    weft_free(d);
  }
  u->tail = &u->head;
  u->nqueued = u->qbytes = 0;
}

static int recv_args_ok(const weft_udp *u, const void *buf, size_t cap, const size_t *len) {
  return u && len && (buf || cap == 0) && !u->has_proto;
}

static int udp_take(weft_udp *u, void *buf, size_t cap, size_t *len,
                    struct sockaddr_storage *addr) {
  weft__udp_dgram *d = u->head;
  int rc;

  if (!(u->head = d->next))
    u->tail = &u->head;
  u->nqueued--;
  u->qbytes -= d->len;
  if (d->err) {
    *len = 0;
    rc = d->err;
  } else {
    rc = udp_copy_out(d + 1, d->len, (const struct sockaddr *)&d->addr, buf, cap, len, addr);
  }
  weft_free(d);
  return rc;
}

int weft_udp_try_recvfrom(weft_udp *u, void *buf, size_t cap, size_t *len,
                          struct sockaddr_storage *addr) {
  if (!recv_args_ok(u, buf, cap, len))
    return -EINVAL;
  if (u->closing)
    return -EPIPE;
  if (!u->head)
    return -EAGAIN;
  return udp_take(u, buf, cap, len, addr);
}

static void waiter_unlink(weft_task *t, void *obj) {
  WEFT__UNUSED(t);
  weft__list_remove(&((weft__udp_waiter *)obj)->link);
}

int weft_udp_recvfrom(weft_udp *u, void *buf, size_t cap, size_t *len,
                      struct sockaddr_storage *addr) {
  weft__udp_waiter w;
  int rc = weft_udp_try_recvfrom(u, buf, cap, len, addr);

  if (rc != -EAGAIN)
    return rc;
  if (!(w.task = weft__current()))
    return -EPERM;
  w.buf = buf;
  w.cap = cap;
  w.len = len;
  w.addr = addr;
  weft__list_insert_tail(&u->waiters, &w.link);
  rc = weft__park("udp recv", waiter_unlink, &w);
  if (weft__list_linked(&w.link)) /* never parked: a pending cancellation */
    weft__list_remove(&w.link);
  return rc;
}
