/*
 * weft thread layer: executors (ThreadPoolExecutor, run_in_executor,
 * asyncio.to_thread).
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

#ifdef __cplusplus
}
#endif
#endif /* WEFT_THREAD_H */
