/*
 * The pool (aiomultiprocess.Pool): forked children, one framed socketpair
 * each, items dispatched from the loop thread, children reaped on SIGCHLD
 * and replaced when they die or reach maxtasksperchild.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process/internal.h"

#define DEFAULT_CHILDCONCURRENCY 16
/* A child's status when other code (a waitpid(-1) elsewhere) reaped it. */
#define STATUS_UNKNOWN (-1)

/* One segment of a frame sent: count items of b from first. */
typedef struct sent_seg {
  weft__pbatch *b;
  size_t first, count;
  size_t left; /* not answered yet: b is alive while left > 0 */
} sent_seg;

/* An ITEMS frame sent to a child and not fully answered: its items have
 * the ids first_id .. first_id + count - 1, in segment order. */
typedef struct sent_frame {
  weft__list link; /* child->sent, oldest first */
  uint64_t first_id;
  size_t count, left;
  size_t nseg;
  sent_seg seg[];
} sent_frame;

typedef struct weft__pchild {
  weft_pool *pool;
  size_t slot;
  pid_t pid;
  weft__chan ch;
  weft__list sent; /* sent_frame */
  size_t ninflight, nassigned;
  int eof, reaped, shut, status;
  int starting; /* one of the pool's first children, not ready yet */
  int read_err; /* reading its results failed: its items fail with this */
  uv_shutdown_t sreq;
} weft__pchild;

struct weft_pool {
  weft_loop *loop;
  weft_pool_opts opts;
  weft__pchild **children;
  size_t nslots, alive;
  weft__list pending;
  size_t npending;
  uv_signal_t sigchld;
  int closed, terminated, single, sig_closing, freeing;
  size_t handles; /* libuv handles not closed yet */
  uint64_t next_id;
  weft_future *wake; /* weft_pool_new and join wait on it */
  size_t starting;   /* first children neither ready nor gone */
  int last_status;
  weft__slab *slab; /* the frames being sent are carved from it */
};

static void pool_pump(weft_pool *p);
static int child_spawn(weft_pool *p, size_t slot);

static void pool_notify(weft_pool *p) {
  if (p->wake && !weft_future_done(p->wake))
    weft_future_set_result(p->wake, NULL);
}

static void pool_maybe_free(weft_pool *p) {
  if (p->freeing && p->handles == 0) {
    weft__slab_drop(&p->slab);
    weft_free(p->children);
    weft_free(p);
  }
}

/* ---- batches ---------------------------------------------------------- */

static void batch_free(weft__pbatch *b) {
  if (b->own_res && b->res) {
    for (size_t i = 0; i < b->n; i++)
      weft_pool_result_clear(&b->res[i]);
    weft_free(b->res);
  }
  weft_free(b->copies);
  weft_free(b->arena);
  weft_free(b->state);
  weft_free(b->order);
  weft_free(b);
}

#define ARENA_GUESS_MAX (8u << 20)

/* Room for add more bytes in the arena's data block, and for as many per
 * item still to come (up to ARENA_GUESS_MAX of guess). 0, -ENOMEM. */
static int arena_grow(weft_pool_results *r, size_t add, size_t to_come) {
  size_t guess, cap = r->cap ? 2 * r->cap : 4096;
  char *nd;

  if (r->cap - r->len >= add)
    return 0;
  guess = add < ARENA_GUESS_MAX / (to_come + 1) ? add * to_come : ARENA_GUESS_MAX;
  if (cap < r->len + add + guess)
    cap = r->len + add + guess;
  if (!(nd = weft__grow(r->data, r->len, &cap)))
    return -ENOMEM;
  r->data = nd;
  r->cap = cap;
  return 0;
}

/* Store item i's outcome in the arena: its result, or its message and a
 * NUL. Returns the code stored (-ENOMEM when the bytes found no room). */
static int arena_put(weft_pool_results *r, size_t i, int code, const char *data, size_t len,
                     size_t to_come) {
  weft_pool_span *sp = &r->items[i];
  size_t need = len + (code != 0);

  if (need && arena_grow(r, need, to_come) != 0) {
    *sp = (weft_pool_span){r->len, 0, code ? code : -ENOMEM};
    return sp->code;
  }
  if (len)
    memcpy(r->data + r->len, data, len);
  if (code)
    r->data[r->len + len] = '\0';
  *sp = (weft_pool_span){r->len, (uint32_t)len, code};
  r->len += need;
  return code;
}

