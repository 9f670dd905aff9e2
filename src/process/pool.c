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

struct weft__pchild {
  weft_pool *pool;
  size_t slot;
  pid_t pid;
  weft__chan ch;
  weft__list inflight;
  size_t ninflight, nassigned;
  int eof, reaped, shut, status;
  int read_err; /* reading its results failed: its items fail with this */
  uv_shutdown_t sreq;
};

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
  weft_future *wake; /* join waits on it */
  int last_status;
};

static void pool_pump(weft_pool *p);
static int child_spawn(weft_pool *p, size_t slot);

static void pool_notify(weft_pool *p) {
  if (p->wake && !weft_future_done(p->wake))
    weft_future_set_result(p->wake, NULL);
}

static void pool_maybe_free(weft_pool *p) {
  if (p->freeing && p->handles == 0) {
    weft_free(p->children);
    weft_free(p);
  }
}

/* ---- batches ---------------------------------------------------------- */

static void batch_free(weft__pbatch *b) {
  for (size_t i = 0; b->jobs && b->ntaken < b->n && i < b->n; i++)
    if (b->jobs[i].done)
      weft_pool_result_clear(&b->jobs[i].res);
  weft_free(b->arena);
  weft_free(b->jobs);
  weft_free(b->order);
  weft_free(b);
}

/* Record a job's outcome (taking buf and message) and wake the batch. */
static void job_finish(weft__pjob *j, int code, weft_buf buf, char *message) {
  weft__pbatch *b = j->batch;

  if (j->child)
    weft__list_remove(&j->link);
  j->child = NULL;
  j->done = 1;
  j->res.buf = buf;
  j->res.code = code;
  j->res.message = message;
  b->order[b->ndone++] = (size_t)(j - b->jobs);
  b->outstanding--;
  if (b->abandoned) {
    if (b->outstanding == 0)
      batch_free(b);
    return;
  }
  if (b->wake && !weft_future_done(b->wake))
    weft_future_set_result(b->wake, NULL);
}

