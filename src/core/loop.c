/*
 * The loop: a ready queue (tasks, callbacks, future callbacks) in FIFO
 * order, a timer heap, and a libuv loop for I/O.
 *
 * One iteration: fire due timers; run everything that was ready at that
 * moment; then poll libuv -- blocking until the next deadline when nothing
 * is ready, or without blocking (and at most every poll_interval) when work
 * keeps arriving, so a yield costs a context switch rather than a syscall
 * while I/O and timers are still never starved.
 */
#include <errno.h>
#include <sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Handles are carved from chunks of HANDLE_CHUNK and recycled through a
 * free list; the chunks go when the loop's memory does (after
 * weft_loop_free, once no handle is referenced). */
#define HANDLE_CHUNK 256

typedef struct handle_chunk {
  struct handle_chunk *next;
  weft_handle handles[HANDLE_CHUNK];
} handle_chunk;

static __thread weft_loop *tls_running __attribute__((tls_model("initial-exec")));
static __thread weft_loop *tls_current __attribute__((tls_model("initial-exec")));
int weft__debug_env;

weft_task *weft__current(void) {
  return tls_running ? tls_running->current : NULL;
}

weft_loop *weft_loop_current(void) {
  return tls_running ? tls_running : tls_current;
}

void weft_loop_set_current(weft_loop *loop) {
  tls_current = loop;
}

weft_loop *weft__loop_or_current(weft_loop *loop) {
  return loop ? loop : weft_loop_current();
}

void weft__panic(const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}

void weft__loop_check_thread(weft_loop *loop) {
  if (WEFT__UNLIKELY(loop->debug) && loop->running && !pthread_equal(loop->thread, pthread_self()))
    weft__panic("weft: loop used from a thread that does not run it "
                "(only *_threadsafe functions may be called from other threads)");
}

void weft__debug_slow(weft_loop *loop, const char *kind, const char *name, uint64_t ns) {
  WEFT__UNUSED(loop);
  if (ns > 100000000ull)
    fprintf(stderr, "weft: debug: %s '%s' ran %.3f s without suspending\n", kind, name,
            (double)ns / 1e9);
}

/* ---- ready queue ---------------------------------------------------- */

void weft__ready_push(weft_loop *loop, weft__runnable *r) {
  r->next = NULL;
  *loop->ready_tail = r;
  loop->ready_tail = &r->next;
  loop->ready_len++;
}

static weft__runnable *ready_pop(weft_loop *loop) {
  weft__runnable *r = loop->ready_head;

  loop->ready_head = r->next;
  if (!loop->ready_head)
    loop->ready_tail = &loop->ready_head;
  loop->ready_len--;
  return r;
}

void weft__fut_run_callbacks(weft__runnable *r);
static void handle_run(weft_loop *loop, weft_handle *h);
static void handle_drop(weft_handle *h);

static void run_ready_batch(weft_loop *loop) {
  loop->batch_left = loop->ready_len;
  while (loop->batch_left > 0) {
    loop->batch_left--;
    weft__runnable *r = ready_pop(loop);
    switch (r->kind) {
    case WEFT__RUN_TASK:
      weft__task_run(loop, weft__container_of(r, weft_task, run));
      break;
    case WEFT__RUN_HANDLE:
      handle_run(loop, weft__container_of(r, weft_handle, run));
      break;
    default:
      weft__fut_run_callbacks(r);
      break;
    }
  }
}

/* ---- polling -------------------------------------------------------- */

/* Our own heap fires at the start of the next iteration. libuv runs due
 * timers before it polls, and its clock has millisecond granularity, so this
 * timer can fire just before the poll of the same uv_run; without uv_stop the
 * poll would then block with no timer left to end it. */
static void wake_timer_cb(uv_timer_t *t) {
  uv_stop(t->loop);
}

/* Replies from other threads are expected: wait for one a little while
 * before blocking in the poll (a futex/eventfd round trip costs several
 * microseconds). Returns 1 if something was posted. */
#define TS_SPIN_NS 50000

static int ts_spin(weft_loop *loop, uint64_t start) {
  int got = 0;

  atomic_store(&loop->ts_spinning, 1);
  for (unsigned i = 1; !(got = atomic_load(&loop->ts_posted)); i++) {
    if ((i & 63) == 0 && weft__now() - start > TS_SPIN_NS)
      break;
    WEFT__CPU_RELAX();
  }
  atomic_store(&loop->ts_spinning, 0);
  return got || atomic_load(&loop->ts_posted);
}

