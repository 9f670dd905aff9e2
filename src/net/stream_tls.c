/*
 * start_tls: upgrade an open stream to TLS in place. The TLS transport
 * takes the old one as its lower layer; the stream moves onto the TLS
 * transport (its connection_made attaches it) and lets go of the old one.
 */
#include <errno.h>

#include "stream.h"
#include "weft/tls.h"

/* Drop the lower transport: the TLS layer (or, on failure, nobody) is its
 * protocol now, so its connection_lost will not reach the stream. */
static void release_lower(weft_stream *s, weft_transport *lower) {
  weft_transport_release(lower);
  weft__stream_unref(s); /* the lower protocol's reference */
}

int weft_stream_start_tls(weft_stream *s, weft_tls_ctx *ctx, const weft_tls_opts *opts) {
  weft_transport *lower, *tls = NULL;
  int rc;

  if (!s || !ctx)
    return -EINVAL;
  if (!weft__current())
    return -EPERM;
  if (s->reader)
    return -EBUSY;
  if (!s->rtr || s->rtr != s->wtr)
    return -ENOTSUP;
  if (s->closing || s->rlost || s->wlost)
    return s->err ? s->err : -EPIPE;
  lower = s->rtr;
  s->rtr = s->wtr = NULL;
  s->rlost = s->wlost = 1;
  s->eof = 1;
  s->wpaused = 0;
  rc = weft_start_tls(lower, &weft__stream_protocol, s, ctx, opts, &tls);
  release_lower(s, lower);
  if (rc) {
    s->err = rc;
    s->closing = 1;
    weft__stream_wake_all(&s->closers);
    weft__stream_wake_all(&s->drainers);
  }
  return rc;
}

int weft_stream_tls_info(const weft_stream *s, weft_tls_info *info) {
  if (!s->rtr || !weft_tls_is_tls(s->rtr))
    return -EINVAL;
  return weft_tls_info_get(s->rtr, info);
}