/* Store item i's outcome in res: an owned copy of the result, or of the
 * message. Returns the code stored. */
static int result_put(weft_pool_result *res, int code, const char *data, size_t len) {
  *res = (weft_pool_result){.code = code};
  if (code && !data) /* dropped: no message */
    return code;
  if (code) {
    if ((res->message = weft_malloc(len + 1)) != NULL) {
      memcpy(res->message, data, len);
      res->message[len] = '\0';
    }
    return code;
  }
  if (!len)
    return 0;
  if (!(res->buf.data = weft_malloc(len))) {
    static const char nomem[] = "no memory for a result";

    return result_put(res, -ENOMEM, nomem, sizeof nomem - 1);
  }
  memcpy(res->buf.data, data, len);
  res->buf.len = len;
  return 0;
}

/* Record item i's outcome (code 0 and its result, or a code and its
 * message) and wake the batch. An abandoned batch keeps nothing, and is
 * freed with its last outstanding item: b must not be used after. */
static void item_finish(weft__pbatch *b, size_t i, int code, const char *data, size_t len,
                        int local) {
  int stored = code;

  if (b->ar)
    stored = arena_put(b->ar, i, code, data, len, b->n - b->ndone - 1);
  else if (b->res)
    stored = result_put(&b->res[i], code, data, len);
  if (stored != code) /* no memory here for its result */
    local = 1;
  code = stored;
  b->state[i] |= WEFT__PI_DONE | (local ? WEFT__PI_LOCAL : 0);
  if (code && i < b->first_fail) {
    b->first_fail = i;
    b->first_code = code;
  }
  if (b->order)
    b->order[b->ndone] = i;
  b->ndone++;
  if (--b->outstanding == 0 && b->abandoned) {
    batch_free(b);
    return;
  }
  if (b->wake && b->ndone > b->wait_for) {
    weft_future_set_result(b->wake, NULL);
    b->wake = NULL; /* the waiter releases it */
  }
}

static void item_fail(weft__pbatch *b, size_t i, int code, const char *msg) {
  item_finish(b, i, code, msg, msg ? strlen(msg) : 0, 1);
}

/* Finish the items of b never sent, with code and msg (none if NULL). */
static void batch_drop_unsent(weft__pbatch *b, int code, const char *msg) {
  size_t from = b->next;

  if (from == b->n)
    return;
  weft__list_remove(&b->plink);
  b->pool->npending -= b->n - from;
  b->next = b->n;
  for (size_t i = from; i < b->n; i++)
    item_finish(b, i, code, msg, msg ? strlen(msg) : 0, 1);
}

static void pending_fail(weft_pool *p, int code, const char *msg) {
  while (!weft__list_empty(&p->pending))
    batch_drop_unsent(weft__container_of(p->pending.next, weft__pbatch, plink), code, msg);
}

/* Copy the items: a stream's caller returns before they are sent. */
static int batch_copy(weft__pbatch *b, const weft_buf *items) {
  size_t bytes = 0, off = 0;

  for (size_t i = 0; i < b->n; i++)
    bytes += items[i].len;
  if (!(b->copies = weft_malloc((b->n ? b->n : 1) * sizeof *b->copies)) ||
      (bytes && !(b->arena = weft_malloc(bytes))))
    return -ENOMEM;
  for (size_t i = 0; i < b->n; i++) {
    b->copies[i] = (weft_buf){items[i].len ? b->arena + off : NULL, items[i].len};
    if (items[i].len)
      memcpy(b->arena + off, items[i].data, items[i].len);
    off += items[i].len;
  }
  b->items = b->copies;
  return 0;
}