static void poll_blocking(weft_loop *loop) {
  uint64_t now = weft__now();

  if (weft__timer_next(loop) != UINT64_MAX) {
    uint64_t when = weft__timer_next(loop);
    if (when <= now)
      return;
    uint64_t ms = (when - now + 999999) / 1000000;
    if (when != loop->wake_timer_at || !uv_is_active((uv_handle_t *)&loop->wake_timer)) {
      /* libuv counts from its cached time: a stale one would fire the wake
       * timer at once and then poll with no timeout at all. */
      uv_update_time(&loop->uv);
      uv_timer_start(&loop->wake_timer, wake_timer_cb, ms, 0);
      loop->wake_timer_at = when;
    }
  } else if (uv_is_active((uv_handle_t *)&loop->wake_timer)) {
    uv_timer_stop(&loop->wake_timer);
  }
  if (loop->ts_expected && loop->ts_can_spin && ts_spin(loop, now)) {
    weft__loop_flush_threadsafe(loop);
    return;
  }
  uv_run(&loop->uv, UV_RUN_ONCE);
  loop->last_poll = weft__now();
}

/* Whether run_until should return: stopped, `until` done and its done
 * callbacks run (asyncio stops run_until_complete from a done callback added
 * after the user's, so theirs run first), or -- when draining -- no task
 * left. */
static int loop_should_return(const weft_loop *loop, const weft__fut *until) {
  return loop->stopping || (until && until->state != WEFT__FUT_PENDING && !until->cb_queued) ||
         (loop->draining && loop->ntasks == 0);
}

/* While work keeps arriving the clock is read only every few iterations:
 * the poll interval is a lower bound on the time between polls. */
#define CLOCK_EVERY 8

static void loop_iteration(weft_loop *loop, const weft__fut *until) {
  uint64_t now;

  uint64_t next = weft__timer_next(loop);

  if (next != UINT64_MAX && (loop->ready_len == 0 || next <= loop->clock_cache)) {
    loop->clock_cache = weft__now();
    loop->iter_since_clock = 0;
    weft__timers_run(loop, loop->clock_cache);
  }
  run_ready_batch(loop);
  if (loop_should_return(loop, until))
    return;
  if (loop->ready_len == 0) {
    poll_blocking(loop);
    loop->clock_cache = loop->last_poll;
    loop->iter_since_clock = 0;
    return;
  }
  if (++loop->iter_since_clock < CLOCK_EVERY)
    return;
  now = weft__now();
  loop->clock_cache = now;
  loop->iter_since_clock = 0;
  if (now - loop->last_poll >= loop->poll_interval_ns) {
    uv_run(&loop->uv, UV_RUN_NOWAIT);
    loop->last_poll = now;
  }
}

static int loop_enter(weft_loop *loop) {
  if (loop->closed)
    return -EINVAL;
  if (loop->running || tls_running)
    return -EBUSY;
  loop->running = 1;
  loop->thread = pthread_self();
  tls_running = loop;
  uv_ref((uv_handle_t *)&loop->async); /* threadsafe calls can wake a running loop */
  loop->sched_tsan_fiber = weft__tsan_current();
  weft__stack_install_overflow_handler();
  return 0;
}

static void loop_leave(weft_loop *loop) {
  uv_unref((uv_handle_t *)&loop->async);
  loop->running = 0;
  loop->stopping = 0;
  loop->draining = 0;
  tls_running = NULL;
}

/* Run until `until` is done (NULL: until stopped). */
int weft__loop_run_until(weft_loop *loop, weft__fut *until) {
  int rc = loop_enter(loop);

  if (rc)
    return rc;
  do /* at least one iteration, even when stop() came first (asyncio) */
    loop_iteration(loop, until);
  while (!loop_should_return(loop, until));
  loop_leave(loop);
  return 0;
}

/* Cancel every task and run until none is left. */
int weft__loop_drain(weft_loop *loop) {
  for (weft__list *l = loop->tasks.next; l != &loop->tasks; l = l->next)
    weft_task_cancel(weft__container_of(l, weft_task, all_link));
  loop->draining = 1;
  return weft__loop_run_until(loop, NULL);
}

int weft_loop_run_until_complete(weft_loop *loop, weft_task *task, void **result) {
  int rc;

  if (!loop || !task || weft_task_loop(task) != loop)
    return -EINVAL;
  rc = weft__loop_run_until(loop, &task->fut);
  if (rc)
    return rc;
  return weft_task_result(task, result);
}

int weft_loop_run_forever(weft_loop *loop) {
  if (!loop)
    return -EINVAL;
  return weft__loop_run_until(loop, NULL);
}

