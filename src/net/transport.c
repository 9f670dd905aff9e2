/*
 * The generic part of every transport: state checks, the protocol callback
 * order, water marks, and references around callbacks.
 */
#include <errno.h>
#include <stdint.h>

#include "core/internal.h"
#include "net/transport.h"

void weft__transport_init(weft_transport *tr, const weft__transport_ops *ops, weft_loop *loop) {
  tr->ops = ops;
  tr->proto = NULL;
  tr->proto_arg = NULL;
  tr->loop = loop;
  tr->refs = 1;
  tr->flags = WEFT__TR_READING;
  tr->write_size = 0;
  tr->high = WEFT_WRITE_HIGH_DEFAULT;
  tr->low = WEFT_WRITE_LOW_DEFAULT;
  tr->buffered = NULL;
  tr->server = NULL;
  tr->srv_prev = tr->srv_next = NULL;
}

void weft__transport_retain(weft_transport *tr) {
  tr->refs++;
}

void weft__transport_release(weft_transport *tr) {
  if (--tr->refs == 0)
    tr->ops->free(tr);
}

weft_transport *weft_transport_retain(weft_transport *tr) {
  weft__transport_retain(tr);
  return tr;
}

void weft_transport_release(weft_transport *tr) {
  if (tr)
    weft__transport_release(tr);
}

void weft__transport_make(weft_transport *tr, const weft_protocol *proto, void *arg) {
  tr->proto = proto;
  tr->proto_arg = arg;
  if (weft__transport_has(tr, WEFT__TR_MADE))
    return;
  tr->flags |= WEFT__TR_MADE;
  if (proto && proto->connection_made) {
    weft__transport_retain(tr);
    proto->connection_made(tr, arg);
    weft__transport_release(tr);
  }
}

static int can_deliver(const weft_transport *tr) {
  const uint32_t stop = WEFT__TR_CLOSING | WEFT__TR_EOF_RECV | WEFT__TR_LOST;

  return !(tr->flags & stop) && (tr->flags & WEFT__TR_MADE) && tr->proto;
}

void weft__transport_deliver_data(weft_transport *tr, const char *data, size_t len) {
  if (!can_deliver(tr))
    return;
  tr->refs++;
  tr->proto->data_received(tr, data, len, tr->proto_arg);
  weft__transport_release(tr);
}

static const weft__buffered_ops *buffered(const weft_transport *tr) {
  const weft__buffered_ops *b = tr->buffered;

  if (!b || !can_deliver(tr) || tr->proto->data_received != b->data_received)
    return NULL;
  return b;
}

char *weft__transport_get_buffer(weft_transport *tr, size_t sizehint, size_t *len) {
  const weft__buffered_ops *b = buffered(tr);
  char *p;

  *len = 0;
  if (!b)
    return NULL;
  p = b->get_buffer(tr, sizehint, len, tr->proto_arg);
  return p && *len ? p : NULL;
}

void weft__transport_deliver_buffer(weft_transport *tr, size_t n) {
  const weft__buffered_ops *b = buffered(tr);

  if (!b)
    return;
  tr->refs++;
  b->buffer_updated(tr, n, tr->proto_arg);
  weft__transport_release(tr);
}

int weft__transport_deliver_eof(weft_transport *tr) {
  int keep = 0;

  if (tr->flags & (WEFT__TR_EOF_RECV | WEFT__TR_LOST | WEFT__TR_CLOSING))
    return 0;
  tr->flags |= WEFT__TR_EOF_RECV;
  if (!(tr->flags & WEFT__TR_MADE) || !tr->proto || !tr->proto->eof_received)
    return 0;
  weft__transport_retain(tr);
  keep = tr->proto->eof_received(tr, tr->proto_arg) != 0;
  weft__transport_release(tr);
  return keep;
}

void weft__transport_deliver_lost(weft_transport *tr, int err) {
  if (weft__transport_has(tr, WEFT__TR_LOST))
    return;
  tr->flags |= WEFT__TR_LOST | WEFT__TR_CLOSING;
  weft__transport_retain(tr);
  if ((tr->flags & WEFT__TR_MADE) && tr->proto && tr->proto->connection_lost)
    tr->proto->connection_lost(tr, err, tr->proto_arg);
  if (tr->server)
    weft__server_connection_lost(tr);
  weft__transport_release(tr);
}

static void call_writing(weft_transport *tr, void (*fn)(weft_transport *, void *)) {
  if (!fn || !(tr->flags & WEFT__TR_MADE))
    return;
  weft__transport_retain(tr);
  fn(tr, tr->proto_arg);
  weft__transport_release(tr);
}

void weft__transport_write_buffer_changed(weft_transport *tr, size_t size) {
  tr->write_size = size;
  if (tr->flags & WEFT__TR_LOST || !tr->proto)
    return;
  if (!(tr->flags & WEFT__TR_WPAUSED) && size > tr->high) {
    tr->flags |= WEFT__TR_WPAUSED;
    call_writing(tr, tr->proto->pause_writing);
  } else if ((tr->flags & WEFT__TR_WPAUSED) && size <= tr->low) {
    tr->flags &= ~(uint32_t)WEFT__TR_WPAUSED;
    call_writing(tr, tr->proto->resume_writing);
  }
}

/* ---- public calls ---------------------------------------------------- */

