/*
 * Executors: a pool of worker threads fed from one FIFO queue. A submitted
 * job completes a future on its loop through weft_call_soon_threadsafe.
 *
 * Ownership: a job is referenced by the queue (or the worker running it)
 * until job_complete runs on the loop thread, which completes the future and
 * frees the job. Jobs keep their executor's memory alive (refs), so a late
 * cancellation never touches a freed executor.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "core/internal.h"
#include "weft/thread.h"

enum { JOB_QUEUED, JOB_RUNNING, JOB_REMOVED };

typedef struct job {
  weft__list link;
  weft_executor *ex;
  weft_job_fn fn;
  void *arg;
  void (*result_free)(void *);
  weft_loop *loop;
  weft_future *fut;
  int state; /* under ex->lock */
  void *result;
  weft__fail_sink fail;
  weft__ts_node done; /* posts job_complete to the loop; cannot fail */
} job;

struct weft_executor {
  pthread_mutex_t lock;
  atomic_size_t queued; /* jobs in the queue, read without the lock */
  atomic_int spinners;  /* workers spinning for the next job */
  int can_spin;
  pthread_cond_t cond;
  weft__list queue;
  pthread_t *threads;
  size_t max_workers, nthreads;
  size_t idle;     /* workers waiting for a job */
  size_t signaled; /* of those, already woken for a new job */
  int shutdown;
  int joined;
  atomic_size_t refs;
};

static void executor_unref(weft_executor *ex) {
  if (atomic_fetch_sub(&ex->refs, 1) != 1)
    return;
  pthread_mutex_destroy(&ex->lock);
  pthread_cond_destroy(&ex->cond);
  weft_free(ex->threads);
  weft_free(ex);
}

static size_t default_workers(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);

  if (cores < 1)
    cores = 1;
  return cores + 4 < 32 ? (size_t)cores + 4 : 32;
}

int weft_executor_new(weft_executor **out, size_t max_workers) {
  weft_executor *ex = weft_calloc(1, sizeof(*ex));

  if (!ex)
    return -ENOMEM;
  ex->max_workers = max_workers ? max_workers : default_workers();
  ex->threads = weft_calloc(ex->max_workers, sizeof(*ex->threads));
  if (!ex->threads) {
    weft_free(ex);
    return -ENOMEM;
  }
  pthread_mutex_init(&ex->lock, NULL);
  ex->can_spin = weft__can_spin();
  pthread_cond_init(&ex->cond, NULL);
  weft__list_init(&ex->queue);
  atomic_init(&ex->refs, 1);
  *out = ex;
  return 0;
}

/* ---- completion (loop thread) --------------------------------------- */

static void job_fut_done(weft_future *f, void *arg);

static void job_free(job *j) {
  j->loop->ts_expected--; /* on the loop thread */
  weft_free(j->fail.message);
  weft_future_release(j->fut);
  executor_unref(j->ex);
  weft_free(j);
}

static void job_complete(void *arg) {
  job *j = arg;

  weft_future_remove_done_callback(j->fut, job_fut_done, j);
  if (weft_future_done(j->fut)) { /* the awaiter gave up: keep nothing */
    if (!j->fail.failed && j->result_free)
      j->result_free(j->result);
  } else if (j->fail.failed) {
    if (j->fail.message)
      weft_future_set_error(j->fut, j->fail.code, "%s", j->fail.message);
    else
      weft_future_set_error(j->fut, j->fail.code, NULL);
  } else {
    weft_future_set_result(j->fut, j->result);
  }
  job_free(j);
}

/* The future was cancelled: a job still queued is removed and never runs. */
static void job_fut_done(weft_future *f, void *arg) {
  job *j = arg;
  int removed = 0;

  if (!weft_future_cancelled(f))
    return;
  pthread_mutex_lock(&j->ex->lock);
  if (j->state == JOB_QUEUED) {
    weft__list_remove(&j->link);
    atomic_fetch_sub(&j->ex->queued, 1);
    j->state = JOB_REMOVED;
    removed = 1;
  }
  pthread_mutex_unlock(&j->ex->lock);
  if (removed)
    job_free(j);
}

/* ---- workers -------------------------------------------------------- */