static int batch_alloc(weft__pbatch **out, weft_pool *p, const weft_buf *items, size_t n,
                       const weft__psink *sink) {
  weft__pbatch *b = weft_calloc(1, sizeof *b);
  size_t cap = n ? n : 1, scap;

  if (!b)
    return -ENOMEM;
  b->pool = p;
  b->n = b->outstanding = b->first_fail = n;
  b->items = items;
  b->ar = sink->ar;
  b->res = sink->res;
  if (!b->ar && !b->res) {
    b->own_res = 1;
    b->res = weft_calloc(cap, sizeof *b->res);
  }
  if ((b->state = weft__big_alloc(cap, &scap)) != NULL) {
    weft__big_private(b->state);
    weft__prefault(b->state, cap);
    memset(b->state, 0, cap);
  }
  if (sink->order)
    b->order = weft_malloc(cap * sizeof *b->order);
  if ((!b->res && !b->ar) || !b->state || (sink->order && !b->order) ||
      (sink->copy && batch_copy(b, items) != 0)) {
    batch_free(b);
    return -ENOMEM;
  }
  *out = b;
  return 0;
}

/* multiprocessing's heuristic: about four frames per child for one map. */
static size_t batch_chunk(const weft_pool *p, size_t n) {
  size_t per = 4 * p->opts.processes;

  if (p->opts.chunksize)
    return p->opts.chunksize;
  return n > per ? (n + per - 1) / per : 1;
}

int weft__pool_batch(weft_pool *p, weft_pool_fn fn, const weft_buf *items, size_t n,
                     const weft__psink *sink, weft__pbatch **out) {
  weft__pbatch *b;
  int rc;

  if (p->closed)
    return -ESHUTDOWN;
  for (size_t i = 0; i < n; i++)
    if (items[i].len > WEFT__BUF_MAX)
      return -EMSGSIZE;
  if ((rc = batch_alloc(&b, p, items, n, sink)) != 0)
    return rc;
  b->chunk = batch_chunk(p, n);
  b->fn = fn;
  if (n)
    weft__list_insert_tail(&p->pending, &b->plink);
  p->npending += n;
  *out = b;
  pool_pump(p);
  return 0;
}

int weft__batch_wait(weft__pbatch *b, size_t k) {
  weft_future *f;
  int rc = 0;

  while (b->ndone <= k && rc == 0) {
    if ((rc = weft_future_new(&f, b->pool->loop)) != 0)
      return rc;
    b->wake = f;
    b->wait_for = k;
    rc = weft_future_await(f, NULL);
    weft_future_release(f);
    b->wake = NULL;
  }
  return rc;
}

void weft__batch_abandon(weft__pbatch *b) {
  /* Stop storing (the caller's results are no longer ours), then drop
   * what was never sent: an abandoned batch frees itself when its last
   * item ends, which must not happen inside that loop. */
  b->ar = NULL;
  if (!b->own_res)
    b->res = NULL;
  batch_drop_unsent(b, -ECANCELED, NULL);
  b->abandoned = 1;
  if (b->outstanding == 0)
    batch_free(b);
}

/* ---- children --------------------------------------------------------- */

/* Fail every item of f not answered yet. A segment's batch may be freed by
 * its last item: the loop stops on the segment's own count. */
static void frame_fail(sent_frame *f, int code, const char *msg) {
  for (size_t k = 0; k < f->nseg; k++) {
    sent_seg *g = &f->seg[k];

    for (size_t i = g->first; g->left && i < g->first + g->count; i++) {
      if (g->b->state[i] & WEFT__PI_DONE)
        continue;
      g->left--;
      f->left--;
      item_fail(g->b, i, code, msg);
    }
  }
}

/* Fail what c has in flight and forget its frames. */
static void child_fail_sent(weft__pchild *c, int code, const char *msg) {
  while (!weft__list_empty(&c->sent)) {
    sent_frame *f = weft__container_of(c->sent.next, sent_frame, link);

    weft__list_remove(&f->link);
    frame_fail(f, code, msg);
    weft_free(f);
  }
  c->ninflight = 0;
}

/* One of the pool's first children is ready, or gone before it was. */
static void child_started(weft__pchild *c) {
  if (!c->starting)
    return;
  c->starting = 0;
  c->pool->starting--;
  pool_notify(c->pool);
}

/* Where a child's answers land: the frame and segment of the last one,
 * which the next one most often follows. */
typedef struct answer_pos {
  sent_frame *f; /* NULL: look the next one up */
  sent_seg *g;
  uint64_t first_id; /* the id of g's first item */
} answer_pos;

