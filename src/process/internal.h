/*
 * Process layer internals: the framed channel both sides of a child's
 * socketpair speak, the child's entry point, and the pool's batches that
 * Process and Worker are built on.
 */
#ifndef WEFT_PROCESS_INTERNAL_H
#define WEFT_PROCESS_INTERNAL_H

#include <stdint.h>
#include <uv.h>

#include "core/internal.h"
#include "weft/process.h"

/* ITEMS frames go to a child, RESULTS frames come back; a child sends
 * READY (no payload) once it can take items. */
enum { WEFT__PF_ITEMS = 1, WEFT__PF_RESULTS = 2, WEFT__PF_READY = 3 };

/* Every frame: this header, then len payload bytes. Both ends are the same
 * program on the same machine, so native byte order is fine. */
typedef struct weft__pframe {
  uint32_t kind;
  uint32_t count; /* records in the payload */
  uint64_t len;
} weft__pframe;

/* An ITEMS payload is a run of segments: this header, then count items,
 * each a uint32_t length and its bytes. The items of a segment have the ids
 * id, id + 1, ... and run fn (valid in a forked child). */
typedef struct weft__pseg_hdr {
  uint64_t id;
  uint64_t fn;
  uint64_t count;
} weft__pseg_hdr;

/* A RESULTS payload is a run of records, each followed by len bytes: the
 * item's result (code 0) or its error message. */
typedef struct weft__precord {
  uint64_t id;
  uint32_t len;
  int32_t code;
} weft__precord;

/* A frame's payload stops growing past this (one record always fits). */
#define WEFT__FRAME_CAP (1024u * 1024u)
/* The largest item or result (lengths travel as 32 bits), and the largest
 * frame, which holds one of them with its headers: a longer one is not
 * ours. */
#define WEFT__BUF_MAX WEFT_POOL_BUF_MAX
#define WEFT__FRAME_MAX ((uint64_t)UINT32_MAX)

typedef struct weft__chan weft__chan;
/* payload points into the channel's buffer: valid during the call only. */
typedef void (*weft__chan_frame_cb)(weft__chan *ch, const weft__pframe *h, char *payload);
/* The peer closed (UV_EOF) or reading failed. */
typedef void (*weft__chan_eof_cb)(weft__chan *ch, int err);

typedef struct weft__slab weft__slab;

struct weft__chan {
  uv_pipe_t pipe;
  weft__slab **slab; /* the owner's: reads go to regions carved from it */
  weft__slab *blk;   /* the block buf is carved from */
  char *buf;         /* the region being read into, NULL between frames */
  size_t start, len; /* unread bytes: buf[start, start + len) */
  size_t cap;        /* bytes of the region */
  int kept;          /* a frame in buf was kept: buf is not written again */
  size_t writes;     /* writes queued and not completed */
  struct chan_write *last_write;
  weft__chan_frame_cb on_frame;
  weft__chan_eof_cb on_eof;
  void (*on_drain)(weft__chan *ch); /* writes dropped to 0; may be NULL */
  void *data;
};

/* Open fd as the channel on uv and start reading into regions of *slab
 * (which must outlive the channel). 0 or a libuv error. */
int weft__chan_open(weft__chan *ch, uv_loop_t *uv, int fd, weft__slab **slab);
/* From on_frame: keep the frame's payload past the call (no copy). Returns
 * the slab block it is in, with a reference the caller puts when done. */
weft__slab *weft__chan_keep(weft__chan *ch);
/* Queue a frame. owned (may be NULL) is weft_free'd once written (also on
 * failure). 0, -ENOMEM, or a libuv error. */
int weft__chan_send(weft__chan *ch, const weft__pframe *h, const void *data, void *owned);
/* Fault in the whole pages of [p, p + len) with one call instead of one
 * fault per page as they are first written (several times cheaper, much
 * more so in a virtual machine). For buffers about to be filled; a no-op
 * for small ranges and where the kernel cannot. */
void weft__prefault(void *p, size_t len);
/* Move the used bytes of old into a new prefaulted buffer of at least
 * *cap bytes (a big block from WEFT__BIG_MIN: *cap gets its size) and free
 * old (realloc would copy into pages not faulted in yet). The new buffer,
 * or NULL (old is kept). */