static void job_run(job *j) {
  weft__fail_sink *old = weft__set_fail_sink(&j->fail);

  j->result = j->fn(j->arg);
  weft__set_fail_sink(old);
  j->done.cb = job_complete;
  j->done.arg = j;
  if (weft__post_threadsafe(j->loop, &j->done) != 0) {
    /* The loop is gone: nobody can take the result. */
    if (!j->fail.failed && j->result_free)
      j->result_free(j->result);
  }
}

/* After a job, look for the next one a little while before sleeping: a
 * condition-variable wake-up costs several microseconds. */
#define WORKER_SPIN_NS 50000

static void worker_spin(weft_executor *ex) {
  uint64_t start = weft__now();

  atomic_fetch_add(&ex->spinners, 1);
  for (unsigned i = 1; !atomic_load(&ex->queued); i++) {
    if ((i & 63) == 0 && weft__now() - start > WORKER_SPIN_NS)
      break;
    WEFT__CPU_RELAX();
  }
  atomic_fetch_sub(&ex->spinners, 1);
}

static void *worker_main(void *arg) {
  weft_executor *ex = arg;

  pthread_mutex_lock(&ex->lock);
  for (;;) {
    if (weft__list_empty(&ex->queue) && !ex->shutdown && ex->can_spin) {
      pthread_mutex_unlock(&ex->lock);
      worker_spin(ex);
      pthread_mutex_lock(&ex->lock);
    }
    while (weft__list_empty(&ex->queue) && !ex->shutdown) {
      ex->idle++;
      pthread_cond_wait(&ex->cond, &ex->lock);
      ex->idle--;
      if (ex->signaled > 0)
        ex->signaled--;
    }
    if (weft__list_empty(&ex->queue))
      break;
    job *j = weft__container_of(ex->queue.next, job, link);
    weft__list_remove(&j->link);
    atomic_fetch_sub(&ex->queued, 1);
    j->state = JOB_RUNNING;
    pthread_mutex_unlock(&ex->lock);
    job_run(j);
    pthread_mutex_lock(&ex->lock);
  }
  pthread_mutex_unlock(&ex->lock);
  return NULL;
}

/* Under ex->lock, with the job queued: wake an idle worker not woken yet,
 * or start a new one (ThreadPoolExecutor's rule). */
static int executor_kick(weft_executor *ex) {
  int rc;

  if (atomic_load(&ex->spinners) > 0)
    return 0; /* a spinning worker will take it */
  if (ex->idle > ex->signaled || ex->nthreads == ex->max_workers) {
    if (ex->idle > ex->signaled)
      ex->signaled++;
    pthread_cond_signal(&ex->cond);
    return 0;
  }
  rc = pthread_create(&ex->threads[ex->nthreads], NULL, worker_main, ex);
  if (rc != 0)
    return ex->nthreads > 0 ? 0 : -rc; /* the running workers will get to it */
  ex->nthreads++;
  return 0;
}

/* ---- submitting ----------------------------------------------------- */

static void default_shutdown(weft_loop *loop);

static int default_executor(weft_loop *loop, weft_executor **out) {
  int rc;

  if (!loop->default_executor) {
    if ((rc = weft_executor_new((weft_executor **)&loop->default_executor, 0)) != 0)
      return rc;
    loop->default_executor_shutdown = default_shutdown;
  }
  *out = loop->default_executor;
  return 0;
}

static int job_new(weft_executor *ex, weft_loop *loop, weft_job_fn fn, void *arg,
                   const weft_job_opts *opts, job **out) {
  job *j = weft_calloc(1, sizeof(*j));
  int rc;

  if (!j)
    return -ENOMEM;
  if ((rc = weft_future_new(&j->fut, loop)) != 0 ||
      (rc = weft_future_add_done_callback(j->fut, job_fut_done, j)) != 0) {
    weft_future_release(j->fut);
    weft_free(j);
    return rc;
  }
  j->ex = ex;
  j->fn = fn;
  j->arg = arg;
  j->loop = loop;
  j->result_free = opts ? opts->result_free : NULL;
  atomic_fetch_add(&ex->refs, 1);
  loop->ts_expected++; /* its completion will be posted back */
  *out = j;
  return 0;
}

