/*
 * The state a task and a future share: outcome, waiters (run synchronously
 * at completion, used by awaits and combinators) and done callbacks (run
 * soon after completion, as asyncio schedules them with call_soon). A
 * finished fut queues its own runnable to run its callbacks, so completing
 * never allocates.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

void weft__fut_init(weft__fut *f, weft_loop *loop, uint8_t kind) {
  memset(f, 0, sizeof(*f));
  f->magic = kind == WEFT__KIND_TASK ? WEFT__MAGIC_TASK : WEFT__MAGIC_FUTURE;
  f->kind = kind;
  f->refs = 1;
  f->loop = loop;
  f->callbacks_tail = &f->callbacks;
  f->cb_run.kind = WEFT__RUN_FUTCB;
  weft__list_init(&f->waiters);
}

static void fut_retain(weft__fut *f) {
  f->refs++;
}

static void fut_release(weft__fut *f) {
  if (f->kind == WEFT__KIND_TASK)
    weft_task_release((weft_task *)f);
  else
    weft_future_release((weft_future *)f);
}

static void fut_queue_callbacks(weft__fut *f) {
  if (f->cb_queued || !f->callbacks)
    return;
  f->cb_queued = 1;
  fut_retain(f);
  weft__ready_push(f->loop, &f->cb_run);
}

/* Called by the loop for a WEFT__RUN_FUTCB runnable. */
void weft__fut_run_callbacks(weft__runnable *r) {
  weft__fut *f = weft__container_of(r, weft__fut, cb_run);
  weft__done_cb *cb;

  f->cb_queued = 0;
  while ((cb = f->callbacks) != NULL) {
    f->callbacks = cb->next;
    if (!f->callbacks)
      f->callbacks_tail = &f->callbacks;
    cb->fn(f, cb->arg);
    weft_free(cb);
  }
  fut_release(f);
}

void weft__fut_finish(weft__fut *f, uint8_t state, int code, char *message, void *result) {
  f->state = state;
  f->code = code;
  f->message = message;
  f->result = result;
  /* Done callbacks first: in asyncio an awaiter resumes through a callback
   * added when it starts waiting, usually after the user's own. */
  fut_queue_callbacks(f);
  while (!weft__list_empty(&f->waiters)) {
    weft__waiter *w = weft__container_of(f->waiters.next, weft__waiter, link);
    weft__list_remove(&w->link);
    w->fn(w, f);
  }
}

int weft__fut_add_callback(weft__fut *f, void (*fn)(void *, void *), void *arg) {
  weft__done_cb *cb = weft_malloc(sizeof(*cb));

  if (!cb)
    return -ENOMEM;
  cb->fn = fn;
  cb->arg = arg;
  cb->next = NULL;
  *f->callbacks_tail = cb;
  f->callbacks_tail = &cb->next;
  if (f->state != WEFT__FUT_PENDING)
    fut_queue_callbacks(f);
  return 0;
}

size_t weft__fut_remove_callback(weft__fut *f, void (*fn)(void *, void *), void *arg) {
  weft__done_cb **pp = &f->callbacks, *cb;
  size_t n = 0;

  while ((cb = *pp) != NULL) {
    if (cb->fn == fn && cb->arg == arg) {
      *pp = cb->next;
      weft_free(cb);
      n++;
    } else {
      pp = &cb->next;
    }
  }
  f->callbacks_tail = &f->callbacks;
  while (*f->callbacks_tail)
    f->callbacks_tail = &(*f->callbacks_tail)->next;
  return n;
}

int weft__fut_outcome(weft__fut *f, void **result) {
  if (f->state == WEFT__FUT_PENDING)
    return -EAGAIN;
  f->retrieved = 1;
  if (f->state == WEFT__FUT_CANCELLED)
    return -ECANCELED;
  if (result && f->code == 0)
    *result = f->result;
  return f->code;
}

/* Free what a fut owns; report an error nobody looked at. */
void weft__fut_clear(weft__fut *f) {
  weft__done_cb *cb;

  while ((cb = f->callbacks) != NULL) {
    f->callbacks = cb->next;
    weft_free(cb);
  }
  weft_free(f->message);
  f->message = NULL;
}

typedef struct task_waiter {
  weft__waiter w;
  weft_task *task;
} task_waiter;

static void task_waiter_wake(weft__waiter *w, weft__fut *f) {
  WEFT__UNUSED(f);
  weft__wake(((task_waiter *)w)->task, 0);
}

static void task_waiter_unlink(weft_task *t, void *obj) {
  WEFT__UNUSED(t);
  weft__list_remove(&((task_waiter *)obj)->w.link);
}

int weft__fut_wait(weft__fut *f, const char *what) {
  task_waiter tw;

  if (f->state != WEFT__FUT_PENDING)
    return 0;
  tw.w.fn = task_waiter_wake;
  tw.task = weft__current();
  if (!tw.task)
    return -EPERM;
  weft__list_insert_tail(&f->waiters, &tw.w.link);
  return weft__park(what, task_waiter_unlink, &tw);
}

