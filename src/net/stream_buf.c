/*
 * The stream's read buffer: append at the tail, consume at the head, find a
 * separator, and hand out views that stay valid while more data arrives.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "weft/core.h"
#include "stream.h"

#define SBUF_MIN_CAP 4096u
#define SBUF_KEEP_MAX (256u * 1024u) /* an empty buffer above this is freed */

static size_t sbuf_grow_cap(size_t cap, size_t need) {
  size_t c = cap < SBUF_MIN_CAP ? SBUF_MIN_CAP : cap;

  while (c < need) {
    if (c > SIZE_MAX / 2)
      return need;
    c *= 2;
  }
  return c;
}

/* Move the live bytes to a fresh block; the old one stays for the view. */
static int sbuf_move_out(weft__sbuf *b, size_t need) {
  size_t cap = sbuf_grow_cap(0, need);
  char *nd = weft_malloc(cap);

  if (!nd)
    return -ENOMEM;
  if (b->len)
    memcpy(nd, b->data + b->off, b->len);
  weft_free(b->retired); /* none expected: a view pins one block */
  b->retired = b->data;
  b->data = nd;
  b->cap = cap;
  b->off = 0;
  b->pinned = 0; /* the pinned bytes live in the retired block now */
  return 0;
}

static int sbuf_make_room(weft__sbuf *b, size_t n) {
  size_t need;
  char *nd;

  if (b->cap - b->off - b->len >= n)
    return 0;
  if (n > SIZE_MAX - b->len)
    return -ENOMEM;
  need = b->len + n;
  if (b->pinned)
    return sbuf_move_out(b, need);
  if (b->off && need <= b->cap) {
    memmove(b->data, b->data + b->off, b->len);
    b->off = 0;
    return 0;
  }
  if (b->off) {
    memmove(b->data, b->data + b->off, b->len);
    b->off = 0;
  }
  nd = weft_realloc(b->data, sbuf_grow_cap(b->cap, need));
  if (!nd)
    return -ENOMEM;
  b->data = nd;
  b->cap = sbuf_grow_cap(b->cap, need);
  return 0;
}

char *weft__sbuf_reserve(weft__sbuf *b, size_t n) {
  if (sbuf_make_room(b, n) != 0)
    return NULL;
  return b->data + b->off + b->len;
}

void weft__sbuf_commit(weft__sbuf *b, size_t n) {
  b->len += n;
}

int weft__sbuf_append(weft__sbuf *b, const void *src, size_t n) {
  char *dst;

  if (n == 0)
    return 0;
  dst = weft__sbuf_reserve(b, n);
  if (!dst)
    return -ENOMEM;
  memcpy(dst, src, n);
  b->len += n;
  return 0;
}

static void sbuf_settle(weft__sbuf *b) {
  if (b->len || b->pinned)
    return;
  b->off = 0;
  if (b->cap > SBUF_KEEP_MAX) {
    weft_free(b->data);
    b->data = NULL;
    b->cap = 0;
  }
}

void weft__sbuf_consume(weft__sbuf *b, size_t n) {
  b->off += n;
  b->len -= n;
  sbuf_settle(b);
}

const char *weft__sbuf_take_view(weft__sbuf *b, size_t n) {
  const char *p = b->data + b->off;

  b->off += n;
  b->len -= n;
  b->pinned = 1;
  return p;
}

void weft__sbuf_unpin(weft__sbuf *b) {
  weft_free(b->retired);
  b->retired = NULL;
  b->pinned = 0;
  sbuf_settle(b);
}

size_t weft__sbuf_find(const weft__sbuf *b, const void *sep, size_t seplen, size_t from) {
  const char *base = b->data + b->off;
  const unsigned char *s = sep;
  const char *p;

  if (seplen == 0 || b->len < seplen || from > b->len - seplen)
    return WEFT__SBUF_NPOS;
  for (p = base + from; (size_t)(p - base) <= b->len - seplen; p++) {
    p = memchr(p, s[0], b->len - seplen + 1 - (size_t)(p - base));
    if (!p)
      return WEFT__SBUF_NPOS;
    if (memcmp(p, sep, seplen) == 0)
      return (size_t)(p - base);
  }
  return WEFT__SBUF_NPOS;
}

void weft__sbuf_free(weft__sbuf *b) {
  weft_free(b->data);
  weft_free(b->retired);
  memset(b, 0, sizeof *b);
}
