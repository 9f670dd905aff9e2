/* Byte buffers of a transfer and a response: the body received, the
 * upload pending, the raw header block, read_line's line. */
#include <errno.h>
#include <string.h>

#include "http/engine.h"

int weft__http_buf_grow(weft__http_buf *b, size_t cap) {
  char *d;

  if (cap <= b->cap)
    return 0;
  if (!(d = weft_realloc(b->data, cap)))
    return -ENOMEM;
  b->data = d;
  b->cap = cap;
  return 0;
}

/* Room for n more bytes and the NUL past len. */
static int buf_reserve(weft__http_buf *b, size_t n) {
  size_t cap;

  if (b->off == b->len)
    b->off = b->len = 0;
  if (b->len + n + 1 > b->cap && b->off > 0) {
    memmove(b->data, b->data + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
  }
  if (b->len + n + 1 <= b->cap)
    return 0;
  cap = b->cap ? b->cap : 256;
  while (cap < b->len + n + 1)
    cap *= 2;
  return weft__http_buf_grow(b, cap);
}

int weft__http_buf_append(weft__http_buf *b, const void *data, size_t n) {
  if (buf_reserve(b, n) < 0)
    return -ENOMEM;
  memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

void weft__http_buf_free(weft__http_buf *b) {
  weft_free(b->data);
  memset(b, 0, sizeof *b);
}
