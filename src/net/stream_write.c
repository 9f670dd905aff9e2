/*
 * Writing: writes go straight to the transport (which buffers what the
 * socket does not take); drain waits for the buffer to go down.
 */
#include <errno.h>
#include <string.h>

#include "stream.h"

/* The code a write gets on a stream that cannot take one, or 0. */
static int write_check(const weft_stream *s) {
  if (!s->wtr)
    return s->err ? s->err : -ENOTSUP;
  if (s->wlost && s->err)
    return s->err;
  if (s->wlost || s->closing)
    return -EPIPE;
  return 0;
}

int weft_stream_write(weft_stream *s, const void *data, size_t len) {
  int rc = write_check(s);

  if (rc)
    return rc;
  return weft_transport_write(s->wtr, data, len);
}

int weft_stream_writev(weft_stream *s, const struct iovec *iov, size_t n) {
  int rc = write_check(s);

  if (rc)
    return rc;
  return weft_transport_writev(s->wtr, iov, n);
}

int weft_stream_write_str(weft_stream *s, const char *str) {
  return weft_stream_write(s, str, strlen(str));
}

int weft_stream_drain(weft_stream *s) {
  int rc;

  if (!weft__current())
    return -EPERM;
  for (;;) {
    if (s->err)
      return s->err;
    if (s->wlost || !s->wtr)
      return -EPIPE;
    if (!s->wpaused)
      return s->closing ? -EPIPE : 0;
    rc = weft__stream_park(&s->drainers, "stream drain");
    if (rc)
      return rc;
  }
}

int weft_stream_set_write_buffer_limits(weft_stream *s, size_t high, size_t low) {
  if (!s->wtr)
    return -ENOTSUP;
  return weft_transport_set_write_buffer_limits(s->wtr, high, low);
}

size_t weft_stream_write_buffer_size(const weft_stream *s) {
  return s->wtr ? weft_transport_get_write_buffer_size(s->wtr) : 0;
}

int weft_stream_write_eof(weft_stream *s) {
  int rc = write_check(s);

  if (rc)
    return rc;
  return weft_transport_write_eof(s->wtr);
}

int weft_stream_can_write_eof(const weft_stream *s) {
  return s->wtr ? weft_transport_can_write_eof(s->wtr) : 0;
}