void weft_loop_stop(weft_loop *loop) {
  if (loop)
    loop->stopping = 1;
}

int weft_loop_is_running(const weft_loop *loop) {
  return loop && loop->running;
}

int weft_loop_is_closed(const weft_loop *loop) {
  return loop && loop->closed;
}

struct uv_loop_s *weft_loop_uv(weft_loop *loop) {
  return loop ? &loop->uv : NULL;
}

void weft_loop_set_debug(weft_loop *loop, int on) {
  if (loop)
    loop->debug = on ? 1 : 0;
}

void weft_loop_set_poll_interval(weft_loop *loop, double seconds) {
  if (loop && !isnan(seconds) && seconds >= 0)
    loop->poll_interval_ns = (uint64_t)(seconds * 1e9);
}

/* ---- create and close ----------------------------------------------- */

static void async_cb(uv_async_t *a);

int weft_loop_new(weft_loop **out) {
  weft_loop *loop;
  int rc;

  weft__alloc_lock();
  loop = weft_calloc(1, sizeof(*loop));
  if (!loop)
    return -ENOMEM;
  rc = uv_loop_init(&loop->uv);
  if (rc) {
    weft_free(loop);
    return rc;
  }
  uv_timer_init(&loop->uv, &loop->wake_timer);
  uv_async_init(&loop->uv, &loop->async, async_cb);
  uv_unref((uv_handle_t *)&loop->async);
  pthread_mutex_init(&loop->ts_lock, NULL);
  loop->ts_nodes_tail = &loop->ts_nodes;
  loop->ts_can_spin = (uint8_t)weft__can_spin();
  loop->ready_tail = &loop->ready_head;
  loop->poll_interval_ns = 50000;
  weft__list_init(&loop->tasks);
  weft__list_init(&loop->quarantine);
  const char *dbg = getenv("WEFT_DEBUG");
  loop->debug = dbg && *dbg && strcmp(dbg, "0") != 0;
  weft__debug_env = loop->debug;
  *out = loop;
  return 0;
}

typedef struct foreign_count {
  weft_loop *loop;
  size_t n;
} foreign_count;

static void count_foreign(uv_handle_t *h, void *arg) {
  foreign_count *fc = arg;

  if (h != (uv_handle_t *)&fc->loop->wake_timer && h != (uv_handle_t *)&fc->loop->async &&
      !uv_is_closing(h))
    fc->n++;
}

/* libuv handles the user opened on weft_loop_uv() and has not closed. */
static size_t foreign_handles(weft_loop *loop) {
  foreign_count fc = {loop, 0};

  uv_walk(&loop->uv, count_foreign, &fc);
  return fc.n;
}

/* Drop callbacks that will never run now. */
static void loop_drop_pending(weft_loop *loop) {
  while (loop->ready_head) {
    weft__runnable *r = ready_pop(loop);
    if (r->kind == WEFT__RUN_HANDLE) {
      handle_drop(weft__container_of(r, weft_handle, run));
    } else if (r->kind == WEFT__RUN_FUTCB) {
      weft__fut *f = weft__container_of(r, weft__fut, cb_run);
      f->cb_queued = 0;
      if (f->kind == WEFT__KIND_TASK)
        weft_task_release((weft_task *)f);
      else
        weft_future_release((weft_future *)f);
    }
  }
  weft__timer *t;

  while ((t = weft__timer_pop_any(loop)) != NULL) /* only callback handles are left */
    handle_drop(weft__container_of(t, weft_handle, timer));
}

int weft_loop_close(weft_loop *loop) {
  if (!loop)
    return -EINVAL;
  if (loop->closed)
    return 0;
  if (loop->running || loop->ntasks)
    return -EBUSY;
  if (loop->default_executor_shutdown)
    loop->default_executor_shutdown(loop);
  if (foreign_handles(loop))
    return -EBUSY;
  loop_drop_pending(loop);
  uv_close((uv_handle_t *)&loop->wake_timer, NULL);
  uv_close((uv_handle_t *)&loop->async, NULL);
  uv_run(&loop->uv, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop->uv) != 0)
    return -EBUSY;
  loop->closed = 1;
  weft__stack_pool_drain(loop);
  weft__heap_free(&loop->heap);
  weft_free(loop->read_buf);
  loop->read_buf = NULL;
  return 0;
}

static void loop_dealloc(weft_loop *loop) {
  while (loop->handle_chunks) {
    handle_chunk *c = loop->handle_chunks;
    loop->handle_chunks = c->next;
    weft_free(c);
  }
  pthread_mutex_destroy(&loop->ts_lock);
  weft_free(loop->ts_calls);
  weft_free(loop->ts_spare);
  weft_free(loop);
}