static int write_check(const weft_transport *tr) {
  if (tr->flags & (WEFT__TR_CLOSING | WEFT__TR_EOF_SENT | WEFT__TR_LOST))
    return -EPIPE;
  if (tr->flags & WEFT__TR_NO_WRITE)
    return -ENOTSUP;
  return 0;
}

int weft_transport_write(weft_transport *tr, const void *data, size_t len) {
  struct iovec iov;
  int rc = write_check(tr);

  if (rc || len == 0)
    return rc;
  iov.iov_base = (void *)data;
  iov.iov_len = len;
  return tr->ops->write(tr, &iov, 1, len);
}

int weft_transport_writev(weft_transport *tr, const struct iovec *iov, size_t n) {
  size_t total = 0;
  int rc = write_check(tr);

  if (rc)
    return rc;
  if (n && !iov)
    return -EINVAL;
  for (size_t i = 0; i < n; i++)
    total += iov[i].iov_len;
  if (total == 0)
    return 0;
  return tr->ops->write(tr, iov, n, total);
}

int weft_transport_can_write_eof(const weft_transport *tr) {
  return tr->ops->write_eof && (tr->flags & WEFT__TR_CAN_EOF) && !(tr->flags & WEFT__TR_NO_WRITE);
}

int weft_transport_write_eof(weft_transport *tr) {
  if (tr->flags & (WEFT__TR_CLOSING | WEFT__TR_LOST))
    return -EPIPE;
  if (!weft_transport_can_write_eof(tr))
    return -ENOTSUP;
  if (tr->flags & WEFT__TR_EOF_SENT)
    return 0;
  tr->flags |= WEFT__TR_EOF_SENT;
  return tr->ops->write_eof(tr);
}

void weft_transport_close(weft_transport *tr) {
  if (tr->flags & (WEFT__TR_CLOSING | WEFT__TR_LOST))
    return;
  tr->flags |= WEFT__TR_CLOSING;
  tr->ops->close(tr);
}

void weft_transport_abort(weft_transport *tr) {
  if (tr->flags & WEFT__TR_LOST)
    return;
  tr->flags |= WEFT__TR_CLOSING;
  tr->ops->abort(tr);
}

int weft_transport_is_closing(const weft_transport *tr) {
  return (tr->flags & (WEFT__TR_CLOSING | WEFT__TR_LOST)) != 0;
}

int weft_transport_pause_reading(weft_transport *tr) {
  if (tr->flags & (WEFT__TR_CLOSING | WEFT__TR_LOST))
    return -EPIPE;
  if (!(tr->flags & WEFT__TR_READING))
    return 0;
  tr->flags &= ~(uint32_t)WEFT__TR_READING;
  return tr->ops->pause_reading(tr);
}

int weft_transport_resume_reading(weft_transport *tr) {
  if (tr->flags & (WEFT__TR_CLOSING | WEFT__TR_LOST))
    return -EPIPE;
  if (tr->flags & WEFT__TR_READING)
    return 0;
  tr->flags |= WEFT__TR_READING;
  return tr->ops->resume_reading(tr);
}

int weft_transport_is_reading(const weft_transport *tr) {
  const uint32_t stop = WEFT__TR_CLOSING | WEFT__TR_LOST | WEFT__TR_EOF_RECV | WEFT__TR_NO_READ;

  return (tr->flags & WEFT__TR_READING) && !(tr->flags & stop);
}

size_t weft_transport_get_write_buffer_size(const weft_transport *tr) {
  return tr->write_size;
}

int weft_transport_set_write_buffer_limits(weft_transport *tr, size_t high, size_t low) {
  if (high == 0)
    high = WEFT_WRITE_HIGH_DEFAULT;
  if (low == SIZE_MAX)
    low = high / 4;
  if (low > high)
    return -EINVAL;
  tr->high = high;
  tr->low = low;
  weft__transport_write_buffer_changed(tr, tr->write_size);
  return 0;
}

void weft_transport_get_write_buffer_limits(const weft_transport *tr, size_t *high, size_t *low) {
  if (high)
    *high = tr->high;
  if (low)
    *low = tr->low;
}

int weft_transport_peername(const weft_transport *tr, struct sockaddr_storage *out) {
  if (!out)
    return -EINVAL;
  if (tr->flags & WEFT__TR_LOST)
    return -ENOTCONN;
  return tr->ops->peername ? tr->ops->peername(tr, out) : -ENOTSUP;
}

int weft_transport_sockname(const weft_transport *tr, struct sockaddr_storage *out) {
  if (!out)
    return -EINVAL;
  if (tr->flags & WEFT__TR_LOST)
    return -ENOTCONN;
  return tr->ops->sockname ? tr->ops->sockname(tr, out) : -ENOTSUP;
}

int weft_transport_fileno(const weft_transport *tr) {
  if (tr->flags & WEFT__TR_LOST || !tr->ops->fileno)
    return -EBADF;
  return tr->ops->fileno(tr);
}

void weft_transport_set_protocol(weft_transport *tr, const weft_protocol *proto, void *arg) {
  tr->proto = proto;
  tr->proto_arg = arg;
}

const weft_protocol *weft_transport_get_protocol(const weft_transport *tr, void **arg) {
  if (arg)
    *arg = tr->proto_arg;
  return tr->proto;
}

weft_loop *weft_transport_loop(const weft_transport *tr) {
  return tr->loop;
}