/* Find id among the frames c has in flight into *pos. 0, or -ENOENT. */
static int sent_find(weft__pchild *c, uint64_t id, answer_pos *pos) {
  for (weft__list *l = c->sent.next; l != &c->sent; l = l->next) {
    sent_frame *f = weft__container_of(l, sent_frame, link);
    uint64_t first = f->first_id;

    if (id < first || id - first >= f->count)
      continue;
    for (size_t s = 0; s < f->nseg; first += f->seg[s++].count) {
      if (id - first < f->seg[s].count) {
        *pos = (answer_pos){f, &f->seg[s], first};
        return 0;
      }
    }
  }
  return -ENOENT;
}

/* The index of item id in pos's segment, finding it first unless it is
 * in the segment of the answer before. 0, or -ENOENT. */
static int answer_locate(weft__pchild *c, uint64_t id, answer_pos *pos, size_t *index) {
  if ((!pos->f || id < pos->first_id || id - pos->first_id >= pos->g->count) &&
      sent_find(c, id, pos) != 0)
    return -ENOENT;
  *index = pos->g->first + (size_t)(id - pos->first_id);
  return 0;
}

static void child_on_result(weft__pchild *c, const weft__precord *r, const char *data,
                            answer_pos *pos) {
  size_t i;
  sent_seg *g;
  weft__pbatch *b;

  if (answer_locate(c, r->id, pos, &i) != 0)
    return; /* failed already */
  g = pos->g;
  /* a segment with nothing left may have lost its batch */
  if (!g->left || (g->b->state[i] & WEFT__PI_DONE))
    return; /* failed already */
  b = g->b;
  c->ninflight--;
  g->left--;
  if (--pos->f->left == 0) {
    weft__list_remove(&pos->f->link);
    weft_free(pos->f);
    pos->f = NULL;
  }
  item_finish(b, i, r->code > 0 ? -EINVAL : r->code, data, r->len, 0);
}

static void child_on_frame(weft__chan *ch, const weft__pframe *h, char *payload) {
  weft__pchild *c = ch->data;
  answer_pos pos = {0};
  size_t off = 0;
  weft__precord r;

  if (h->kind == WEFT__PF_READY)
    child_started(c);
  if (h->kind != WEFT__PF_RESULTS)
    return;
  while (h->len - off >= sizeof r) {
    memcpy(&r, payload + off, sizeof r);
    off += sizeof r;
    if (r.len > h->len - off)
      break;
    child_on_result(c, &r, payload + off, &pos);
    off += r.len;
  }
  pool_pump(c->pool);
}

static void child_closed(uv_handle_t *h) {
  weft__pchild *c = ((weft__chan *)h->data)->data;
  weft_pool *p = c->pool;

  weft__chan_dispose(&c->ch);
  weft_free(c);
  p->handles--;
  pool_notify(p);
  pool_maybe_free(p);
}

static void child_death_message(weft__pchild *c, char *buf, size_t cap) {
  if (c->status == STATUS_UNKNOWN)
    snprintf(buf, cap, "worker %zu exited (its status was collected by other code)", c->slot);
  else if (WIFSIGNALED(c->status))
    snprintf(buf, cap, "worker %zu killed by signal %d", c->slot, WTERMSIG(c->status));
  else
    snprintf(buf, cap, "worker %zu exited with status %d", c->slot, WEXITSTATUS(c->status));
}

/* Both EOF and the exit status are in: fail what it had in flight, let
 * its slot go, and replace it while the pool is open. */
static void child_finish(weft__pchild *c) {
  weft_pool *p = c->pool;
  char msg[112];
  int rc = 0;

  if (!c->eof || !c->reaped)
    return;
  if (c->read_err)
    snprintf(msg, sizeof msg, "could not read the results of worker %zu: %s", c->slot,
             weft_strerror(c->read_err));
  else
    child_death_message(c, msg, sizeof msg);
  child_fail_sent(c, c->read_err ? c->read_err : WEFT_POOL_WORKER_DIED, msg);
  p->children[c->slot] = NULL;
  p->alive--;
  uv_close((uv_handle_t *)&c->ch.pipe, child_closed); /* closes the fd now */
  if (!p->closed && !p->single && !p->freeing)
    rc = child_spawn(p, c->slot);
  if (rc || (p->alive == 0 && !p->freeing))
    pending_fail(p, rc ? rc : WEFT_POOL_WORKER_DIED, rc ? "could not start a worker" : msg);
  pool_pump(p);
  pool_notify(p);
}

