/*
 * The child side of a pool: a fresh thread with a fresh loop (weft_run)
 * that reads frames of items into a local queue, runs them on up to
 * childconcurrency worker tasks and sends the results back several to a
 * frame.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "process/internal.h"

#define FLUSH_AFTER 0.005 /* seconds between results frames of a busy child */

/* One ITEMS frame's payload, kept where it was read, queued until its
 * last item is taken and kept until its last item is done. */
typedef struct cchunk {
  struct cchunk *next; /* the queue */
  weft__slab *blk;     /* the slab block the payload was read into */
  char *data;
  size_t refs;     /* items not done */
  size_t left;     /* items not taken */
  size_t seg_left; /* items of the current segment not taken */
  uint64_t id;     /* the next item's */
  weft_pool_fn fn;
  size_t off, len;
} cchunk;

typedef struct citem {
  uint64_t id;
  weft_pool_fn fn;
  weft_buf arg; /* points into chunk */
  cchunk *chunk;
} citem;

typedef struct cstate {
  weft__chan ch;
  int fd;
  const weft_pool_opts *opts;
  cchunk *qhead, *qtail; /* the local queue of frames */
  size_t queued;         /* items not taken */
  size_t workers;        /* worker tasks alive */
  size_t running;        /* of which running an item */
  char *out;             /* results not sent yet: records and their bytes */
  weft__slab *outblk;    /* the block out is carved from */
  size_t outlen, outcap, outcount;
  size_t outhint;   /* the size the last results buffer grew to */
  weft__slab *slab; /* chunks and results buffers are carved from it */
  double last_flush;
  int eof, flush_soon;
  weft_future *idle;   /* set once nothing is left to do */
  weft_future *closed; /* set by the pipe's close callback */
} cstate;

/* Anything the child cannot do would leave the parent waiting forever:
 * exit instead, so the parent fails the items this child had in flight. */
static void __attribute__((noreturn)) die(void) {
  fflush(NULL);
  _exit(WEFT__CHILD_FAILED);
}

