/* The engine's ciphertext buffers (weft__tls_buf): append at the tail,
 * take from the head, reuse the memory. */
#include <errno.h>
#include <string.h>

#include "tls/internal.h"

#define BUF_MIN (32u * 1024u)
#define BUF_KEEP_MAX (1u << 20) /* an empty buffer larger than this is freed */

char *weft__tls_buf_reserve(weft__tls_buf *b, size_t n, size_t *room) {
  size_t cap;
  char *nb;

  if (b->cap - b->off - b->len < n && b->off) {
    memmove(b->data, b->data + b->off, b->len);
    b->off = 0;
  }
  if (b->cap - b->off - b->len < n) {
    if (n > SIZE_MAX / 4 - b->len)
      return NULL;
    cap = b->cap ? b->cap : BUF_MIN;
    while (cap < b->len + n)
      cap *= 2;
    if (!(nb = weft_realloc(b->data, cap)))
      return NULL;
    b->data = nb;
    b->cap = cap;
  }
  *room = b->cap - b->off - b->len;
  return b->data + b->off + b->len;
}

int weft__tls_buf_append(weft__tls_buf *b, const void *data, size_t n) {
  size_t room;
  char *p = weft__tls_buf_reserve(b, n, &room);

  if (!p)
    return -ENOMEM;
  memcpy(p, data, n);
  b->len += n;
  return 0;
}

const char *weft__tls_buf_peek(const weft__tls_buf *b, size_t *len) {
  *len = b->len;
  return b->data ? b->data + b->off : NULL;
}

void weft__tls_buf_consume(weft__tls_buf *b, size_t n) {
  b->off += n;
  b->len -= n;
  if (b->len)
    return;
  b->off = 0;
  if (b->cap > BUF_KEEP_MAX)
    weft__tls_buf_free(b);
}

void weft__tls_buf_free(weft__tls_buf *b) {
  weft_free(b->data);
  memset(b, 0, sizeof *b);
}