int weft_executor_submit(weft_executor *ex, weft_job_fn fn, void *arg, const weft_job_opts *opts,
                         weft_future **out) {
  weft_loop *loop = weft_loop_current();
  job *j;
  int rc;

  if (!loop || loop->closed || !fn || !out)
    return -EINVAL;
  if (!ex && (rc = default_executor(loop, &ex)) != 0)
    return rc;
  if ((rc = job_new(ex, loop, fn, arg, opts, &j)) != 0)
    return rc;
  pthread_mutex_lock(&ex->lock);
  rc = -ESHUTDOWN;
  if (!ex->shutdown) {
    weft__list_insert_tail(&ex->queue, &j->link);
    atomic_fetch_add(&ex->queued, 1);
    if ((rc = executor_kick(ex)) != 0) {
      weft__list_remove(&j->link);
      atomic_fetch_sub(&ex->queued, 1);
    }
  }
  pthread_mutex_unlock(&ex->lock);
  if (rc) {
    weft_future_remove_done_callback(j->fut, job_fut_done, j);
    job_free(j);
    return rc;
  }
  *out = weft_future_retain(j->fut);
  return 0;
}

int weft_executor_run(weft_executor *ex, weft_job_fn fn, void *arg, void **result,
                      const weft_job_opts *opts) {
  weft_future *f;
  int rc;

  if (!weft_current_task())
    return -EPERM;
  if ((rc = weft_executor_submit(ex, fn, arg, opts, &f)) != 0)
    return rc;
  rc = weft_future_await(f, result);
  if (!weft_future_done(f))
    weft_future_cancel(f); /* the caller was interrupted */
  weft_future_release(f);
  return rc;
}

int weft_to_thread(weft_job_fn fn, void *arg, void **result) {
  return weft_executor_run(NULL, fn, arg, result, NULL);
}

/* ---- shutting down -------------------------------------------------- */

static void cancel_queued(weft_executor *ex, weft__list *out) {
  while (!weft__list_empty(&ex->queue)) {
    job *j = weft__container_of(ex->queue.next, job, link);
    weft__list_remove(&j->link);
    atomic_fetch_sub(&ex->queued, 1);
    j->state = JOB_REMOVED;
    weft__list_insert_tail(out, &j->link);
  }
}

int weft_executor_shutdown(weft_executor *ex, int wait, int cancel_pending) {
  weft__list removed;
  size_t n;

  if (!ex)
    return -EINVAL;
  weft__list_init(&removed);
  pthread_mutex_lock(&ex->lock);
  ex->shutdown = 1;
  if (cancel_pending)
    cancel_queued(ex, &removed);
  pthread_cond_broadcast(&ex->cond);
  n = ex->nthreads;
  pthread_mutex_unlock(&ex->lock);
  /* Removed jobs never ran: their futures are cancelled (on this thread,
   * which must be their loop's). */
  while (!weft__list_empty(&removed)) {
    job *j = weft__container_of(removed.next, job, link);
    weft__list_remove(&j->link);
    weft_future_remove_done_callback(j->fut, job_fut_done, j);
    weft_future_cancel(j->fut);
    job_free(j);
  }
  if (wait && !ex->joined) {
    for (size_t i = 0; i < n; i++)
      pthread_join(ex->threads[i], NULL);
    ex->joined = 1;
  }
  return 0;
}

void weft_executor_free(weft_executor *ex) {
  if (!ex)
    return;
  weft_executor_shutdown(ex, 1, 0);
  executor_unref(ex);
}

size_t weft_executor_threads(const weft_executor *ex) {
  return ex ? ex->nthreads : 0;
}

/* weft_run and weft_loop_close: stop the default executor, wait for its
 * threads, and deliver what they finished. */
static void default_shutdown(weft_loop *loop) {
  weft_executor *ex = loop->default_executor;

  if (!ex)
    return;
  weft_executor_shutdown(ex, 1, 1);
  weft__loop_flush_threadsafe(loop);
  loop->default_executor = NULL;
  loop->default_executor_shutdown = NULL;
  executor_unref(ex);
}
