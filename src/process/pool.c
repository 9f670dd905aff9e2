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

struct weft__pchild {
  weft_pool *pool;
  size_t slot;
  pid_t pid;
  weft__chan ch;
  weft__list inflight;
  size_t ninflight, nassigned;
  int eof, reaped, shut, status;
  uv_shutdown_t sreq;
};

struct weft_pool {
  weft_loop *loop;
  weft_pool_opts opts;
  weft__pchild **children;
  size_t nslots, alive;
  weft__list pending;
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
  for (size_t i = 0; b->jobs && i < b->n; i++) {
    weft_buf_free(&b->jobs[i].arg);
    weft_pool_result_clear(&b->jobs[i].res);
  }
  weft_free(b->jobs);
  weft_free(b->order);
  weft_free(b);
}

/* Record a job's outcome (taking buf and message) and wake the batch. */
static void job_finish(weft__pjob *j, int code, weft_buf buf, char *message) {
  weft__pbatch *b = j->batch;

  if (weft__list_linked(&j->link))
    weft__list_remove(&j->link);
  weft_buf_free(&j->arg);
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
  job_finish(j, code, (weft_buf){0}, weft_strdup(msg));
}

static void fail_list(weft__list *l, int code, const char *msg) {
  while (!weft__list_empty(l))
    job_fail(weft__container_of(l->next, weft__pjob, link), code, "%s", msg);
}

static int batch_alloc(weft__pbatch **out, weft_pool *p, size_t n) {
  weft__pbatch *b = weft_calloc(1, sizeof *b);

  if (!b)
    return -ENOMEM;
  b->pool = p;
  b->n = n;
  b->jobs = weft_calloc(n ? n : 1, sizeof *b->jobs);
  b->order = weft_calloc(n ? n : 1, sizeof *b->order);
  if (!b->jobs || !b->order) {
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

int weft__pool_batch(weft_pool *p, weft_pool_fn fn, const weft_buf *items, size_t n,
                     weft__pbatch **out) {
  weft__pbatch *b;
  int rc;

  if (p->closed)
    return -ESHUTDOWN;
  if ((rc = batch_alloc(&b, p, n)) != 0)
    return rc;
  for (size_t i = 0; i < n; i++) {
    if ((rc = copy_buf(&b->jobs[i].arg, &items[i])) != 0) {
      batch_free(b);
      return rc;
    }
  }
  for (size_t i = 0; i < n; i++) {
    weft__pjob *j = &b->jobs[i];

    j->batch = b;
    j->fn = fn;
    j->id = ++p->next_id;
    weft__list_insert_tail(&p->pending, &j->link);
  }
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
  for (size_t i = 0; i < b->n; i++) {
    weft__pjob *j = &b->jobs[i];

    if (!j->done && !j->child)
      job_finish(j, -ECANCELED, (weft_buf){0}, NULL);
  }
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

static void child_on_frame(weft__chan *ch, const weft__pframe *h, char *payload) {
  weft__pchild *c = ch->data;
  weft__pjob *j = inflight_find(c, h->id);
  weft_buf buf = {0};
  char *msg = NULL;

  if (!j)
    return; /* failed already (terminate) */
  c->ninflight--;
  if (h->kind == WEFT__PF_ERROR) {
    if ((msg = weft_malloc(h->len + 1)) != NULL) {
      memcpy(msg, payload, h->len);
      msg[h->len] = '\0';
    }
    job_finish(j, h->code < 0 ? h->code : -EINVAL, buf, msg);
  } else if (copy_buf(&buf, &(weft_buf){payload, h->len}) != 0) {
    job_fail(j, -ENOMEM, "no memory for a result of %zu bytes", (size_t)h->len);
  } else {
    job_finish(j, 0, buf, NULL);
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
  if (WIFSIGNALED(c->status))
    snprintf(buf, cap, "worker %zu killed by signal %d", c->slot, WTERMSIG(c->status));
  else
    snprintf(buf, cap, "worker %zu exited with status %d", c->slot, WEXITSTATUS(c->status));
}

/* Both EOF and the exit status are in: fail what it had in flight, let
 * its slot go, and replace it while the pool is open. */
static void child_finish(weft__pchild *c) {
  weft_pool *p = c->pool;
  char msg[96];
  int rc = 0;

  if (!c->eof || !c->reaped)
    return;
  child_death_message(c, msg, sizeof msg);
  fail_list(&c->inflight, WEFT_POOL_WORKER_DIED, msg);
  p->children[c->slot] = NULL;
  p->alive--;
  uv_close((uv_handle_t *)&c->ch.pipe, child_closed); /* closes the fd now */
  if (!p->closed && !p->single && !p->freeing)
    rc = child_spawn(p, c->slot);
  if (rc || (p->alive == 0 && !p->freeing))
    fail_list(&p->pending, rc ? rc : WEFT_POOL_WORKER_DIED, rc ? "could not start a worker" : msg);
  pool_pump(p);
  pool_notify(p);
}

static void child_on_eof(weft__chan *ch, int err) {
  weft__pchild *c = ch->data;

  WEFT__UNUSED(err);
  c->eof = 1;
  if (!c->reaped && err != UV_EOF)
    kill(c->pid, SIGKILL); /* a broken channel: the child is of no use */
  child_finish(c);
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
  for (size_t i = 0; i < p->nslots; i++) {
    weft__pchild *c = p->children[i];
    int st;

    if (c && !c->reaped && waitpid(c->pid, &st, WNOHANG) == c->pid) {
      c->reaped = 1;
      c->status = p->last_status = st;
      child_finish(c);
    }
  }
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

static int child_can_take(const weft_pool *p, const weft__pchild *c) {
  return c && !c->eof && !c->reaped && !c->shut && c->ninflight < p->opts.childconcurrency &&
         (p->opts.maxtasksperchild == 0 || c->nassigned < p->opts.maxtasksperchild);
}

static void job_send(weft__pchild *c, weft__pjob *j) {
  weft__pframe h = {.kind = WEFT__PF_ITEM, .id = j->id, .len = j->arg.len};
  int rc;

  h.fn = (uint64_t)(uintptr_t)j->fn;
  weft__list_remove(&j->link);
  weft__list_insert_tail(&c->inflight, &j->link);
  j->child = c;
  c->ninflight++;
  c->nassigned++;
  rc = weft__chan_send(&c->ch, &h, j->arg.data, j->arg.data);
  j->arg = (weft_buf){0};
  if (rc) {
    c->ninflight--;
    job_fail(j, rc, "could not send the item to worker %zu", c->slot);
  }
}

static void pool_pump(weft_pool *p) {
  for (size_t i = 0; i < p->nslots; i++) {
    weft__pchild *c = p->children[i];

    while (!weft__list_empty(&p->pending) && child_can_take(p, c))
      job_send(c, weft__container_of(p->pending.next, weft__pjob, link));
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
  fail_list(&p->pending, -ECANCELED, "pool terminated");
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
    if (!c->reaped && waitpid(c->pid, &c->status, 0) == c->pid)
      c->reaped = 1;
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