char *weft__vformat(const char *fmt, va_list ap) {
  va_list ap2;
  int n;
  char *s;

  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return NULL;
  s = weft_malloc((size_t)n + 1);
  if (s)
    vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

/* ---- public futures ------------------------------------------------- */

struct weft_future {
  weft__fut fut;
};

static int future_ok(const weft_future *f) {
  if (!f || f->fut.magic != WEFT__MAGIC_FUTURE) {
    if (f && f->fut.magic == WEFT__MAGIC_DEAD)
      weft__panic("weft: use of a released future");
    return 0;
  }
  return 1;
}

int weft_future_new(weft_future **out, weft_loop *loop) {
  weft_future *f;

  loop = weft__loop_or_current(loop);
  if (!loop || loop->closed)
    return -EINVAL;
  f = weft_malloc(sizeof(*f));
  if (!f)
    return -ENOMEM;
  weft__fut_init(&f->fut, loop, WEFT__KIND_FUTURE);
  weft__loop_obj_ref(loop);
  *out = f;
  return 0;
}

int weft_future_set_result(weft_future *f, void *result) {
  if (!future_ok(f) || f->fut.state != WEFT__FUT_PENDING)
    return -EINVAL;
  weft__fut_finish(&f->fut, WEFT__FUT_DONE, 0, NULL, result);
  return 0;
}

int weft_future_set_error(weft_future *f, int code, const char *fmt, ...) {
  va_list ap;
  char *msg = NULL;

  if (!future_ok(f) || f->fut.state != WEFT__FUT_PENDING || code >= 0)
    return -EINVAL;
  if (fmt) {
    va_start(ap, fmt);
    msg = weft__vformat(fmt, ap);
    va_end(ap);
  }
  weft__fut_finish(&f->fut, code == -ECANCELED ? WEFT__FUT_CANCELLED : WEFT__FUT_DONE, code, msg,
                   NULL);
  return 0;
}

int weft_future_cancel(weft_future *f) {
  if (!future_ok(f) || f->fut.state != WEFT__FUT_PENDING)
    return 0;
  weft__fut_finish(&f->fut, WEFT__FUT_CANCELLED, -ECANCELED, NULL, NULL);
  return 1;
}

int weft_future_done(const weft_future *f) {
  return future_ok(f) && f->fut.state != WEFT__FUT_PENDING;
}

int weft_future_cancelled(const weft_future *f) {
  return future_ok(f) && f->fut.state == WEFT__FUT_CANCELLED;
}

int weft_future_result(weft_future *f, void **result) {
  if (!future_ok(f))
    return -EINVAL;
  return weft__fut_outcome(&f->fut, result);
}

const char *weft_future_error(weft_future *f) {
  if (!future_ok(f))
    return NULL;
  f->fut.retrieved = 1;
  return f->fut.message;
}

int weft_future_await(weft_future *f, void **result) {
  weft_task *t = weft__current();
  int rc;

  if (!future_ok(f))
    return -EINVAL;
  if (!t)
    return -EPERM;
  if (f->fut.loop != t->fut.loop)
    return -EINVAL;
  rc = weft__fut_wait(&f->fut, "future");
  if (rc != 0)
    return rc;
  return weft__fut_outcome(&f->fut, result);
}

int weft_future_add_done_callback(weft_future *f, weft_future_done_fn cb, void *arg) {
  if (!future_ok(f) || !cb)
    return -EINVAL;
  return weft__fut_add_callback(&f->fut, (void (*)(void *, void *))(void (*)(void))cb, arg);
}

size_t weft_future_remove_done_callback(weft_future *f, weft_future_done_fn cb, void *arg) {
  if (!future_ok(f))
    return 0;
  return weft__fut_remove_callback(&f->fut, (void (*)(void *, void *))(void (*)(void))cb, arg);
}

weft_future *weft_future_retain(weft_future *f) {
  if (future_ok(f))
    f->fut.refs++;
  return f;
}

void weft_future_release(weft_future *f) {
  if (!f)
    return;
  if (!future_ok(f))
    weft__panic("weft: weft_future_release on something that is not a live future");
  if (--f->fut.refs > 0)
    return;
  if (f->fut.state == WEFT__FUT_DONE && f->fut.code != 0 && !f->fut.retrieved)
    fprintf(stderr, "weft: Future exception was never retrieved: %s (%s)\n",
            f->fut.message ? f->fut.message : weft_strerror(f->fut.code),
            weft_err_name(f->fut.code));
  weft__fut_clear(&f->fut);
  f->fut.magic = WEFT__MAGIC_DEAD;
  weft__loop_obj_unref(f->fut.loop);
  weft_free(f);
}