static double mono(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void check_idle(cstate *cs) {
  if (cs->eof && cs->queued == 0 && cs->workers == 0 && cs->outlen == 0 && !cs->flush_soon &&
      cs->ch.writes == 0 && cs->idle && !weft_future_done(cs->idle))
    weft_future_set_result(cs->idle, NULL);
}

/* Send every result gathered so far in one frame. While the frame before
 * is being written, results gather in the next buffer, up to a frame's
 * worth: on_drain sends them, once the buffer before is back for reuse. A
 * child then fills two buffers in turn however fast the parent reads. */
static void flush(cstate *cs) {
  weft__pframe h = {.kind = WEFT__PF_RESULTS, .count = (uint32_t)cs->outcount, .len = cs->outlen};

  cs->last_flush = mono();
  if (!cs->outlen)
    return;
  if (cs->ch.writes && cs->outlen < WEFT__FRAME_CAP)
    return;
  if (weft__chan_send_slab(&cs->ch, &h, cs->out, cs->outblk) != 0)
    die();
  cs->out = NULL;
  cs->outblk = NULL;
  cs->outlen = cs->outcap = cs->outcount = 0;
}

static void flush_cb(void *arg) {
  cstate *cs = arg;

  cs->flush_soon = 0;
  flush(cs);
  check_idle(cs);
}

/* Room for need bytes of results: a buffer as large as the last one. */
static void out_reserve(cstate *cs, size_t need) {
  size_t cap = cs->outcap ? cs->outcap : (cs->outhint ? cs->outhint : 4096);
  weft__slab *blk;
  char *nb;

  if (need <= cs->outcap)
    return;
  while (cap < need)
    cap *= 2;
  if (!(nb = weft__slab_take(&cs->slab, cap, &blk)))
    die();
  if (cs->out) {
    memcpy(nb, cs->out, cs->outlen);
    weft__slab_put(cs->outblk);
  }
  cs->out = nb;
  cs->outblk = blk;
  cs->outcap = cap;
  if (cap <= 2 * WEFT__FRAME_CAP) /* not after one huge result */
    cs->outhint = cap;
}

static void out_append(cstate *cs, uint64_t id, int code, const void *data, size_t len) {
  weft__precord r = {.id = id, .len = (uint32_t)len, .code = code};
  size_t need = cs->outlen + sizeof r + len;

  out_reserve(cs, need);
  memcpy(cs->out + cs->outlen, &r, sizeof r);
  if (len)
    memcpy(cs->out + cs->outlen + sizeof r, data, len);
  cs->outlen = need;
  cs->outcount++;
}

/* Send now when the item's frame is done, the results are many, or the
 * oldest waited long enough; else soon, when the worker next suspends. */
static void result_ready(cstate *cs, int chunk_done) {
  /* the clock is read for the first results of a frame, then now and then */
  if (chunk_done || cs->outlen >= WEFT__FRAME_CAP ||
      ((cs->outcount < 8 || cs->outcount % 64 == 0) && mono() - cs->last_flush >= FLUSH_AFTER)) {
    flush(cs);
    return;
  }
  if (!cs->flush_soon) {
    if (weft_call_soon(weft_loop_current(), flush_cb, cs, NULL) != 0)
      flush(cs);
    else
      cs->flush_soon = 1;
  }
}

/* Run one item on the current worker task and queue its outcome; a
 * weft_fail in fn becomes the item's error, not the worker's. */
static void item_run(cstate *cs, citem *it, char *scratch) {
  weft_task *t = weft__current();
  weft_buf out = {scratch, 0};
  int done;

  it->fn(&it->arg, &out);
  if (t->failed) {
    const char *msg = t->fail_message ? t->fail_message : weft_strerror(t->fail_code);

    out_append(cs, it->id, t->fail_code < 0 ? t->fail_code : -EINVAL, msg, strlen(msg));
    t->failed = 0;
    weft_free(t->fail_message);
    t->fail_message = NULL;
  } else if (out.len > WEFT__BUF_MAX) {
    char msg[96];

    snprintf(msg, sizeof msg, "result of %zu bytes: larger than %zu", out.len, WEFT__BUF_MAX);
    out_append(cs, it->id, -EMSGSIZE, msg, strlen(msg));
  } else {
    out_append(cs, it->id, 0, out.data, out.len);
  }
  if (out.data != scratch)
    weft_free(out.data);
  if ((done = --it->chunk->refs == 0) != 0) {
    weft__slab_put(it->chunk->blk);
    weft_free(it->chunk);
  }
  result_ready(cs, done);
}

/* A malformed frame: the parent is not ours. */
static void bad_frame(void) {
  die();
}

/* Take the next queued item. 0 when the queue is empty. */
static int queue_take(cstate *cs, citem *it) {
  cchunk *c = cs->qhead;
  uint32_t len;

  if (!c)
    return 0;
  if (c->seg_left == 0) {
    weft__pseg_hdr sh;

    if (c->len - c->off < sizeof sh)
      bad_frame();
    memcpy(&sh, c->data + c->off, sizeof sh);
    c->off += sizeof sh;
    if (sh.count == 0 || sh.count > c->left)
      bad_frame();
    c->seg_left = (size_t)sh.count;
    c->id = sh.id;
    c->fn = (weft_pool_fn)(uintptr_t)sh.fn;
  }
  if (c->len - c->off < sizeof len)
    bad_frame();
  memcpy(&len, c->data + c->off, sizeof len);
  c->off += sizeof len;
  if (len > c->len - c->off)
    bad_frame();
  *it = (citem){c->id++, c->fn, {len ? c->data + c->off : NULL, len}, c};
  c->off += len;
  c->seg_left--;
  cs->queued--;
  if (--c->left == 0 && !(cs->qhead = c->next))
    cs->qtail = NULL;
  return 1;
}

static void *worker_main(void *arg);

/* One more worker when every worker is busy and items wait, up to
 * childconcurrency: it runs once the busy ones suspend or finish, so items
 * that never suspend run one after the other on one worker. */
static void worker_spare(cstate *cs) {
  if (cs->queued == 0 || cs->workers > cs->running || cs->workers >= cs->opts->childconcurrency)
    return;
  if (weft_spawn(NULL, worker_main, cs, NULL) != 0) {
    if (cs->workers == 0)
      die();
    return;
  }
  cs->workers++;
}

static void *worker_main(void *arg) {
  cstate *cs = arg;
  char scratch[WEFT_POOL_SCRATCH];
  citem it;

  while (queue_take(cs, &it)) {
    cs->running++;
    worker_spare(cs);
    item_run(cs, &it, scratch);
    cs->running--;
  }
  cs->workers--;
  check_idle(cs);
  return NULL;
}

/* Room for the results of a frame's items, guessing each about as large
 * as its argument (up to a frame's worth). */
static void out_guess(cstate *cs, const weft__pframe *h) {
  size_t want = (size_t)h->count * sizeof(weft__precord) + h->len;

  out_reserve(cs, cs->outlen + (want < WEFT__FRAME_CAP ? want : WEFT__FRAME_CAP));
}

/* Queue a frame's items; they keep its payload alive where it was read. */
static void on_frame(weft__chan *ch, const weft__pframe *h, char *payload) {
  cstate *cs = ch->data;
  cchunk *c;

  if (h->kind != WEFT__PF_ITEMS || h->count == 0)
    return;
  if (!(c = weft_malloc(sizeof *c)))
    die();
  c->blk = weft__chan_keep(ch);
  c->data = payload;
  c->next = NULL;
  c->refs = c->left = h->count;
  c->seg_left = 0;
  c->off = 0;
  c->len = h->len;
  if (cs->qtail)
    cs->qtail->next = c;
  else
    cs->qhead = c;
  cs->qtail = c;
  cs->queued += h->count;
  out_guess(cs, h);
  worker_spare(cs);
}

static void on_eof(weft__chan *ch, int err) {
  cstate *cs = ch->data;

  WEFT__UNUSED(err);
  cs->eof = 1;
  check_idle(cs);
}

static void on_drain(weft__chan *ch) {
  cstate *cs = ch->data;

  flush(cs);
  check_idle(cs);
}

static void on_closed(uv_handle_t *h) {
  cstate *cs = ((weft__chan *)h->data)->data;

  weft_future_set_result(cs->closed, NULL);
}

static void *child_main(void *arg) {
  cstate *cs = arg;
  int rc;

  cs->ch.data = cs;
  cs->ch.on_frame = on_frame;
  cs->ch.on_eof = on_eof;
  cs->ch.on_drain = on_drain;
  if ((rc = weft_future_new(&cs->idle, NULL)) != 0 ||
      (rc = weft_future_new(&cs->closed, NULL)) != 0)
    return weft_fail(rc, "worker setup failed");
  if (cs->opts->initializer)
    cs->opts->initializer(cs->opts->initarg);
  if ((rc = weft__chan_open(&cs->ch, weft_loop_uv(weft_loop_current()), cs->fd, &cs->slab)) != 0)
    return weft_fail(rc, "worker could not open its channel");
  weft__slab_warm(&cs->slab);
  if ((rc = weft__chan_send(&cs->ch, &(weft__pframe){WEFT__PF_READY, 0, 0}, NULL, NULL)) != 0)
    return weft_fail(rc, "worker could not say it is ready");
  weft_future_await(cs->idle, NULL);
  uv_close((uv_handle_t *)&cs->ch.pipe, on_closed);
  weft_future_await(cs->closed, NULL);
  weft_future_release(cs->idle);
  weft_future_release(cs->closed);
  weft__chan_dispose(&cs->ch);
  if (cs->out)
    weft__slab_put(cs->outblk);
  weft__slab_drop(&cs->slab);
  return NULL;
}

static void *child_thread(void *arg) {
  cstate *cs = arg;

  return (void *)(intptr_t)weft_run(child_main, cs, NULL);
}

/* The forking thread may be a task's stack of the parent's loop, whose
 * thread-local state (current loop and task) it still carries: a new
 * thread starts clean, so the child's loop is built there. */
void weft__child_run(int fd, const weft_pool_opts *opts) {
  cstate cs = {.fd = fd, .opts = opts};
  pthread_t th;
  void *ret = NULL;
  int status = WEFT__CHILD_FAILED;

  if (pthread_create(&th, NULL, child_thread, &cs) == 0 && pthread_join(th, &ret) == 0)
    status = ret ? WEFT__CHILD_FAILED : 0;
  fflush(NULL);
  _exit(status);
}
