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

/* One ITEMS frame's payload, kept until its last item is done. */
typedef struct cchunk {
  size_t refs;
  char data[];
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
  citem *q; /* the local queue: q[head..len) */
  size_t head, len, cap;
  size_t workers; /* worker tasks alive */
  size_t running; /* of which running an item */
  char *out;      /* results not sent yet: records and their bytes */
  size_t outlen, outcap, outcount;
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
  if (cs->eof && cs->head == cs->len && cs->workers == 0 && cs->outlen == 0 && !cs->flush_soon &&
      cs->ch.writes == 0 && cs->idle && !weft_future_done(cs->idle))
    weft_future_set_result(cs->idle, NULL);
}

/* Send every result gathered so far in one frame. */
static void flush(cstate *cs) {
  weft__pframe h = {.kind = WEFT__PF_RESULTS, .count = (uint32_t)cs->outcount, .len = cs->outlen};

  cs->last_flush = mono();
  if (!cs->outlen)
    return;
  if (weft__chan_send(&cs->ch, &h, cs->out, cs->out) != 0)
    die();
  cs->out = NULL;
  cs->outlen = cs->outcap = cs->outcount = 0;
}

static void flush_cb(void *arg) {
  cstate *cs = arg;

  cs->flush_soon = 0;
  flush(cs);
  check_idle(cs);
}

static void out_append(cstate *cs, uint64_t id, int code, const void *data, size_t len) {
  weft__precord r = {.id = id, .len = len, .aux = code};
  size_t need = cs->outlen + sizeof r + len;

  if (need > cs->outcap) {
    size_t cap = cs->outcap ? cs->outcap : 4096;
    char *nb;

    while (cap < need)
      cap *= 2;
    if (!(nb = weft_realloc(cs->out, cap)))
      die();
    cs->out = nb;
    cs->outcap = cap;
  }
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
static void item_run(cstate *cs, citem *it) {
  weft_task *t = weft__current();
  weft_buf out = {0};
  int done;

  it->fn(&it->arg, &out);
  if (t->failed) {
    const char *msg = t->fail_message ? t->fail_message : weft_strerror(t->fail_code);

    out_append(cs, it->id, t->fail_code < 0 ? t->fail_code : -EINVAL, msg, strlen(msg));
    t->failed = 0;
    weft_free(t->fail_message);
    t->fail_message = NULL;
  } else {
    out_append(cs, it->id, 0, out.data, out.len);
  }
  weft_buf_free(&out);
  if ((done = --it->chunk->refs == 0) != 0)
    weft_free(it->chunk);
  result_ready(cs, done);
}

static void *worker_main(void *arg) {
  cstate *cs = arg;

  while (cs->head < cs->len) {
    citem it = cs->q[cs->head++];

    if (cs->head == cs->len)
      cs->head = cs->len = 0;
    cs->running++;
    item_run(cs, &it);
    cs->running--;
  }
  cs->workers--;
  check_idle(cs);
  return NULL;
}

/* A worker for each queued item that no free worker will take, up to
 * childconcurrency in all. */
static void workers_start(cstate *cs) {
  size_t want = cs->running + (cs->len - cs->head);

  if (want > cs->opts->childconcurrency)
    want = cs->opts->childconcurrency;
  while (cs->workers < want) {
    if (weft_spawn(NULL, worker_main, cs, NULL) != 0) {
      if (cs->workers == 0)
        die();
      return;
    }
    cs->workers++;
  }
}

static void queue_reserve(cstate *cs, size_t n) {
  citem *nq;
  size_t cap;

  if (cs->head && cs->len + n > cs->cap) {
    memmove(cs->q, cs->q + cs->head, (cs->len - cs->head) * sizeof *cs->q);
    cs->len -= cs->head;
    cs->head = 0;
  }
  if (cs->len + n <= cs->cap)
    return;
  for (cap = cs->cap ? cs->cap : 64; cap < cs->len + n; cap *= 2)
    ;
  if (!(nq = weft_realloc(cs->q, cap * sizeof *nq)))
    die();
  cs->q = nq;
  cs->cap = cap;
}

/* Queue a frame's items; they keep the copied payload alive. */
static void on_frame(weft__chan *ch, const weft__pframe *h, char *payload) {
  cstate *cs = ch->data;
  cchunk *c;
  size_t off = 0;
  weft__precord r;

  if (h->kind != WEFT__PF_ITEMS || h->count == 0)
    return;
  queue_reserve(cs, h->count);
  if (!(c = weft_malloc(sizeof *c + h->len)))
    die();
  memcpy(c->data, payload, h->len);
  c->refs = 0;
  while (c->refs < h->count && h->len - off >= sizeof r) {
    memcpy(&r, c->data + off, sizeof r);
    off += sizeof r;
    if (r.len > h->len - off)
      die(); /* a malformed frame: the parent is not ours */
    cs->q[cs->len++] =
        (citem){r.id, (weft_pool_fn)(uintptr_t)r.aux, {r.len ? c->data + off : NULL, r.len}, c};
    c->refs++;
    off += r.len;
  }
  if (c->refs == 0)
    weft_free(c);
  workers_start(cs);
}

static void on_eof(weft__chan *ch, int err) {
  cstate *cs = ch->data;

  WEFT__UNUSED(err);
  cs->eof = 1;
  check_idle(cs);
}

static void on_drain(weft__chan *ch) {
  check_idle(ch->data);
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
  if ((rc = weft__chan_open(&cs->ch, weft_loop_uv(weft_loop_current()), cs->fd)) != 0)
    return weft_fail(rc, "worker could not open its channel");
  weft_future_await(cs->idle, NULL);
  uv_close((uv_handle_t *)&cs->ch.pipe, on_closed);
  weft_future_await(cs->closed, NULL);
  weft_future_release(cs->idle);
  weft_future_release(cs->closed);
  weft__chan_dispose(&cs->ch);
  weft_free(cs->q);
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