/* Collect c's exit status if it has exited. A child reaped by other code
 * (waitpid(-1) elsewhere) is gone all the same: its status is unknown. */
static void child_reap(weft__pchild *c) {
  pid_t r;
  int st;

  if (c->reaped)
    return;
  r = waitpid(c->pid, &st, WNOHANG);
  if (r == c->pid)
    c->status = st;
  else if (r < 0 && errno == ECHILD)
    c->status = STATUS_UNKNOWN;
  else
    return;
  c->reaped = 1;
  c->pool->last_status = c->status;
  child_finish(c);
}

static void child_on_eof(weft__chan *ch, int err) {
  weft__pchild *c = ch->data;

  c->eof = 1;
  child_started(c);
  if (err != UV_EOF) { /* a broken channel: the child is of no use */
    c->read_err = err == UV_ENOBUFS ? -ENOMEM : err;
    if (!c->reaped)
      kill(c->pid, SIGKILL);
  }
  if (c->reaped)
    child_finish(c);
  else
    child_reap(c); /* its SIGCHLD may have gone to other code's waitpid */
}

static void child_shut_cb(uv_shutdown_t *req, int status) {
  WEFT__UNUSED(req);
  WEFT__UNUSED(status);
}

/* Closing our write side tells the child to finish what it has and exit. */
static void child_shut(weft__pchild *c) {
  if (c->shut || c->eof)
    return;
  c->shut = 1;
  if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->ch.pipe, child_shut_cb) != 0)
    kill(c->pid, SIGKILL);
}

static void sigchld_cb(uv_signal_t *h, int signum) {
  weft_pool *p = h->data;

  WEFT__UNUSED(signum);
  for (size_t i = 0; i < p->nslots; i++)
    if (p->children[i])
      child_reap(p->children[i]);
}

#ifdef WEFT__ASAN
#include <sanitizer/lsan_interface.h>

static void batch_lsan_root(weft__pbatch *b) {
  if (b->ar)
    __lsan_register_root_region(b->ar, sizeof *b->ar);
  else if (b->res && !b->own_res)
    __lsan_register_root_region(b->res, b->n * sizeof *b->res);
}

/* In a new child: the outcomes of the maps running are stored in their
 * callers' memory, often a task's stack, which the leak checker does not
 * scan; they are no leak of the child's should a worker call exit(). */
static void child_lsan_roots(weft_pool *p) {
  for (weft__list *l = p->pending.next; l != &p->pending; l = l->next)
    batch_lsan_root(weft__container_of(l, weft__pbatch, plink));
  for (size_t i = 0; i < p->nslots; i++) {
    weft__pchild *c = p->children[i];

    for (weft__list *l = c && c->pool ? c->sent.next : NULL; l && l != &c->sent; l = l->next) {
      sent_frame *f = weft__container_of(l, sent_frame, link);

      for (size_t k = 0; k < f->nseg; k++)
        if (f->seg[k].left)
          batch_lsan_root(f->seg[k].b);
    }
  }
}
#else
static void child_lsan_roots(weft_pool *p) {
  WEFT__UNUSED(p);
}
#endif

/* In the new child: drop the parent's ends of the other children's
 * sockets, so each child sees EOF when the parent closes its own. */
static void __attribute__((noreturn)) child_enter(weft_pool *p, int fd) {
  for (size_t i = 0; i < p->nslots; i++) {
    weft__pchild *c = p->children[i];
    uv_os_fd_t ofd;

    if (c && c->pool && uv_fileno((uv_handle_t *)&c->ch.pipe, &ofd) == 0)
      close(ofd);
  }
  child_lsan_roots(p);
  weft__child_run(fd, &p->opts);
}

/* Room in the socket for a whole frame each way, so a frame goes out in
 * one write instead of several, each waiting for the reader (the kernel
 * caps the size at net.core.wmem_max; the default stays if it refuses). */
