/*
 * gather, wait, shield and wait_for. Each registers one waiter node per
 * child (on the caller's stack for small counts) and parks once.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "internal.h"

#define SMALL_N 16

typedef struct multi multi;
typedef struct child_waiter {
  weft__waiter w;
  multi *m;
  size_t index;
} child_waiter;

/* What the caller waits for. */
struct multi {
  weft_task *task; /* the waiting task */
  weft_task *const *children;
  child_waiter *nodes;
  size_t n, pending;
  int mode;          /* see multi_satisfied */
  size_t first_fail; /* index of the first child that failed, SIZE_MAX if none */
  uint8_t parked;
};

enum { MODE_ALL, MODE_FIRST_COMPLETED, MODE_FIRST_EXCEPTION, MODE_FIRST_FAILURE };

/* gather fails on a cancelled child; FIRST_EXCEPTION, as asyncio's, does
 * not count one as an exception. */
static int child_failed(const multi *m, const weft__fut *f) {
  if (f->state == WEFT__FUT_CANCELLED)
    return m->mode != MODE_FIRST_EXCEPTION;
  return f->code != 0;
}

static int multi_satisfied(const multi *m) {
  switch (m->mode) {
  case MODE_FIRST_COMPLETED:
    return m->pending < m->n || m->pending == 0;
  case MODE_FIRST_EXCEPTION:
  case MODE_FIRST_FAILURE:
    return m->first_fail != SIZE_MAX || m->pending == 0;
  default:
    return m->pending == 0;
  }
}

static void multi_child_done(weft__waiter *w, weft__fut *f) {
  child_waiter *cw = (child_waiter *)w;
  multi *m = cw->m;

  m->pending--;
  if (child_failed(m, f) && m->first_fail == SIZE_MAX)
    m->first_fail = cw->index;
  if (m->parked && multi_satisfied(m))
    weft__wake(m->task, 0);
}

static void multi_unlink(multi *m) {
  for (size_t i = 0; i < m->n; i++)
    if (weft__list_linked(&m->nodes[i].w.link))
      weft__list_remove(&m->nodes[i].w.link);
}

static void multi_unlink_cb(weft_task *t, void *obj) {
  WEFT__UNUSED(t);
  multi_unlink(obj);
}

static int multi_validate(weft_task *const *tasks, size_t n) {
  if (!weft__current())
    return -EPERM;
  if (n > 0 && !tasks)
    return -EINVAL;
  for (size_t i = 0; i < n; i++) {
    int rc = weft__task_check_loop(tasks[i]);
    if (rc)
      return rc;
  }
  return 0;
}

/* Register waiters, count what is already done. */
static int multi_start(multi *m, weft_task *const *tasks, size_t n, int mode, child_waiter *small) {
  m->task = weft__current();
  m->children = tasks;
  m->n = n;
  m->pending = 0;
  m->mode = mode;
  m->first_fail = SIZE_MAX;
  m->parked = 0;
  m->nodes = n <= SMALL_N ? small : weft_malloc(n * sizeof(*m->nodes));
  if (!m->nodes)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    weft__fut *f = &tasks[i]->fut;
    m->nodes[i].m = m;
    m->nodes[i].index = i;
    m->nodes[i].w.fn = multi_child_done;
    weft__list_init(&m->nodes[i].w.link);
    f->awaited = 1;
    if (f->state == WEFT__FUT_PENDING) {
      weft__list_insert_tail(&f->waiters, &m->nodes[i].w.link);
      m->pending++;
    } else if (child_failed(m, f) && m->first_fail == SIZE_MAX) {
      m->first_fail = i;
    }
  }
  return 0;
}

static int multi_park(multi *m, const char *what) {
  int rc = 0;

  if (!multi_satisfied(m)) {
    m->parked = 1;
    rc = weft__park(what, multi_unlink_cb, m);
    m->parked = 0;
  }
  multi_unlink(m);
  return rc;
}

static void multi_end(multi *m, child_waiter *small) {
  if (m->nodes != small)
    weft_free(m->nodes);
}

