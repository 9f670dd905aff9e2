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

/* ITEMS frames go to a child, RESULTS frames come back. */
enum { WEFT__PF_ITEMS = 1, WEFT__PF_RESULTS = 2 };

/* Every frame: this header, then len payload bytes. Both ends are the same
 * program on the same machine, so native byte order is fine. */
typedef struct weft__pframe {
  uint32_t kind;
  uint32_t count; /* records in the payload */
  uint64_t len;
} weft__pframe;

/* A frame's payload is a run of records, each followed by len bytes: an
 * item's argument (ITEMS) or a result or error message (RESULTS). */
typedef struct weft__precord {
  uint64_t id;
  uint64_t len;
  int64_t aux; /* ITEMS: the worker function (valid in a forked child);
                * RESULTS: 0 or the item's error code */
} weft__precord;

/* A frame's payload stops growing past this (one record always fits). */
#define WEFT__FRAME_CAP (1024u * 1024u)

typedef struct weft__chan weft__chan;
/* payload points into the channel's buffer: valid during the call only. */
typedef void (*weft__chan_frame_cb)(weft__chan *ch, const weft__pframe *h, char *payload);
/* The peer closed (UV_EOF) or reading failed. */
typedef void (*weft__chan_eof_cb)(weft__chan *ch, int err);

struct weft__chan {
  uv_pipe_t pipe;
  char *buf;
  size_t len, cap;
  size_t writes; /* writes queued and not completed */
  weft__chan_frame_cb on_frame;
  weft__chan_eof_cb on_eof;
  void (*on_drain)(weft__chan *ch); /* writes dropped to 0; may be NULL */
  void *data;
};

/* Open fd as the channel on uv and start reading. 0 or a libuv error. */
int weft__chan_open(weft__chan *ch, uv_loop_t *uv, int fd);
/* Queue a frame. owned (may be NULL) is weft_free'd once written (also on
 * failure). 0, -ENOMEM, or a libuv error. */
int weft__chan_send(weft__chan *ch, const weft__pframe *h, const void *data, void *owned);
/* Free the read buffer (after the pipe is closed). */
void weft__chan_dispose(weft__chan *ch);

/* The exit status of a child that could not set itself up or could not
 * send a result (EX_SOFTWARE). */
#define WEFT__CHILD_FAILED 70

/* In a freshly forked child: run the worker loop on fd, then exit. */
void weft__child_run(int fd, const weft_pool_opts *opts) __attribute__((noreturn));

/* ---- pool batches ----------------------------------------------------- */

typedef struct weft__pbatch weft__pbatch;
typedef struct weft__pchild weft__pchild;

typedef struct weft__pjob {
  weft__list link; /* child->inflight, once sent */
  weft__pbatch *batch;
  uint64_t id;
  const char *data; /* the item's bytes, in the batch's arena */
  size_t len;
  weft__pchild *child; /* the child it was sent to, NULL while pending */
  int done;
  int local;            /* failed here (send, receive, death), not by its function */
  weft_pool_result res; /* valid once done */
} weft__pjob;

struct weft__pbatch {
  weft_pool *pool;
  size_t n, ndone, ntaken, outstanding;
  size_t chunk;     /* items per frame */
  size_t next;      /* jobs[next..n) were not sent yet */
  weft__list plink; /* in pool->pending while some were not sent */
  weft_pool_fn fn;
  weft__pjob *jobs;
  char *arena;   /* a copy of every item's bytes */
  size_t *order; /* indices in completion order */
  weft_future *wake;
  int abandoned;
};

/* Submit n items (copied) as one batch. 0, -ESHUTDOWN, -ENOMEM. */
int weft__pool_batch(weft_pool *p, weft_pool_fn fn, const weft_buf *items, size_t n,
                     weft__pbatch **out);
/* Suspend until more than k items are done. 0, -ECANCELED, -ETIMEDOUT. */
int weft__batch_wait(weft__pbatch *b, size_t k);
/* The caller no longer wants the batch: pending items are dropped, the
 * batch is freed once nothing runs. */
void weft__batch_abandon(weft__pbatch *b);
/* Options for a one-child pool that does not replace its child. */
int weft__pool_new_single(weft_pool **out);
/* The raw wait status of the last child reaped, -1 if none. */
int weft__pool_last_status(const weft_pool *p);

#endif /* WEFT_PROCESS_INTERNAL_H */
