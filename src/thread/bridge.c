/*
 * Thread bridges: run_coroutine_threadsafe (a task on a loop, awaited by a
 * plain thread) and one loop per thread (weft_run_threads).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "thread/internal.h"
#include "weft/thread.h"

struct weft_tsfuture {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  atomic_int refs;
  int done;
  int cancel_requested;
  int code;
  void *result;
  char *message;
  weft_loop *loop;
  weft_task_fn fn;
  void *arg;
  weft_task *task;      /* loop thread only */
  weft__ts_node spawn;  /* posts spawn_cb */
  weft__ts_node cancel; /* posts cancel_cb */
};

static void tsf_unref(weft_tsfuture *f) {
  if (atomic_fetch_sub(&f->refs, 1) != 1)
    return;
  pthread_mutex_destroy(&f->lock);
  pthread_cond_destroy(&f->cond);
  weft_free(f->message);
  weft_free(f);
}

/* On the loop thread: record the outcome and wake the waiting threads. */
static void tsf_complete(weft_tsfuture *f, int code, void *result, const char *message) {
  char *msg = message ? weft_strdup(message) : NULL;

  pthread_mutex_lock(&f->lock);
  f->done = 1;
  f->code = code;
  f->result = result;
  f->message = msg;
  pthread_cond_broadcast(&f->cond);
  pthread_mutex_unlock(&f->lock);
}

static void task_done_cb(weft_task *t, void *arg) {
  weft_tsfuture *f = arg;
  void *result = NULL;
  int code = weft_task_result(t, &result);

  tsf_complete(f, code, result, code ? weft_task_error(t) : NULL);
  f->task = NULL;
  weft_task_release(t);
  tsf_unref(f);
}

static void spawn_cb(void *arg) {
  weft_tsfuture *f = arg;
  int cancelled, rc;

  pthread_mutex_lock(&f->lock);
  cancelled = f->cancel_requested;
  pthread_mutex_unlock(&f->lock);
  if (cancelled) {
    tsf_complete(f, -ECANCELED, NULL, NULL);
    tsf_unref(f);
    return;
  }
  rc = weft_spawn(&f->task, f->fn, f->arg, &(weft_spawn_opts){.loop = f->loop});
  if (rc == 0 && (rc = weft_task_add_done_callback(f->task, task_done_cb, f)) != 0) {
    weft_task_cancel(f->task);
    weft_task_release(f->task);
    f->task = NULL;
  }
  if (rc) {
    tsf_complete(f, rc, NULL, NULL);
    tsf_unref(f);
  }
}

int weft_run_threadsafe(weft_loop *loop, weft_task_fn fn, void *arg, weft_tsfuture **out) {
  weft_tsfuture *f;

  if (!loop || !fn || !out)
    return -EINVAL;
  f = weft_calloc(1, sizeof(*f));
  if (!f)
    return -ENOMEM;
  pthread_mutex_init(&f->lock, NULL);
  pthread_cond_init(&f->cond, NULL);
  atomic_init(&f->refs, 2); /* the caller, and the loop side until done */
  f->loop = loop;
  f->fn = fn;
  f->arg = arg;
  f->spawn.cb = spawn_cb;
  f->spawn.arg = f;
  if (weft__post_threadsafe(loop, &f->spawn) != 0) {
    atomic_store(&f->refs, 1);
    tsf_unref(f);
    return -EINVAL;
  }
  *out = f;
  return 0;
}

static void cancel_cb(void *arg) {
  weft_tsfuture *f = arg;

  if (f->task)
    weft_task_cancel(f->task);
  tsf_unref(f);
}

int weft_tsfuture_cancel(weft_tsfuture *f) {
  int first;

  pthread_mutex_lock(&f->lock);
  if (f->done) {
    pthread_mutex_unlock(&f->lock);
    return 0;
  }
  first = !f->cancel_requested;
  f->cancel_requested = 1;
  pthread_mutex_unlock(&f->lock);
  if (first) {
    atomic_fetch_add(&f->refs, 1);
    f->cancel.cb = cancel_cb;
    f->cancel.arg = f;
    if (weft__post_threadsafe(f->loop, &f->cancel) != 0)
      tsf_unref(f);
  }
  return 1;
}

int weft_tsfuture_wait(weft_tsfuture *f, double timeout, void **result) {
  struct timespec ts;
  int rc = 0;

  if (!f || weft__thread_deadline(timeout, &ts) != 0)
    return -EINVAL;
  pthread_mutex_lock(&f->lock);
  while (!f->done && rc == 0)
    rc = weft__thread_wait(&f->cond, &f->lock, timeout, &ts);
  if (f->done) {
    rc = f->code;
    if (rc == 0 && result)
      *result = f->result;
  } else {
    rc = -ETIMEDOUT;
  }
  pthread_mutex_unlock(&f->lock);
  return rc;
}

int weft_tsfuture_done(weft_tsfuture *f) {
  int done;

  pthread_mutex_lock(&f->lock);
  done = f->done;
  pthread_mutex_unlock(&f->lock);
  return done;
}

const char *weft_tsfuture_error(weft_tsfuture *f) {
  const char *msg;

  pthread_mutex_lock(&f->lock);
  msg = f->done ? f->message : NULL;
  pthread_mutex_unlock(&f->lock);
  return msg;
}

void weft_tsfuture_release(weft_tsfuture *f) {
  if (f)
    tsf_unref(f);
}

/* ---- one loop per thread -------------------------------------------- */

typedef struct loop_thread {
  pthread_t thread;
  size_t index;
  weft_thread_main fn;
  void *arg;
  void *result;
  int code;
  int started;
} loop_thread;

static void *loop_thread_task(void *arg) {
  loop_thread *lt = arg;

  return lt->fn(lt->index, lt->arg);
}

static void *loop_thread_main(void *arg) {
  loop_thread *lt = arg;

  lt->code = weft_run(loop_thread_task, lt, &lt->result);
  return NULL;
}

int weft_run_threads(size_t n, weft_thread_main fn, void *arg, void **results, int *codes) {
  loop_thread *lts;
  int rc = 0;

  if (n == 0 || !fn)
    return -EINVAL;
  lts = weft_calloc(n, sizeof(*lts));
  if (!lts)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    lts[i] = (loop_thread){.index = i, .fn = fn, .arg = arg, .code = -ECANCELED};
    int err = pthread_create(&lts[i].thread, NULL, loop_thread_main, &lts[i]);
    if (err && !rc)
      rc = -err;
    lts[i].started = err == 0;
  }
  for (size_t i = 0; i < n; i++) {
    if (lts[i].started)
      pthread_join(lts[i].thread, NULL);
    if (results)
      results[i] = lts[i].result;
    if (codes)
      codes[i] = lts[i].code;
  }
  weft_free(lts);
  return rc;
}
