/*
 * Frame slabs: the frames a pool sends its children, carved one after the
 * other from one big block instead of one buffer per frame. A map's first
 * frames (two per child) then fill one block's pages instead of a fresh
 * buffer each, and once every frame carved from the block is written, the
 * next frames start again at its beginning, on pages already faulted in.
 */
#include "process/internal.h"

#define SLAB_SIZE ((size_t)2 << 20)
#define SLAB_ALIGN 16

struct weft__slab {
  size_t refs; /* frames carved and not written yet */
  size_t off;  /* the next frame's offset in data */
  size_t cap;  /* bytes of data */
  int retired; /* no longer the current block: free at refs 0 */
  char data[] __attribute__((aligned(SLAB_ALIGN)));
};

static void slab_retire(weft__slab *s) {
  if (s->refs == 0)
    weft_free(s);
  else
    s->retired = 1;
}

/* A new current block with room for size bytes, or NULL. */
static weft__slab *slab_new(size_t size) {
  size_t want = size > SLAB_SIZE - sizeof(weft__slab) ? size : SLAB_SIZE - sizeof(weft__slab);
  size_t cap;
  weft__slab *s;

  if (want > SIZE_MAX - sizeof *s || !(s = weft__big_alloc(sizeof *s + want, &cap)))
    return NULL;
  weft__big_private(s);
  *s = (weft__slab){.cap = cap - sizeof *s};
  return s;
}

void *weft__slab_take(weft__slab **cur, size_t size, weft__slab **blk) {
  size_t len = (size + SLAB_ALIGN - 1) & ~(size_t)(SLAB_ALIGN - 1);
  weft__slab *s = *cur;
  char *p;

  if (len < size)
    return NULL;
  if (s && s->refs == 0) /* every frame of it written: start over */
    s->off = 0;
  if (!s || s->cap - s->off < len) {
    if (s)
      slab_retire(s);
    if (!(s = *cur = slab_new(len)))
      return NULL;
  }
  p = s->data + s->off;
  weft__prefault(p, size);
  s->off += len;
  s->refs++;
  *blk = s;
  return p;
}

void weft__slab_warm(weft__slab **cur) {
  if (!*cur && (*cur = slab_new(0)) != NULL)
    weft__prefault((*cur)->data, (*cur)->cap);
}

void weft__slab_put(weft__slab *blk) {
  if (--blk->refs == 0 && blk->retired)
    weft_free(blk);
}

void weft__slab_drop(weft__slab **cur) {
  if (*cur)
    slab_retire(*cur);
  *cur = NULL;
}