int weft_gather(weft_task *const *tasks, size_t n, int flags, void **results, int *errors) {
  child_waiter small[SMALL_N];
  int ret_exc = flags & WEFT_RETURN_EXCEPTIONS;
  multi m;
  int rc = multi_validate(tasks, n);

  if (rc)
    return rc;
  rc = multi_start(&m, tasks, n, ret_exc ? MODE_ALL : MODE_FIRST_FAILURE, small);
  if (rc)
    return rc;
  rc = multi_park(&m, "gather");
  multi_end(&m, small);
  if (rc) { /* the gatherer was cancelled or timed out: so are the children */
    for (size_t i = 0; i < n; i++)
      weft_task_cancel(tasks[i]);
    return rc;
  }
  if (!ret_exc && m.first_fail != SIZE_MAX)
    return weft__fut_outcome(&tasks[m.first_fail]->fut, NULL);
  for (size_t i = 0; i < n; i++) {
    void *res = NULL;
    int code = weft__fut_outcome(&tasks[i]->fut, &res);
    if (results)
      results[i] = res;
    if (errors)
      errors[i] = code;
  }
  return 0;
}

/* ---- wait ----------------------------------------------------------- */

typedef struct wait_timer {
  weft__timer timer;
  multi *m;
} wait_timer;

static void wait_timer_fired(weft__timer *t) {
  multi *m = ((wait_timer *)t)->m;

  if (m->parked)
    weft__wake(m->task, 0);
}

int weft_wait(weft_task *const *tasks, size_t n, weft_return_when when, double timeout, int *done,
              size_t *ndone) {
  child_waiter small[SMALL_N];
  static const int modes[] = {MODE_ALL, MODE_FIRST_COMPLETED, MODE_FIRST_EXCEPTION};
  wait_timer wt;
  multi m;
  size_t count = 0;
  int rc;

  if (n == 0 || isnan(timeout) || timeout < 0 || (unsigned)when > WEFT_FIRST_EXCEPTION)
    return -EINVAL;
  if ((rc = multi_validate(tasks, n)) != 0)
    return rc;
  if ((rc = multi_start(&m, tasks, n, modes[when], small)) != 0)
    return rc;
  weft__timer_init(&wt.timer, wait_timer_fired);
  wt.m = &m;
  if (!isinf(timeout) && !multi_satisfied(&m))
    rc = weft__timer_start(m.task->fut.loop, &wt.timer, weft__seconds_to_ns_deadline(timeout));
  if (rc == 0)
    rc = multi_park(&m, "wait");
  else
    multi_unlink(&m);
  weft__timer_stop(m.task->fut.loop, &wt.timer);
  multi_end(&m, small);
  for (size_t i = 0; i < n; i++) {
    int d = tasks[i]->fut.state != WEFT__FUT_PENDING;
    if (done)
      done[i] = d;
    count += (size_t)d;
  }
  if (ndone)
    *ndone = count;
  return rc;
}

/* ---- shield and wait_for -------------------------------------------- */

int weft_shield(weft_task *task, void **result) {
  int rc = weft__task_check_loop(task);

  if (rc)
    return rc;
  task->fut.awaited = 1;
  rc = weft__fut_wait(&task->fut, "shield");
  if (rc)
    return rc;
  return weft__fut_outcome(&task->fut, result);
}

/* Cancel task and wait for it to end, shielded from the caller's own
 * cancellation (which stays pending and is seen at the next suspension). */
static void cancel_and_drain(weft_task *cur, weft_task *task) {
  weft__scope shield;

  weft_task_cancel(task);
  weft__scope_push(cur, &shield, WEFT__SCOPE_SHIELD);
  weft__fut_wait(&task->fut, "wait_for");
  weft__scope_pop(cur, &shield);
}

int weft_wait_for(weft_task *task, double timeout, void **result) {
  weft_task *cur = weft__current();
  weft__scope sc;
  int rc = weft__task_check_loop(task);

  if (rc)
    return rc;
  if (isnan(timeout) || timeout < 0)
    return -EINVAL;
  task->fut.awaited = 1;
  weft__scope_push(cur, &sc, WEFT__SCOPE_TIMEOUT);
  if (!isinf(timeout) && (rc = weft__timer_start(cur->fut.loop, &sc.timer,
                                                 weft__seconds_to_ns_deadline(timeout))) != 0) {
    weft__scope_pop(cur, &sc);
    return rc;
  }
  rc = weft__fut_wait(&task->fut, "wait_for");
  weft__scope_pop(cur, &sc);
  if (rc == 0)
    return weft__fut_outcome(&task->fut, result);
  cancel_and_drain(cur, task);
  /* A task that returned a value despite the cancellation keeps it. */
  if (rc == -ETIMEDOUT && task->fut.state == WEFT__FUT_DONE && task->fut.code == 0)
    return weft__fut_outcome(&task->fut, result);
  return rc;
}

