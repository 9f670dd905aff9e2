/* Byte buffers of a transfer: the body received, the upload pending, the
 * raw header block. */
#include <errno.h>
#include <string.h>

#include "http/engine.h"

int weft__http_buf_append(weft__http_buf *b, const void *data, size_t n) {
  if (b->off == b->len)
    b->off = b->len = 0;
  if (b->len + n + 1 > b->cap && b->off > 0) {
    memmove(b->data, b->data + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
  }
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    char *d;

    while (cap < b->len + n + 1)
      cap *= 2;
    d = weft_realloc(b->data, cap);
    if (!d)
      return -ENOMEM;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

void weft__http_buf_free(weft__http_buf *b) {
  weft_free(b->data);
  memset(b, 0, sizeof *b);
}