void *weft__grow(void *old, size_t used, size_t *cap);
/* Free the buffers (after the pipe is closed). */
void weft__chan_dispose(weft__chan *ch);

/* Frames carved from a shared block (slab.c); *cur is the current block,
 * NULL at first. */
/* Room for a frame of size bytes from *cur (a new block, faulted in as a
 * whole when it is made, when it is full; *blk gets the block it is in).
 * NULL if out of memory. */
void *weft__slab_take(weft__slab **cur, size_t size, weft__slab **blk);
/* Set up *cur's first block and fault it in now, ahead of the first
 * frame (nothing happens when memory is short: the first frame tries). */
void weft__slab_warm(weft__slab **cur);
/* One more reference to blk (put it too). */
void weft__slab_ref(weft__slab *blk);
/* The frame taken from blk is written (or was never sent). */
void weft__slab_put(weft__slab *blk);
/* The owner is done with *cur: freed once its frames are written. */
void weft__slab_drop(weft__slab **cur);
/* Queue a frame whose payload buf was taken from blk: blk is put once it is
 * written (also on failure). 0, -ENOMEM, or a libuv error. */
int weft__chan_send_slab(weft__chan *ch, const weft__pframe *h, void *buf, weft__slab *blk);

/* The exit status of a child that could not set itself up or could not
 * send a result (EX_SOFTWARE). */
#define WEFT__CHILD_FAILED 70

/* In a freshly forked child: run the worker loop on fd, then exit. */
void weft__child_run(int fd, const weft_pool_opts *opts) __attribute__((noreturn));

/* ---- pool batches ----------------------------------------------------- */

typedef struct weft__pbatch weft__pbatch;

/* Per-item state bits of a batch. */
enum { WEFT__PI_DONE = 1, WEFT__PI_LOCAL = 2 /* failed here, not by fn */ };

/* Where a batch puts its outcomes. */
typedef struct weft__psink {
  weft_pool_result *res; /* results[i] (NULL: an array of the batch's own) */
  weft_pool_results *ar; /* or the spans and bytes of an arena */
  int copy;              /* copy the items: the caller returns at once */
  int order;             /* keep the completion order (streams) */
} weft__psink;

struct weft__pbatch {
  weft_pool *pool;
  size_t n, ndone, ntaken, outstanding;
  size_t chunk;     /* items per frame */
  size_t next;      /* items[next..n) were not sent yet */
  weft__list plink; /* in pool->pending while some were not sent */
  weft_pool_fn fn;
  const weft_buf *items; /* the caller's, or copies */
  weft_buf *copies;      /* with copy: the items, their bytes in arena */
  char *arena;
  unsigned char *state;  /* WEFT__PI_* per item */
  weft_pool_result *res; /* results, unless ar or dropped */
  weft_pool_results *ar;
  int own_res;       /* res is the batch's: freed with it */
  size_t *order;     /* indices in completion order, or NULL */
  size_t first_fail; /* the lowest failed index (n if none) */
  int first_code;
  weft_future *wake; /* set once ndone passes wait_for */
  size_t wait_for;
  int abandoned;
};

/* Submit n items as one batch, its outcomes going where sink says.
 * 0, -ESHUTDOWN, -ENOMEM. */
int weft__pool_batch(weft_pool *p, weft_pool_fn fn, const weft_buf *items, size_t n,
                     const weft__psink *sink, weft__pbatch **out);
/* Suspend until more than k items are done. 0, -ECANCELED, -ETIMEDOUT. */
int weft__batch_wait(weft__pbatch *b, size_t k);
/* The caller no longer wants the batch: pending items are dropped, later
 * outcomes are not stored, the batch is freed once nothing runs. */
void weft__batch_abandon(weft__pbatch *b);
/* Options for a one-child pool that does not replace its child. */
int weft__pool_new_single(weft_pool **out);
/* The raw wait status of the last child reaped, -1 if none. */
int weft__pool_last_status(const weft_pool *p);

#endif /* WEFT_PROCESS_INTERNAL_H */