static void pair_widen(const int sv[2]) {
  int size = WEFT__FRAME_CAP;

  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

static int child_spawn(weft_pool *p, size_t slot) {
  weft__pchild *c = weft_calloc(1, sizeof *c);
  int sv[2], rc;

  if (!c)
    return -ENOMEM;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    weft_free(c);
    return -errno;
  }
  pair_widen(sv);
  fflush(NULL); /* else the child's exit would write buffered output twice */
  /* Slot it before forking: in the child, c is then reachable from the
   * pool, not only from a coroutine stack that leak checkers do not scan. */
  p->children[slot] = c;
  if ((c->pid = fork()) == 0) {
    close(sv[0]);
    child_enter(p, sv[1]);
  }
  rc = c->pid < 0 ? -errno : 0;
  close(sv[1]);
  if (rc) {
    p->children[slot] = NULL;
    close(sv[0]);
    weft_free(c);
    return rc;
  }
  c->pool = p;
  c->slot = slot;
  weft__list_init(&c->sent);
  c->ch.data = c;
  c->ch.on_frame = child_on_frame;
  c->ch.on_eof = child_on_eof;
  rc = weft__chan_open(&c->ch, weft_loop_uv(p->loop), sv[0], &p->slab);
  p->alive++;
  p->handles++;
  if (rc) { /* the handle is initialised: it is closed through child_finish */
    close(sv[0]);
    kill(c->pid, SIGKILL);
    c->eof = 1;
  }
  return 0;
}

/* ---- dispatch ----------------------------------------------------------- */

static size_t head_chunk(const weft_pool *p) {
  return weft__container_of(p->pending.next, weft__pbatch, plink)->chunk;
}

/* How many more items child c may have: a window of
 * max(childconcurrency, 2 frames), and what maxtasksperchild leaves. */
static size_t child_room(const weft_pool *p, const weft__pchild *c, size_t chunk) {
  size_t window = p->opts.childconcurrency > 2 * chunk ? p->opts.childconcurrency : 2 * chunk;
  size_t room;

  if (c->eof || c->reaped || c->shut || window <= c->ninflight)
    return 0;
  room = window - c->ninflight;
  if (p->opts.maxtasksperchild && p->opts.maxtasksperchild - c->nassigned < room)
    room = p->opts.maxtasksperchild - c->nassigned;
  return room;
}

/* Count the pending items (at most max) that fit one frame; *bytes and
 * *nseg get bounds on its size and on the batches it takes from. */
static size_t frame_plan(const weft_pool *p, size_t max, size_t *bytes, size_t *nseg) {
  size_t n = 0;

  *bytes = *nseg = 0;
  for (weft__list *l = p->pending.next; l != &p->pending && n < max; l = l->next) {
    const weft__pbatch *b = weft__container_of(l, weft__pbatch, plink);

    *bytes += sizeof(weft__pseg_hdr);
    ++*nseg;
    for (size_t i = b->next; i < b->n && n < max; i++, n++) {
      size_t add = sizeof(uint32_t) + b->items[i].len;

      if (n && *bytes + add > WEFT__FRAME_CAP)
        return n;
      *bytes += add;
    }
  }
  return n;
}

/* Write up to max items of the head batch at buf (NULL: count only) as
 * one segment, and take them off the pending queue. Returns the bytes. */
static size_t seg_write(weft_pool *p, char *buf, size_t max, uint64_t id, sent_seg *g) {
  weft__pbatch *b = weft__container_of(p->pending.next, weft__pbatch, plink);
  size_t count = b->n - b->next < max ? b->n - b->next : max, off = sizeof(weft__pseg_hdr);
  weft__pseg_hdr sh = {.id = id, .fn = (uint64_t)(uintptr_t)b->fn, .count = count};

  *g = (sent_seg){b, b->next, count, count};
  for (size_t i = b->next; buf && i < b->next + count; i++) {
    uint32_t len = (uint32_t)b->items[i].len;

    memcpy(buf + off, &len, sizeof len);
    if (len)
      memcpy(buf + off + sizeof len, b->items[i].data, len);
    off += sizeof len + len;
  }
  if (buf)
    memcpy(buf, &sh, sizeof sh);
  b->next += count;
  if (b->next == b->n)
    weft__list_remove(&b->plink);
  p->npending -= count;
  return off;
}

/* Move up to max pending items to c in one ITEMS frame; if the frame
 * cannot be built or sent, its items fail with why. */