static void job_fail(weft__pjob *j, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void job_fail(weft__pjob *j, int code, const char *fmt, ...) {
  char msg[160];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  j->local = 1;
  job_finish(j, code, (weft_buf){0}, weft_strdup(msg));
}

static void fail_list(weft__list *l, int code, const char *msg) {
  while (!weft__list_empty(l))
    job_fail(weft__container_of(l->next, weft__pjob, link), code, "%s", msg);
}

/* Finish the items of b never sent, with code and msg (none if NULL). */
static void batch_drop_unsent(weft__pbatch *b, int code, const char *msg) {
  size_t from = b->next;

  if (from == b->n)
    return;
  weft__list_remove(&b->plink);
  b->pool->npending -= b->n - from;
  b->next = b->n;
  for (size_t i = from; i < b->n; i++) {
    if (msg)
      job_fail(&b->jobs[i], code, "%s", msg);
    else
      job_finish(&b->jobs[i], code, (weft_buf){0}, NULL);
  }
}

static void pending_fail(weft_pool *p, int code, const char *msg) {
  while (!weft__list_empty(&p->pending))
    batch_drop_unsent(weft__container_of(p->pending.next, weft__pbatch, plink), code, msg);
}

static int batch_alloc(weft__pbatch **out, weft_pool *p, size_t n, size_t bytes) {
  weft__pbatch *b = weft_calloc(1, sizeof *b);

  if (!b)
    return -ENOMEM;
  b->pool = p;
  b->n = n;
  b->jobs = weft_malloc((n ? n : 1) * sizeof *b->jobs);
  b->order = weft_malloc((n ? n : 1) * sizeof *b->order);
  b->arena = bytes ? weft_malloc(bytes) : NULL;
  if (!b->jobs || !b->order || (bytes && !b->arena)) {
    batch_free(b);
    return -ENOMEM;
  }
  *out = b;
  return 0;
}

static int copy_buf(weft_buf *dst, const weft_buf *src) {
  dst->len = src ? src->len : 0;
  dst->data = NULL;
  if (!dst->len)
    return 0;
  if (!(dst->data = weft_malloc(dst->len)))
    return -ENOMEM;
  memcpy(dst->data, src->data, dst->len);
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
                     weft__pbatch **out) {
  size_t bytes = 0, off = 0;
  weft__pbatch *b;
  int rc;

  if (p->closed)
    return -ESHUTDOWN;
  for (size_t i = 0; i < n; i++)
    bytes += items[i].len;
  if ((rc = batch_alloc(&b, p, n, bytes)) != 0)
    return rc;
  b->chunk = batch_chunk(p, n);
  b->fn = fn;
  for (size_t i = 0; i < n; i++) {
    weft__pjob *j = &b->jobs[i];

    j->batch = b;
    j->id = ++p->next_id;
    j->len = items[i].len;
    j->data = NULL;
    j->child = NULL;
    j->done = j->local = 0;
    if (j->len) {
      j->data = b->arena + off;
      memcpy(b->arena + off, items[i].data, j->len);
    }
    off += j->len;
  }
  if (n)
    weft__list_insert_tail(&p->pending, &b->plink);
  p->npending += n;
  b->outstanding = n;
  *out = b;
  pool_pump(p);
  return 0;
}

int weft__batch_wait(weft__pbatch *b, size_t k) {
  int rc = 0;

  while (b->ndone <= k && rc == 0) {
    if ((rc = weft_future_new(&b->wake, b->pool->loop)) != 0)
      return rc;
    rc = weft_future_await(b->wake, NULL);
    weft_future_release(b->wake);
    b->wake = NULL;
  }
  return rc;
}

void weft__batch_abandon(weft__pbatch *b) {
  /* Drop what was never sent first: an abandoned batch frees itself when
   * its last job ends, which must not happen inside this loop. */
  batch_drop_unsent(b, -ECANCELED, NULL);
  b->abandoned = 1;
  if (b->outstanding == 0)
    batch_free(b);
}

/* ---- children --------------------------------------------------------- */

static weft__pjob *inflight_find(weft__pchild *c, uint64_t id) {
  for (weft__list *l = c->inflight.next; l != &c->inflight; l = l->next) {
    weft__pjob *j = weft__container_of(l, weft__pjob, link);

    if (j->id == id)
      return j;
  }
  return NULL;
}

static void child_on_result(weft__pchild *c, const weft__precord *r, const char *data) {
  weft__pjob *j = inflight_find(c, r->id);
  weft_buf buf = {0};
  char *msg = NULL;

  if (!j)
    return; /* failed already (terminate) */
  c->ninflight--;
  if (r->aux) {
    if ((msg = weft_malloc(r->len + 1)) != NULL) {
      memcpy(msg, data, r->len);
      msg[r->len] = '\0';
    }
    job_finish(j, r->aux < 0 ? (int)r->aux : -EINVAL, buf, msg);
  } else if (copy_buf(&buf, &(weft_buf){(void *)data, r->len}) != 0) {
    job_fail(j, -ENOMEM, "no memory for a result of %zu bytes", (size_t)r->len);
  } else {
    job_finish(j, 0, buf, NULL);
  }
}

static void child_on_frame(weft__chan *ch, const weft__pframe *h, char *payload) {
  weft__pchild *c = ch->data;
  size_t off = 0;
  weft__precord r;

  if (h->kind != WEFT__PF_RESULTS)
    return;
  while (h->len - off >= sizeof r) {
    memcpy(&r, payload + off, sizeof r);
    off += sizeof r;
    if (r.len > h->len - off)
      break;
    child_on_result(c, &r, payload + off);
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
  fail_list(&c->inflight, c->read_err ? c->read_err : WEFT_POOL_WORKER_DIED, msg);
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

/* In the new child: drop the parent's ends of the other children's
 * sockets, so each child sees EOF when the parent closes its own. */
static void __attribute__((noreturn)) child_enter(weft_pool *p, int fd) {
  for (size_t i = 0; i < p->nslots; i++) {
    weft__pchild *c = p->children[i];
    uv_os_fd_t ofd;

    if (c && c->pool && uv_fileno((uv_handle_t *)&c->ch.pipe, &ofd) == 0)
      close(ofd);
  }
  weft__child_run(fd, &p->opts);
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
  weft__list_init(&c->inflight);
  c->ch.data = c;
  c->ch.on_frame = child_on_frame;
  c->ch.on_eof = child_on_eof;
  rc = weft__chan_open(&c->ch, weft_loop_uv(p->loop), sv[0]);
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

/* The items c took last (the tail of its in-flight list) fail with rc. */
static void fail_sent(weft__pchild *c, size_t n, int rc) {
  while (n--) {
    weft__pjob *j = weft__container_of(c->inflight.prev, weft__pjob, link);

    c->ninflight--;
    job_fail(j, rc, "could not send the item to worker %zu", c->slot);
  }
}

/* Count the pending items (at most max) that fit one frame. */
static size_t frame_plan(const weft_pool *p, size_t max, size_t *bytes) {
  size_t n = 0;

  *bytes = 0;
  for (weft__list *l = p->pending.next; l != &p->pending && n < max; l = l->next) {
    const weft__pbatch *b = weft__container_of(l, weft__pbatch, plink);

    for (size_t i = b->next; i < b->n && n < max; i++, n++) {
      size_t add = sizeof(weft__precord) + b->jobs[i].len;

      if (n && *bytes + add > WEFT__FRAME_CAP)
        return n;
      *bytes += add;
    }
  }
  return n;
}

/* The next item never sent, taken off the pending queue. */
static weft__pjob *pending_take(weft_pool *p) {
  weft__pbatch *b = weft__container_of(p->pending.next, weft__pbatch, plink);
  weft__pjob *j = &b->jobs[b->next++];

  if (b->next == b->n)
    weft__list_remove(&b->plink);
  p->npending--;
  return j;
}

/* Move up to max pending items to c in one ITEMS frame. */
static void frame_send(weft_pool *p, weft__pchild *c, size_t max) {
  size_t bytes, n = frame_plan(p, max, &bytes), off = 0;
  char *buf = weft_malloc(bytes);
  int rc;

  for (size_t i = 0; i < n; i++) {
    weft__pjob *j = pending_take(p);
    weft__precord r = {.id = j->id, .len = j->len, .aux = (int64_t)(uintptr_t)j->batch->fn};

    weft__list_insert_tail(&c->inflight, &j->link);
    j->child = c;
    if (buf) {
      memcpy(buf + off, &r, sizeof r);
      if (j->len)
        memcpy(buf + off + sizeof r, j->data, j->len);
    }
    off += sizeof r + j->len;
  }
  c->ninflight += n;
  c->nassigned += n;
  rc = buf ? weft__chan_send(&c->ch, &(weft__pframe){WEFT__PF_ITEMS, (uint32_t)n, bytes}, buf, buf)
           : -ENOMEM;
  if (rc)
    fail_sent(c, n, rc);
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
  for (size_t i = 0; i < p->nslots; i++)
    if ((rc = child_spawn(p, i)) != 0)
      return rc;
  return 0;
}

static int pool_create(weft_pool **out, const weft_pool_opts *opts, int single) {
  weft_pool *p;
  int rc = pool_alloc(&p, opts);

  if (rc)
    return rc;
  p->single = single;
  if ((rc = pool_start(p)) != 0) {
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
    fail_list(&c->inflight, -ECANCELED, "pool terminated");
    c->ninflight = 0;
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
    if ((rc = weft_future_new(&p->wake, p->loop)) != 0)
      break;
    rc = weft_future_await(p->wake, NULL);
    weft_future_release(p->wake);
    p->wake = NULL;
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