void weft__loop_obj_unref(weft_loop *loop) {
  if (--loop->live_objects == 0 && loop->freed)
    loop_dealloc(loop);
}

/* Tasks and futures the user still holds keep the loop's memory (not its
 * resources) alive until they are released. */
void weft_loop_free(weft_loop *loop) {
  if (!loop)
    return;
  if (loop->running)
    weft__panic("weft: weft_loop_free on a running loop");
  if (!loop->closed && weft_loop_close(loop) != 0)
    weft__panic("weft: weft_loop_free on a loop that cannot close (%zu tasks alive)", loop->ntasks);
  if (tls_current == loop)
    tls_current = NULL;
  loop->freed = 1;
  while (loop->task_cache) {
    weft__runnable *r = loop->task_cache;
    loop->task_cache = r->next;
    weft_free(weft__container_of(r, weft_task, run));
  }
  loop->live_objects++; /* hold it while the quarantine is emptied */
  while (!weft__list_empty(&loop->quarantine)) {
    weft__list *l = loop->quarantine.next;
    weft__list_remove(l);
    weft__task_free(weft__container_of(l, weft_task, all_link));
  }
  weft__loop_obj_unref(loop);
}

/* ---- call_soon / call_later / call_at ------------------------------- */

static void handle_release_ref(weft_handle *h) {
  weft_loop *loop = h->loop;

  if (--h->refs > 0)
    return;
  h->run.next = loop->handle_cache;
  loop->handle_cache = &h->run;
  weft__loop_obj_unref(loop);
}

static weft_handle *handle_alloc(weft_loop *loop) {
  weft_handle *h;

  if (!loop->handle_cache) {
    handle_chunk *c = weft_malloc(sizeof(*c));
    if (!c)
      return NULL;
    c->next = loop->handle_chunks;
    loop->handle_chunks = c;
    for (size_t i = HANDLE_CHUNK; i-- > 0;) {
      c->handles[i].run.next = loop->handle_cache;
      loop->handle_cache = &c->handles[i].run;
    }
  }
  h = weft__container_of(loop->handle_cache, weft_handle, run);
  loop->handle_cache = h->run.next;
  weft__loop_obj_ref(loop);
  return h;
}

static void handle_drop(weft_handle *h) {
  h->pending = 0;
  handle_release_ref(h);
}

static void handle_run(weft_loop *loop, weft_handle *h) {
  uint64_t t0 = 0;

  h->pending = 0;
  if (!h->cancelled) {
    h->done = 1;
    if (WEFT__UNLIKELY(loop->debug))
      t0 = weft__now();
    h->cb(h->arg);
    if (WEFT__UNLIKELY(loop->debug))
      weft__debug_slow(loop, "callback", "call_soon", weft__now() - t0);
  }
  handle_release_ref(h);
}

static void handle_timer_fired(weft__timer *t) {
  weft_handle *h = weft__container_of(t, weft_handle, timer);

  if (h->cancelled) /* cancelled lazily while in the heap */
    handle_drop(h);
  else
    weft__ready_push(h->loop, &h->run);
}

static int handle_new(weft_loop **loopp, weft_callback cb, void *arg, weft_handle **out,
                      weft_handle **hp) {
  weft_loop *loop = weft__loop_or_current(*loopp);
  weft_handle *h;

  if (!loop || loop->closed || !cb)
    return -EINVAL;
  weft__loop_check_thread(loop);
  h = handle_alloc(loop);
  if (!h)
    return -ENOMEM;
  memset(h, 0, sizeof(*h));
  h->run.kind = WEFT__RUN_HANDLE;
  h->loop = loop;
  h->cb = cb;
  h->arg = arg;
  h->refs = out ? 2 : 1;
  h->pending = 1;
  weft__timer_init(&h->timer, handle_timer_fired);
  if (out)
    *out = h;
  *loopp = loop;
  *hp = h;
  return 0;
}

int weft_call_soon(weft_loop *loop, weft_callback cb, void *arg, weft_handle **out) {
  weft_handle *h;
  int rc = handle_new(&loop, cb, arg, out, &h);

  if (rc)
    return rc;
  h->when = weft_time();
  weft__ready_push(loop, &h->run);
  return 0;
}

