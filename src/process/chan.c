/*
 * A framed channel over one end of a socketpair: length-prefixed frames,
 * read into a growing buffer, written with uv_write.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "process/internal.h"

#define CHAN_READ_CHUNK (64u * 1024u)
#define CHAN_KEEP_MAX (2u << 20) /* an empty read buffer larger than this is freed */

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

typedef struct chan_write {
  uv_write_t req;
  weft__pframe h;
  void *owned;
  weft__slab *slab; /* with weft__chan_send_slab: put once written */
} chan_write;

/* Size the buffer for the rest of the frame being read, so a large payload
 * arrives with one allocation instead of many small reads. */
static void chan_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
  weft__chan *ch = h->data;
  size_t want = CHAN_READ_CHUNK;
  weft__pframe hdr;

  WEFT__UNUSED(suggested);
  if (ch->len >= sizeof hdr) {
    memcpy(&hdr, ch->buf, sizeof hdr);
    if (sizeof hdr + hdr.len > ch->len + want)
      want = sizeof hdr + hdr.len - ch->len;
  }
  if (ch->cap - ch->len < want) {
    size_t cap = ch->len + want;
    char *nb = weft__grow(ch->buf, ch->len, &cap);

    if (!nb) {
      *b = uv_buf_init(NULL, 0); /* read_cb gets UV_ENOBUFS */
      return;
    }
    weft__big_private(nb);
    ch->buf = nb;
    ch->cap = cap;
  }
  *b = uv_buf_init(ch->buf + ch->len, (unsigned)(ch->cap - ch->len));
}

static void chan_shrink(weft__chan *ch) {
  if (ch->len == 0 && ch->cap > CHAN_KEEP_MAX) {
    weft_free(ch->buf);
    ch->buf = NULL;
    ch->cap = 0;
  }
}

static void chan_parse(weft__chan *ch) {
  size_t off = 0;
  weft__pframe h;

  while (ch->len - off >= sizeof h) {
    memcpy(&h, ch->buf + off, sizeof h);
    if (ch->len - off - sizeof h < h.len)
      break;
    ch->on_frame(ch, &h, ch->buf + off + sizeof h);
    off += sizeof h + h.len;
  }
  if (off) {
    memmove(ch->buf, ch->buf + off, ch->len - off);
    ch->len -= off;
  }
  chan_shrink(ch);
}

static void chan_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b) {
  weft__chan *ch = s->data;

  WEFT__UNUSED(b);
  if (nread < 0) {
    uv_read_stop(s);
    ch->on_eof(ch, (int)nread);
    return;
  }
  ch->len += (size_t)nread;
  chan_parse(ch);
}

int weft__chan_open(weft__chan *ch, uv_loop_t *uv, int fd) {
  int rc = uv_pipe_init(uv, &ch->pipe, 0);

  if (rc)
    return rc;
  ch->pipe.data = ch;
  if ((rc = uv_pipe_open(&ch->pipe, fd)) != 0)
    return rc;
  return uv_read_start((uv_stream_t *)&ch->pipe, chan_alloc, chan_read);
}

static void chan_written(uv_write_t *req, int status) {
  chan_write *w = req->data;
  weft__chan *ch = w->req.handle->data;

  /* A failed write means the peer is gone: the reader sees EOF and the
   * owner handles it there. */
  WEFT__UNUSED(status);
  if (w->slab)
    weft__slab_put(w->slab);
  weft_free(w->owned);
  weft_free(w);
  if (--ch->writes == 0 && ch->on_drain)
    ch->on_drain(ch);
}

int weft__chan_send_slab(weft__chan *ch, const weft__pframe *h, void *buf, weft__slab *blk) {
  int rc = weft__chan_send(ch, h, buf, NULL);

  if (rc == 0)
    ch->last_write->slab = blk;
  else
    weft__slab_put(blk);
  return rc;
}

int weft__chan_send(weft__chan *ch, const weft__pframe *h, const void *data, void *owned) {
  chan_write *w = weft_malloc(sizeof *w);
  uv_buf_t bufs[2];
  int rc;

  if (!w) {
    weft_free(owned);
    return -ENOMEM;
  }
  w->h = *h;
  w->owned = owned;
  w->slab = NULL;
  w->req.data = w;
  bufs[0] = uv_buf_init((char *)&w->h, sizeof w->h);
  bufs[1] = uv_buf_init((char *)data, (unsigned)h->len);
  rc = uv_write(&w->req, (uv_stream_t *)&ch->pipe, bufs, h->len ? 2 : 1, chan_written);
  if (rc) {
    weft_free(owned);
    weft_free(w);
    return rc;
  }
  ch->writes++;
  ch->last_write = w;
  return 0;
}

void weft__chan_dispose(weft__chan *ch) {
  weft_free(ch->buf);
  ch->buf = NULL;
  ch->len = ch->cap = 0;
}
