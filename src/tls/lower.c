/* The TLS transport as the protocol of its lower transport. */
#include "tls/tlstr.h"

#define TLS_CHUNK 16384

/* All the ciphertext waiting goes out in one write, straight from the
 * engine's buffer. A flush from a callback of that write (pause_writing)
 * leaves what it added to the loop here. */
int weft__tls_flush(weft__tls_tr *t) {
  weft__tls_buf *o = &t->eng->obuf;
  const char *p;
  size_t n;
  int rc = 0;

  if (t->flushing)
    return 0;
  t->flushing = 1;
  while ((p = weft__tls_buf_peek(o, &n)) && n > 0) {
    if (!t->lower_lost && !rc)
      rc = weft_transport_write(t->lower, p, n);
    weft__tls_buf_consume(o, n);
  }
  t->flushing = 0;
  if (!t->lower_lost)
    weft__transport_write_buffer_changed(&t->base, weft_transport_get_write_buffer_size(t->lower));
  return rc;
}

void weft__tls_hs_finish(weft__tls_tr *t, int code) {
  weft_task *w = t->waiter;

  if (t->hs_code != WEFT__TLS_HS_RUNNING)
    return;
  t->hs_code = code;
  t->waiter = NULL;
  if (w)
    weft__wake(w, code);
  else if (t->wrap)
    weft__tls_wrap_done(t, code);
}

void weft__tls_hs_step(weft__tls_tr *t) {
  int rc = weft_tls_engine_handshake(t->eng);

  weft__tls_flush(t);
  if (rc != -EAGAIN)
    weft__tls_hs_finish(t, rc);
}

void weft__tls_end(weft__tls_tr *t, int err) {
  if (err && !t->lost_err)
    t->lost_err = err;
  weft__tls_flush(t); /* alerts, close_notify */
  if (!t->lower_lost)
    weft_transport_close(t->lower);
}

static void on_plain_eof(weft__tls_tr *t) {
  if (!weft__transport_deliver_eof(&t->base))
    weft_transport_close(&t->base);
}

/* Plaintext goes up in batches of several records when more than one is
 * ready, so an echo writes it back in a few large writes. */
#define PUMP_BATCH (128u * 1024u)

static int can_pump(const weft__tls_tr *t) {
  const uint32_t stop = WEFT__TR_CLOSING | WEFT__TR_LOST | WEFT__TR_EOF_RECV;

  return weft__transport_has(&t->base, WEFT__TR_MADE) && !t->paused && !(t->base.flags & stop);
}

/* Decrypt into buf while a record fits: the byte count; *last is the
 * engine's last result (> 0 when it stopped for room). */
static size_t decrypt_batch(weft__tls_tr *t, char *buf, size_t cap, ssize_t *last) {
  size_t have = 0;

  do {
    *last = weft_tls_engine_read(t->eng, buf + have, cap - have);
    if (*last > 0)
      have += (size_t)*last;
  } while (*last > 0 && cap - have >= TLS_CHUNK);
  return have;
}

static void pump_into(weft__tls_tr *t, char *buf, size_t cap) {
  while (can_pump(t)) {
    ssize_t n;
    size_t have = decrypt_batch(t, buf, cap, &n);

    if (have > 0) {
      weft__transport_deliver_data(&t->base, buf, have);
      continue; /* an end or error shows again on the next read */
    }
    weft__tls_flush(t); /* tickets, key updates */
    if (n == 0)
      on_plain_eof(t);
    else if (n != -EAGAIN)
      weft__tls_end(t, (int)n);
    return;
  }
}

void weft__tls_pump(weft__tls_tr *t) {
  char buf[TLS_CHUNK];
  char *batch = t->eng->ibuf.len > TLS_CHUNK ? weft_malloc(PUMP_BATCH) : NULL;

  if (!batch) {
    pump_into(t, buf, sizeof buf);
    return;
  }
  pump_into(t, batch, PUMP_BATCH);
  weft_free(batch);
}

static void lower_input(weft__tls_tr *t) {
  if (t->hs_code == WEFT__TLS_HS_RUNNING)
    weft__tls_hs_step(t);
  if (t->shutting_down)
    weft__tls_shutdown_step(t);
  else if (t->hs_code == 0)
    weft__tls_pump(t);
}

static void lower_data(weft_transport *lower, const char *data, size_t len, void *arg) {
  weft__tls_tr *t = arg;

  (void)lower;
  if (weft_tls_engine_feed(t->eng, data, len) != 0) {
    weft__tls_hs_finish(t, -ENOMEM);
    weft__tls_end(t, -ENOMEM);
    return;
  }
  lower_input(t);
}

/* The lower transport reads straight into the engine's input buffer. */
#define LOWER_READ_MIN (128u * 1024u)

static char *lower_get_buffer(weft_transport *lower, size_t sizehint, size_t *len, void *arg) {
  weft__tls_tr *t = arg;

  (void)lower;
  return weft__tls_buf_reserve(&t->eng->ibuf, sizehint > LOWER_READ_MIN ? sizehint : LOWER_READ_MIN,
                               len);
}

static void lower_buffer_updated(weft_transport *lower, size_t n, void *arg) {
  weft__tls_tr *t = arg;

  (void)lower;
  t->eng->ibuf.len += n;
  lower_input(t);
}

const weft__buffered_ops weft__tls_lower_buffered = {
    .data_received = lower_data,
    .get_buffer = lower_get_buffer,
    .buffer_updated = lower_buffer_updated,
};

static int lower_eof(weft_transport *lower, void *arg) {
  weft__tls_tr *t = arg;

  (void)lower;
  weft_tls_engine_feed_eof(t->eng);
  if (t->hs_code == WEFT__TLS_HS_RUNNING)
    weft__tls_hs_step(t);
  else if (t->shutting_down)
    weft__tls_shutdown_step(t);
  else
    weft__tls_pump(t);
  return 0; /* lower closes; connection_lost follows */
}

static void lower_lost(weft_transport *lower, int err, void *arg) {
  weft__tls_tr *t = arg;

  (void)lower;
  t->lower_lost = 1;
  if (t->hs_code == WEFT__TLS_HS_RUNNING)
    weft__tls_hs_finish(t, err ? err : WEFT_TLS_HANDSHAKE_EOF);
  weft__tls_stop_timer(t);
  /* A connection that ends without close_notify after the handshake was
   * truncated, unless we were the one closing it. */
  if (!err && !t->lost_err && t->hs_code == 0 && !t->shutting_down &&
      !weft_tls_engine_peer_closed(t->eng) &&
      !weft__transport_has(&t->base, WEFT__TR_CLOSING | WEFT__TR_EOF_RECV))
    t->lost_err = weft__tls_engine_set_error(
        t->eng, WEFT_TLS_TRUNCATED, "TLS connection truncated: closed without close_notify");
  weft__transport_deliver_lost(&t->base, t->lost_err ? t->lost_err : err);
  weft__transport_release(&t->base); /* the I/O reference */
}

static void lower_pause(weft_transport *lower, void *arg) {
  weft__tls_tr *t = arg;

  weft__transport_write_buffer_changed(&t->base, weft_transport_get_write_buffer_size(lower));
}

const weft_protocol weft__tls_lower_proto = {
    .data_received = lower_data,
    .eof_received = lower_eof,
    .connection_lost = lower_lost,
    .pause_writing = lower_pause,
    .resume_writing = lower_pause,
};