/* ---- as_completed --------------------------------------------------- */

struct weft_as_completed {
  weft_task **tasks;
  child_waiter *nodes;
  size_t *order; /* indices in completion order */
  size_t n, finished, returned;
  weft_task *waiter;
  weft__timer timer;
  weft_loop *loop;
  uint8_t expired;
};

static void ac_child_done(weft__waiter *w, weft__fut *f) {
  child_waiter *cw = (child_waiter *)w;
  weft_as_completed *ac = (weft_as_completed *)(void *)cw->m;

  WEFT__UNUSED(f);
  ac->order[ac->finished++] = cw->index;
  if (ac->waiter)
    weft__wake(ac->waiter, 0);
}

static void ac_timer_fired(weft__timer *t) {
  weft_as_completed *ac = weft__container_of(t, weft_as_completed, timer);

  ac->expired = 1;
  if (ac->waiter)
    weft__wake(ac->waiter, 0);
}

static int ac_alloc(weft_as_completed *ac, size_t n) {
  ac->tasks = weft_calloc(n ? n : 1, sizeof(*ac->tasks));
  ac->nodes = weft_calloc(n ? n : 1, sizeof(*ac->nodes));
  ac->order = weft_calloc(n ? n : 1, sizeof(*ac->order));
  return ac->tasks && ac->nodes && ac->order ? 0 : -ENOMEM;
}

int weft_as_completed_new(weft_as_completed **out, weft_task *const *tasks, size_t n,
                          double timeout) {
  weft_as_completed *ac;
  int rc = multi_validate(tasks, n);

  if (rc)
    return rc;
  if (isnan(timeout) || timeout < 0)
    return -EINVAL;
  ac = weft_calloc(1, sizeof(*ac));
  if (!ac)
    return -ENOMEM;
  ac->loop = weft__current()->fut.loop;
  weft__timer_init(&ac->timer, ac_timer_fired);
  if ((rc = ac_alloc(ac, n)) != 0 ||
      (!isinf(timeout) &&
       (rc = weft__timer_start(ac->loop, &ac->timer, weft__seconds_to_ns_deadline(timeout))))) {
    weft_as_completed_free(ac);
    return rc;
  }
  ac->n = n;
  for (size_t i = 0; i < n; i++) {
    ac->tasks[i] = weft_task_retain(tasks[i]);
    ac->nodes[i].m = (multi *)(void *)ac;
    ac->nodes[i].index = i;
    ac->nodes[i].w.fn = ac_child_done;
    weft__list_init(&ac->nodes[i].w.link);
    tasks[i]->fut.awaited = 1;
    if (tasks[i]->fut.state != WEFT__FUT_PENDING)
      ac->order[ac->finished++] = i;
    else
      weft__list_insert_tail(&tasks[i]->fut.waiters, &ac->nodes[i].w.link);
  }
  *out = ac;
  return 0;
}

static void ac_unpark(weft_task *t, void *obj) {
  WEFT__UNUSED(t);
  ((weft_as_completed *)obj)->waiter = NULL;
}

int weft_as_completed_next(weft_as_completed *ac, weft_task **next) {
  int rc;

  if (!ac || !next)
    return -EINVAL;
  if (ac->returned == ac->n)
    return WEFT_DONE;
  while (ac->returned == ac->finished) {
    if (ac->expired)
      return -ETIMEDOUT;
    ac->waiter = weft__current();
    if (!ac->waiter)
      return -EPERM;
    rc = weft__park("as_completed", ac_unpark, ac);
    ac->waiter = NULL;
    if (rc)
      return rc;
  }
  *next = ac->tasks[ac->order[ac->returned++]];
  return 0;
}

void weft_as_completed_free(weft_as_completed *ac) {
  if (!ac)
    return;
  weft__timer_stop(ac->loop, &ac->timer);
  for (size_t i = 0; i < ac->n; i++) {
    if (weft__list_linked(&ac->nodes[i].w.link))
      weft__list_remove(&ac->nodes[i].w.link);
    weft_task_release(ac->tasks[i]);
  }
  weft_free(ac->tasks);
  weft_free(ac->nodes);
  weft_free(ac->order);
  weft_free(ac);
}