static void frame_send(weft_pool *p, weft__pchild *c, size_t max) {
  size_t bytes, nseg, n = frame_plan(p, max, &bytes, &nseg), off = 0;
  sent_frame *f = weft_malloc(sizeof *f + nseg * sizeof f->seg[0]);
  size_t k = 0;
  weft__slab *blk = NULL;
  char *buf = weft__slab_take(&p->slab, bytes, &blk);
  sent_seg segs[1];
  int rc = -ENOMEM;

  for (size_t left = n; left; k++) {
    sent_seg *g = f ? &f->seg[k] : segs;

    off += seg_write(p, buf ? buf + off : NULL, left, p->next_id + (n - left), g);
    left -= g->count;
    if (!f) /* no record to keep: fail them now */
      for (size_t i = g->first; i < g->first + g->count; i++)
        item_fail(g->b, i, -ENOMEM, "no memory to send the item");
  }
  if (!f) {
    if (buf)
      weft__slab_put(blk);
    return;
  }
  f->first_id = p->next_id;
  f->count = f->left = n;
  f->nseg = k;
  p->next_id += n;
  weft__list_insert_tail(&c->sent, &f->link);
  c->ninflight += n;
  c->nassigned += n;
  if (buf)
    rc = weft__chan_send_slab(&c->ch, &(weft__pframe){WEFT__PF_ITEMS, (uint32_t)n, off}, buf, blk);
  if (rc) {
    char msg[80];

    snprintf(msg, sizeof msg, "could not send the item to worker %zu", c->slot);
    weft__list_remove(&f->link);
    c->ninflight -= f->left;
    frame_fail(f, rc, msg);
    weft_free(f);
  }
}

/* Send c what it has room for, in frames of one chunk; a small room waits
 * for more answers unless c is idle. */
static void child_feed(weft_pool *p, weft__pchild *c) {
  while (!weft__list_empty(&p->pending)) {
    size_t chunk = head_chunk(p), room = child_room(p, c, chunk);
    size_t want = chunk < p->npending ? chunk : p->npending;

    if (!room || (c->ninflight && 2 * room < want))
      return;
    frame_send(p, c, room < chunk ? room : chunk);
  }
}

/* A slot left empty (its replacement could not start) is tried again when
 * there is work; with no child at all, the work fails with why. */
static void pool_refill(weft_pool *p) {
  int rc = 0;

  if (p->closed || p->single || p->freeing || !p->npending || p->alive == p->nslots)
    return;
  for (size_t i = 0; i < p->nslots && rc == 0; i++)
    if (!p->children[i])
      rc = child_spawn(p, i);
  if (p->alive == 0)
    pending_fail(p, rc ? rc : WEFT_POOL_WORKER_DIED, "could not start a worker");
}

static void pool_pump(weft_pool *p) {
  pool_refill(p);
  for (size_t i = 0; i < p->nslots; i++) {
    weft__pchild *c = p->children[i];

    if (c)
      child_feed(p, c);
    if (c && !c->shut && !c->eof &&
        ((p->opts.maxtasksperchild && c->nassigned >= p->opts.maxtasksperchild) ||
         (p->closed && weft__list_empty(&p->pending))))
      child_shut(c);
  }
}

/* ---- public ------------------------------------------------------------- */

static size_t cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);

  return n > 0 ? (size_t)n : 1;
}

static int pool_alloc(weft_pool **out, const weft_pool_opts *opts) {
  weft_loop *loop = weft_loop_current();
  weft_pool *p;

  if (!loop)
    return -EINVAL;
  if (!(p = weft_calloc(1, sizeof *p)))
    return -ENOMEM;
  p->loop = loop;
  if (opts)
    p->opts = *opts;
  if (!p->opts.processes)
    p->opts.processes = cores();
  if (!p->opts.childconcurrency)
    p->opts.childconcurrency = DEFAULT_CHILDCONCURRENCY;
  p->nslots = p->opts.processes;
  p->last_status = -1;
  weft__list_init(&p->pending);
  if (!(p->children = weft_calloc(p->nslots, sizeof *p->children))) {
    weft_free(p);
    return -ENOMEM;
  }
  *out = p;
  return 0;
}

