/*
 * A framed channel over one end of a socketpair: length-prefixed frames,
 * read into regions of its owner's slab (so a frame can be kept where it
 * was read, without a copy), written with uv_write.
 */
#include <errno.h>
#include <string.h>

#include "process/internal.h"

#define CHAN_READ_CHUNK (64u * 1024u)

typedef struct chan_write {
  uv_write_t req;
  weft__pframe h;
  void *owned;
  weft__slab *slab; /* with weft__chan_send_slab: put once written */
} chan_write;

/* What the next read should have room for: a chunk, or the rest of the
 * frame being read when it is larger. SIZE_MAX if no buffer can hold it. */
static size_t chan_want(const weft__chan *ch) {
  size_t want = CHAN_READ_CHUNK;
  weft__pframe hdr;

  if (ch->len >= sizeof hdr) {
    memcpy(&hdr, ch->buf + ch->start, sizeof hdr);
    if (hdr.len > WEFT__FRAME_MAX)
      return SIZE_MAX;
    if (sizeof hdr + hdr.len > ch->len + want)
      want = sizeof hdr + hdr.len - ch->len;
  }
  return want;
}

/* Move the unread bytes to a new region of the slab with room for size
 * bytes; the old region goes back. 0 or -ENOMEM. */
static int chan_move(weft__chan *ch, size_t size) {
  weft__slab *blk;
  char *nb = weft__slab_take(ch->slab, size, &blk);

  if (!nb)
    return -ENOMEM;
  if (ch->len)
    memcpy(nb, ch->buf + ch->start, ch->len);
  if (ch->buf)
    weft__slab_put(ch->blk);
  ch->buf = nb;
  ch->blk = blk;
  ch->cap = size;
  ch->start = 0;
  ch->kept = 0;
  return 0;
}

/* Give the region back to the slab (nothing unread is in it). */
static void chan_release(weft__chan *ch) {
  if (ch->buf)
    weft__slab_put(ch->blk);
  ch->buf = NULL;
  ch->blk = NULL;
  ch->cap = ch->start = ch->len = 0;
  ch->kept = 0;
}

/* Room for the rest of the frame being read, so a large payload arrives
 * with one region instead of many small reads. Bytes in a region a frame
 * was kept from never move within it: reads only append, and the unread
 * bytes move to a new region when it is full. */
static void chan_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
  weft__chan *ch = h->data;
  size_t want = chan_want(ch);

  WEFT__UNUSED(suggested);
  if (want > SIZE_MAX / 2 - ch->len) {
    *b = uv_buf_init(NULL, 0); /* read_cb gets UV_ENOBUFS */
    return;
  }
  if ((!ch->buf || ch->cap - ch->start - ch->len < want) && chan_move(ch, ch->len + want) != 0) {
    *b = uv_buf_init(NULL, 0);
    return;
  }
  *b = uv_buf_init(ch->buf + ch->start + ch->len, (unsigned)(ch->cap - ch->start - ch->len));
}

weft__slab *weft__chan_keep(weft__chan *ch) {
  weft__slab_ref(ch->blk);
  ch->kept = 1;
  return ch->blk;
}

static void chan_parse(weft__chan *ch) {
  size_t off = ch->start, end = ch->start + ch->len;
  weft__pframe h;

  while (end - off >= sizeof h) {
    memcpy(&h, ch->buf + off, sizeof h);
    if (end - off - sizeof h < h.len)
      break;
    ch->on_frame(ch, &h, ch->buf + off + sizeof h);
    off += sizeof h + h.len;
  }
  ch->len = end - off;
  if (ch->len == 0)
    chan_release(ch);
  else if (ch->kept)
    ch->start = off; /* the kept frames stay where they are */
  else if (off != ch->start) {
    memmove(ch->buf, ch->buf + off, ch->len);
    ch->start = 0;
  }
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

int weft__chan_open(weft__chan *ch, uv_loop_t *uv, int fd, weft__slab **slab) {
  int rc = uv_pipe_init(uv, &ch->pipe, 0);

  ch->slab = slab;
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
  chan_release(ch);
}
