/*
 * Frame slabs: the frames a process sends and reads, carved one after the
 * other from one big block instead of one buffer per frame. A map's first
 * frames then fill one block's pages instead of a fresh buffer each, and
 * once every region carved from the block is given back, the next ones
 * start again at its beginning, on pages already faulted in. A region
 * larger than three quarters of a block gets a block of its own. Also the
 * process layer's other memory helpers: prefaulting, growing a buffer.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "process/internal.h"

#if defined(__linux__) && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif
#define PREFAULT_MIN (64u * 1024u)

void weft__prefault(void *p, size_t len) {
#ifdef MADV_POPULATE_WRITE
  static uintptr_t page;
  static int unsupported;
  uintptr_t a, b;

  if (unsupported || len < PREFAULT_MIN)
    return;
  if (!page)
    page = (uintptr_t)sysconf(_SC_PAGESIZE);
  a = ((uintptr_t)p + page - 1) & ~(page - 1);
  b = ((uintptr_t)p + len) & ~(page - 1);
  if (b > a && madvise((void *)a, b - a, MADV_POPULATE_WRITE) != 0 && errno == EINVAL)
    unsupported = 1; /* an older kernel: faults as usual */
#else
  WEFT__UNUSED(p);
  WEFT__UNUSED(len);
#endif
}

void *weft__grow(void *old, size_t used, size_t *cap) {
  size_t want = *cap;
  char *nb = weft__big_alloc(want, cap);

  if (!nb)
    return NULL;
  weft__prefault(nb, want);
  if (used)
    memcpy(nb, old, used);
  weft_free(old);
  return nb;
}

#define SLAB_SIZE ((size_t)2 << 20)
#define SLAB_ALIGN 16
#define SLAB_ALONE (SLAB_SIZE / 4 * 3) /* larger regions get a block each */

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

/* A new block with room for size bytes (a whole slab at least), its pages
 * faulted in at once, or NULL. */
static weft__slab *slab_new(size_t size) {
  size_t want = size > SLAB_SIZE - sizeof(weft__slab) ? size : SLAB_SIZE - sizeof(weft__slab);
  size_t cap;
  weft__slab *s;

  if (want > SIZE_MAX - sizeof *s || !(s = weft__big_alloc(sizeof *s + want, &cap)))
    return NULL;
  weft__big_private(s);
  *s = (weft__slab){.cap = cap - sizeof *s};
  weft__prefault(s->data, want);
  return s;
}

/* A region too large to share a block: a block of its own, freed with
 * its reference. */
static void *slab_alone(size_t len, weft__slab **blk) {
  weft__slab *s = slab_new(len);

  if (!s)
    return NULL;
  s->retired = 1;
  s->refs = 1;
  *blk = s;
  return s->data;
}

void *weft__slab_take(weft__slab **cur, size_t size, weft__slab **blk) {
  size_t len = (size + SLAB_ALIGN - 1) & ~(size_t)(SLAB_ALIGN - 1);
  weft__slab *s = *cur;
  char *p;

  if (len < size)
    return NULL;
  if (len > SLAB_ALONE)
    return slab_alone(len, blk);
  if (s && s->refs == 0) /* every frame of it written: start over */
    s->off = 0;
  if (!s || s->cap - s->off < len) {
    if (s)
      slab_retire(s);
    if (!(s = *cur = slab_new(len)))
      return NULL;
  }
  p = s->data + s->off;
  s->off += len;
  s->refs++;
  *blk = s;
  return p;
}

void weft__slab_warm(weft__slab **cur) {
  if (!*cur)
    *cur = slab_new(0);
}

void weft__slab_ref(weft__slab *blk) {
  blk->refs++;
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