static int pool_start(weft_pool *p) {
  struct sigaction sa;
  int rc;

  /* A write to a dead child must fail with EPIPE, not kill us. */
  if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
    signal(SIGPIPE, SIG_IGN);
  uv_signal_init(weft_loop_uv(p->loop), &p->sigchld);
  p->sigchld.data = p;
  p->handles++;
  if ((rc = uv_signal_start(&p->sigchld, sigchld_cb, SIGCHLD)) != 0)
    return rc;
  weft__slab_warm(&p->slab);
  for (size_t i = 0; i < p->nslots; i++) {
    if ((rc = child_spawn(p, i)) != 0)
      return rc;
    if (!p->children[i]->eof) {
      p->children[i]->starting = 1;
      p->starting++;
    }
  }
  return 0;
}

/* Suspend until the pool's state changes. 0, -ENOMEM, -ECANCELED... */
static int pool_sleep(weft_pool *p) {
  int rc = weft_future_new(&p->wake, p->loop);

  if (rc)
    return rc;
  rc = weft_future_await(p->wake, NULL);
  weft_future_release(p->wake);
  p->wake = NULL;
  return rc;
}

static int pool_create(weft_pool **out, const weft_pool_opts *opts, int single) {
  weft_pool *p;
  int rc = pool_alloc(&p, opts);

  if (rc)
    return rc;
  p->single = single;
  rc = pool_start(p);
  /* in a task, return once the first children are ready (or gone) */
  while (rc == 0 && p->starting && !single && weft_current_task())
    rc = pool_sleep(p);
  if (rc) {
    weft_pool_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

int weft_pool_new(weft_pool **out, const weft_pool_opts *opts) {
  return pool_create(out, opts, 0);
}

int weft__pool_new_single(weft_pool **out) {
  return pool_create(out, &(weft_pool_opts){.processes = 1, .childconcurrency = 1}, 1);
}

int weft__pool_last_status(const weft_pool *p) {
  return p->last_status;
}

int weft_pool_close(weft_pool *p) {
  if (!p->closed) {
    p->closed = 1;
    pool_pump(p);
  }
  return 0;
}

int weft_pool_terminate(weft_pool *p) {
  if (p->terminated)
    return 0;
  p->terminated = p->closed = 1;
  pending_fail(p, -ECANCELED, "pool terminated");
  for (size_t i = 0; i < p->nslots; i++) {
    weft__pchild *c = p->children[i];

    if (!c)
      continue;
    child_fail_sent(c, -ECANCELED, "pool terminated");
    if (!c->reaped)
      kill(c->pid, SIGKILL);
  }
  return 0;
}

static void sig_closed(uv_handle_t *h) {
  weft_pool *p = h->data;

  p->handles--;
  pool_notify(p);
  pool_maybe_free(p);
}

int weft_pool_join(weft_pool *p) {
  int rc = 0;

  if (!p->closed)
    return -EINVAL;
  if (!weft_current_task())
    return -EPERM;
  while (rc == 0) {
    if (p->alive == 0 && !p->sig_closing) {
      p->sig_closing = 1;
      uv_close((uv_handle_t *)&p->sigchld, sig_closed);
    }
    if (p->handles == 0)
      break;
    rc = pool_sleep(p);
  }
  return rc;
}

/* Without a join: kill and reap the children synchronously (SIGKILL makes
 * that quick), then let libuv close the handles; the last close frees. */
void weft_pool_free(weft_pool *p) {
  if (!p)
    return;
  weft_pool_terminate(p);
  p->freeing = 1;
  for (size_t i = 0; i < p->nslots; i++) {
    weft__pchild *c = p->children[i];

    if (!c)
      continue;
    if (!c->reaped && waitpid(c->pid, &c->status, 0) != c->pid)
      c->status = STATUS_UNKNOWN;
    c->eof = c->reaped = 1;
    uv_read_stop((uv_stream_t *)&c->ch.pipe);
    child_finish(c);
  }
  if (p->sigchld.loop && !p->sig_closing) {
    p->sig_closing = 1;
    uv_close((uv_handle_t *)&p->sigchld, sig_closed);
  }
  pool_maybe_free(p);
}

size_t weft_pool_processes(const weft_pool *p) {
  return p->alive;
}

pid_t weft_pool_pid(const weft_pool *p, size_t i) {
  return i < p->nslots && p->children[i] ? p->children[i]->pid : 0;
}
