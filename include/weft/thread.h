/*
 * weft thread layer: executors (ThreadPoolExecutor, run_in_executor,
 * asyncio.to_thread), thread bridges (run_coroutine_threadsafe, one loop
 * per thread) and a janus-style queue between threads and tasks.
 *
 * A job is a plain function run on a worker thread. It returns a result, or
 * fails with `return weft_fail(code, fmt, ...)` exactly as a task does. It
 * must not call weft suspension points (there is no task on a worker).
 */
#ifndef WEFT_THREAD_H
#define WEFT_THREAD_H

#include "weft/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_executor weft_executor;
typedef void *(*weft_job_fn)(void *arg);

typedef struct weft_job_opts {
  /* Called on the loop thread with the result of a job that finished after
   * its awaiter gave up (cancelled, timed out), so the result is not lost. */
  void (*result_free)(void *result);
} weft_job_opts;

/*
 * ThreadPoolExecutor(max_workers). 0 workers means min(32, cores + 4).
 * Threads start on demand, up to max_workers. Returns 0, -ENOMEM, or a
 * pthread error as a negative errno.
 */
int weft_executor_new(weft_executor **out, size_t max_workers);

/*
 * run_in_executor: submit fn(arg) and return a future (on the current loop)
 * that completes with its result, its error (code and message) or
 * cancellation. Cancelling the future before the job starts removes the
 * job: it never runs. ex NULL means the loop's default executor.
 * Returns 0, -ESHUTDOWN (executor shut down), -EINVAL (no loop), -ENOMEM.
 */
int weft_executor_submit(weft_executor *ex, weft_job_fn fn, void *arg, const weft_job_opts *opts,
                         weft_future **out);

/*
 * Submit and await in one call: the calling task suspends until the job has
 * run. Returns 0 and *result, the job's error code, -ECANCELED/-ETIMEDOUT
 * when the caller is interrupted (a job not started yet is then removed; a
 * running one finishes and its result goes to opts->result_free), -ESHUTDOWN,
 * -EPERM outside a task, -ENOMEM.
 */
int weft_executor_run(weft_executor *ex, weft_job_fn fn, void *arg, void **result,
                      const weft_job_opts *opts);

/* asyncio.to_thread: weft_executor_run on the default executor. */
int weft_to_thread(weft_job_fn fn, void *arg, void **result);

/*
 * Stop accepting jobs. cancel_pending: jobs not started are removed and
 * their futures cancelled. wait: block until the running jobs are done and
 * the threads have exited (from the loop thread, their futures complete the
 * next time the loop runs). Idempotent. Returns 0.
 */
int weft_executor_shutdown(weft_executor *ex, int wait, int cancel_pending);

/* Shut down (wait, cancelling nothing) and free. */
void weft_executor_free(weft_executor *ex);

/* The number of worker threads running now. */
size_t weft_executor_threads(const weft_executor *ex);

/* ------------------------------------------------------------------ */
/* Thread bridges                                                      */
/* ------------------------------------------------------------------ */

/* A future for plain threads: the outcome of a task run on some loop. */
typedef struct weft_tsfuture weft_tsfuture;

/*
 * asyncio.run_coroutine_threadsafe: from any thread, spawn fn(arg) as a task
 * on loop (which must be running, or run later). *out is a reference the
 * caller releases. Returns 0, -ENOMEM, -EINVAL (loop closed or NULL).
 */
int weft_run_threadsafe(weft_loop *loop, weft_task_fn fn, void *arg, weft_tsfuture **out);
/*
 * Block the calling thread until the task is done or timeout seconds pass
 * (INFINITY: no limit). Returns the task's code (0 and *result, its error,
 * -ECANCELED), -ETIMEDOUT, or -EINVAL for a NaN/negative timeout. Do not
 * call it from a task of the same loop (it would block that loop).
 */
int weft_tsfuture_wait(weft_tsfuture *f, double timeout, void **result);
/* Cancel the task (from any thread). 1 if it was not done yet, else 0. */
int weft_tsfuture_cancel(weft_tsfuture *f);
int weft_tsfuture_done(weft_tsfuture *f);
/* The task's error message once done (NULL if none); valid while f is. */
const char *weft_tsfuture_error(weft_tsfuture *f);
void weft_tsfuture_release(weft_tsfuture *f);

/* ------------------------------------------------------------------ */
/* One loop per thread                                                 */
/* ------------------------------------------------------------------ */

typedef void *(*weft_thread_main)(size_t index, void *arg);

/*
 * Start n threads, each running its own loop with fn(index, arg) as its main
 * task (weft_run), and wait for all of them. results[i] and codes[i] (either
 * may be NULL) get each main task's result and code. Loops reach each other
 * with weft_call_soon_threadsafe, weft_run_threadsafe and weft_tsqueue (each
 * thread finds its own loop with weft_loop_current()). Returns 0, -EINVAL
 * (n == 0), or the error of a thread that could not be started (the others
 * are still waited for).
 */
int weft_run_threads(size_t n, weft_thread_main fn, void *arg, void **results, int *codes);

/* ------------------------------------------------------------------ */
/* janus: a queue with a blocking side for threads and an awaitable    */
/* side for tasks (of any loop)                                        */
/* ------------------------------------------------------------------ */

typedef struct weft_tsqueue weft_tsqueue;

/* FIFO queue of void * items; maxsize 0 = unbounded. 0, -ENOMEM. */
int weft_tsqueue_new(weft_tsqueue **out, size_t maxsize);
/* Free a queue nobody waits on any more (close it first). Items still in
 * it are handed to drop (if not NULL). */
void weft_tsqueue_free(weft_tsqueue *q, void (*drop)(void *item, void *arg), void *arg);

/* Thread side: block the calling thread, at most timeout seconds
 * (INFINITY: no limit). 0, -ETIMEDOUT, -ESHUTDOWN (closed; get returns it
 * once the queue is empty), -ENOMEM (unbounded queue cannot grow), -EINVAL
 * (NaN/negative timeout). */
int weft_tsqueue_sync_put(weft_tsqueue *q, void *item, double timeout);
int weft_tsqueue_sync_get(weft_tsqueue *q, void **item, double timeout);
int weft_tsqueue_sync_join(weft_tsqueue *q, double timeout);

/* Task side: suspension points. 0, -ESHUTDOWN, -ENOMEM, -ECANCELED,
 * -ETIMEDOUT (timeout scope), -EPERM outside a task. An item handed to a
 * getter that is cancelled at that moment is still returned (0): nothing is
 * lost or duplicated. */
int weft_tsqueue_put(weft_tsqueue *q, void *item);
int weft_tsqueue_get(weft_tsqueue *q, void **item);
int weft_tsqueue_join(weft_tsqueue *q);

/* Either side, never blocking: 0, -EAGAIN (full / empty), -ESHUTDOWN. */
int weft_tsqueue_put_nowait(weft_tsqueue *q, void *item);
int weft_tsqueue_get_nowait(weft_tsqueue *q, void **item);
/* One item processed; -EINVAL if called more times than items were put. */
int weft_tsqueue_task_done(weft_tsqueue *q);
size_t weft_tsqueue_qsize(weft_tsqueue *q);
/* Refuse new items and wake every waiter: blocked puts return -ESHUTDOWN,
 * gets drain what is left and then return -ESHUTDOWN. */
void weft_tsqueue_close(weft_tsqueue *q);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_THREAD_H */