int weft_call_at(weft_loop *loop, double when, weft_callback cb, void *arg, weft_handle **out) {
  weft_handle *h;
  uint64_t ns;
  int rc;

  if (weft__when_to_ns(when, &ns) != 0)
    return -EINVAL;
  rc = handle_new(&loop, cb, arg, NULL, &h);
  if (rc)
    return rc;
  h->when = when;
  rc = weft__timer_start(loop, &h->timer, ns);
  if (rc) {
    handle_release_ref(h);
    return rc;
  }
  if (out) {
    h->refs++;
    *out = h;
  }
  return 0;
}

int weft_call_later(weft_loop *loop, double delay, weft_callback cb, void *arg, weft_handle **out) {
  if (isnan(delay))
    return -EINVAL;
  return weft_call_at(loop, weft_time() + (delay > 0 ? delay : 0), cb, arg, out);
}

int weft_handle_cancel(weft_handle *h) {
  if (!h || h->done || h->cancelled)
    return 0;
  h->cancelled = 1;
  if (weft__timer_armed(&h->timer))
    weft__timer_kill(h->loop, &h->timer); /* dropped when it pops */
  return 1;
}

int weft_handle_cancelled(const weft_handle *h) {
  return h && h->cancelled;
}

double weft_handle_when(const weft_handle *h) {
  return h ? h->when : NAN;
}

void weft_handle_release(weft_handle *h) {
  if (h)
    handle_release_ref(h);
}

/* ---- call_soon_threadsafe ------------------------------------------- */

static void async_cb(uv_async_t *a) {
  weft__loop_flush_threadsafe(weft__container_of(a, weft_loop, async));
}

/* Run the callbacks other threads have queued. */
void weft__loop_flush_threadsafe(weft_loop *loop) {
  weft__ts_call *calls;
  weft__ts_node *nodes;
  size_t n, cap;

  atomic_store(&loop->ts_posted, 0);
  pthread_mutex_lock(&loop->ts_lock);
  nodes = loop->ts_nodes;
  loop->ts_nodes = NULL;
  loop->ts_nodes_tail = &loop->ts_nodes;
  calls = loop->ts_calls;
  n = loop->ts_len;
  cap = loop->ts_cap;
  loop->ts_calls = loop->ts_spare;
  loop->ts_cap = loop->ts_spare_cap;
  loop->ts_len = 0;
  pthread_mutex_unlock(&loop->ts_lock);
  for (size_t i = 0; i < n; i++)
    calls[i].cb(calls[i].arg);
  while (nodes) {
    weft__ts_node *next = nodes->next;
    nodes->cb(nodes->arg);
    nodes = next;
  }
  pthread_mutex_lock(&loop->ts_lock);
  loop->ts_spare = calls;
  loop->ts_spare_cap = cap;
  pthread_mutex_unlock(&loop->ts_lock);
}

/* Tell the loop something was queued. A spinning loop sees ts_posted; the
 * seq_cst pair (ts_posted, ts_spinning) guarantees that a loop which stops
 * spinning either sees the flag or is woken by the eventfd. */
int weft__can_spin(void) {
  cpu_set_t set;

  if (sched_getaffinity(0, sizeof(set), &set) != 0)
    return 0;
  return CPU_COUNT(&set) > 1;
}

static void ts_notify(weft_loop *loop) {
  atomic_store(&loop->ts_posted, 1);
  if (!atomic_load(&loop->ts_spinning))
    uv_async_send(&loop->async);
}

int weft__post_threadsafe(weft_loop *loop, weft__ts_node *node) {
  if (!loop || loop->closed)
    return -EINVAL;
  node->next = NULL;
  pthread_mutex_lock(&loop->ts_lock);
  *loop->ts_nodes_tail = node;
  loop->ts_nodes_tail = &node->next;
  pthread_mutex_unlock(&loop->ts_lock);
  ts_notify(loop);
  return 0;
}

int weft_call_soon_threadsafe(weft_loop *loop, weft_callback cb, void *arg) {
  int rc = 0;

  if (!loop || !cb || loop->closed)
    return -EINVAL;
  pthread_mutex_lock(&loop->ts_lock);
  if (loop->ts_len == loop->ts_cap) {
    size_t cap = loop->ts_cap ? loop->ts_cap * 2 : 64;
    weft__ts_call *calls = weft_realloc(loop->ts_calls, cap * sizeof(*calls));
    if (!calls) {
      rc = -ENOMEM;
      goto out;
    }
    loop->ts_calls = calls;
    loop->ts_cap = cap;
  }
  loop->ts_calls[loop->ts_len].cb = cb;
  loop->ts_calls[loop->ts_len].arg = arg;
  loop->ts_len++;
out:
  pthread_mutex_unlock(&loop->ts_lock);
  if (rc == 0)
    ts_notify(loop);
  return rc;
}
