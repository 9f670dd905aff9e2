/*
 * The body flow from the engine to the response side: a view of the bytes
 * buffered, consuming them (which resumes a paused transfer), waiting for
 * more, and releasing the transfer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http/engine.h"

const char *weft__http_body_peek(weft_http_response *r, size_t *len) {
  weft__http_xfer *x = r->xfer;

  if (!x) {
    *len = 0;
    return "";
  }
  *len = x->in.len - x->in.off;
  return x->in.data ? x->in.data + x->in.off : "";
}

size_t weft__http_body_chunk_len(weft_http_response *r) {
  weft__http_xfer *x = r->xfer;

  if (!x || x->p_len == 0)
    return 0;
  return x->pieces[x->p_head];
}

static void pieces_consume(weft__http_xfer *x, size_t n) {
  while (n > 0 && x->p_len > 0) {
    size_t *front = &x->pieces[x->p_head];
    size_t take = n < *front ? n : *front;

    *front -= take;
    n -= take;
    if (*front == 0) {
      x->p_head = (x->p_head + 1) % x->p_cap;
      x->p_len--;
    }
  }
}

void weft__http_body_consume(weft_http_response *r, size_t n) {
  weft__http_xfer *x = r->xfer;
  size_t avail;

  if (!x)
    return;
  avail = x->in.len - x->in.off;
  if (n > avail)
    n = avail;
  x->in.off += n;
  pieces_consume(x, n);
  if (x->in.off == x->in.len)
    x->in.off = x->in.len = 0;
  if (x->paused_recv && x->in.len - x->in.off < x->bufsize) {
    x->paused_recv = 0;
    /* curl may deliver the held data from inside this call */
    weft__http_xfer_pause(x);
  }
}

static int has_data(weft__http_xfer *x) {
  return x->in.len > x->in.off;
}

/* As weft__http_body_wait, until cond(transfer) holds. */
static int wait_for(weft_http_response *r, int (*cond)(weft__http_xfer *)) {
  weft__http_xfer *x = r->xfer;
  int rc;

  if (!x)
    return 0;
  rc = weft__http_xfer_wait(x, cond, r->deadline, r->sock_read);
  if (rc < 0 && !x->err) {
    /* interrupted (cancelled, timed out): the transfer cannot go on, its
     * connection is closed */
    x->err = rc;
    snprintf(x->msg, sizeof x->msg, "%s", weft_http_last_error());
    weft__http_xfer_detach(x);
  }
  return rc;
}

int weft__http_body_wait(weft_http_response *r) {
  return wait_for(r, has_data);
}

static int refused(weft__http_xfer *x) {
  return x->sink_refused > 0;
}

int weft__http_body_fill(weft_http_response *r, size_t limit, size_t hint, size_t *refused_n) {
  weft__http_xfer *x = r->xfer;
  int rc;

  *refused_n = 0;
  if (!x || x->done)
    return 0;
  if (weft__http_buf_grow(&x->in, hint) < 0)
    return weft__http_fail(-ENOMEM, NULL);
  x->sink = 1;
  x->sink_limit = limit;
  x->sink_refused = 0;
  if (x->paused_recv) {
    x->paused_recv = 0;
    weft__http_xfer_pause(x);
  }
  rc = wait_for(r, refused);
  x->sink = 0;
  *refused_n = x->sink_refused;
  return rc;
}

char *weft__http_body_adopt(weft_http_response *r, size_t *len, size_t *cap) {
  weft__http_xfer *x = r->xfer;
  char *buf;

  if (!x || !x->done || x->err || x->in.off != 0 || x->in.len == 0)
    return NULL;
  buf = x->in.data;
  *len = x->in.len;
  *cap = x->in.cap;
  memset(&x->in, 0, sizeof x->in);
  x->p_head = x->p_len = 0;
  return buf;
}

int weft__http_body_ended(weft_http_response *r) {
  weft__http_xfer *x = r->xfer;

  if (!x)
    return 1;
  return x->done && !x->err && x->in.len == x->in.off;
}

void weft__http_xfer_release(weft_http_response *r) {
  weft__http_xfer *x = r->xfer;

  if (!x)
    return;
  r->xfer = NULL;
  weft__http_xfer_free(x);
}
