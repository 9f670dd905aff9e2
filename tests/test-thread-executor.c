/* Executors: run_in_executor, to_thread, cancellation, shutdown. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "test.h"

static pthread_t loop_thread;

static void *on_worker(void *arg) {
  if (pthread_equal(pthread_self(), loop_thread))
    return NULL;
  return arg;
}

static void *to_thread_main(void *arg) {
  void *res = NULL;

  (void)arg;
  loop_thread = pthread_self();
  ASSERT_OK(weft_to_thread(on_worker, (void *)"ran", &res));
  ASSERT_STR_EQ("ran", res); /* ran, and not on the loop's thread */
  return NULL;
}

TEST_IMPL(executor_to_thread_runs_on_a_worker) {
  ASSERT_OK(weft_test_run(to_thread_main, NULL, NULL));
  return 0;
}

/* ---- a pool of 5 runs 10 blocking jobs in two waves ---------------- */

static atomic_int running, peak;

static void *blocking_fetch(void *arg) {
  int now = atomic_fetch_add(&running, 1) + 1;
  int p = atomic_load(&peak);

  while (now > p && !atomic_compare_exchange_weak(&peak, &p, now))
    ;
  usleep(100000);
  atomic_fetch_sub(&running, 1);
  return arg;
}

static void *fetch_task(void *arg) {
  void *res = NULL;
  int rc = weft_executor_run(arg, blocking_fetch, (void *)"page", &res, NULL);

  if (rc)
    return weft_fail(rc, "job failed");
  return res;
}

static void *pool_main(void *arg) {
  weft_executor *ex;
  weft_task *t[10];
  void *res[10];
  double t0 = weft_time();

  (void)arg;
  ASSERT_OK(weft_executor_new(&ex, 5));
  for (int i = 0; i < 10; i++)
    ASSERT_OK(weft_spawn(&t[i], fetch_task, ex, NULL));
  ASSERT_OK(weft_gather(t, 10, 0, res, NULL));
  for (int i = 0; i < 10; i++) {
    ASSERT_STR_EQ("page", res[i]);
    weft_task_release(t[i]);
  }
  ASSERT_GE(weft_time() - t0, 0.19); /* two waves of 0.1 s */
  ASSERT_EQ(5, atomic_load(&peak));
  ASSERT_EQ(5, weft_executor_threads(ex));
  weft_executor_free(ex);
  return NULL;
}

TEST_IMPL(executor_pool_limits_concurrency) {
  ASSERT_OK(weft_test_run(pool_main, NULL, NULL));
  return 0;
}

/* ---- errors ---------------------------------------------------------- */

static void *failing_job(void *arg) {
  (void)arg;
  return weft_fail(-EDOM, "math domain error in %s", "job");
}

static void *error_main(void *arg) {
  weft_future *f;

  (void)arg;
  ASSERT_EQ(-EDOM, weft_to_thread(failing_job, NULL, NULL));
  ASSERT_OK(weft_executor_submit(NULL, failing_job, NULL, NULL, &f));
  ASSERT_EQ(-EDOM, weft_future_await(f, NULL));
  ASSERT_STR_EQ("math domain error in job", weft_future_error(f));
  weft_future_release(f);
  return NULL;
}

TEST_IMPL(executor_job_error_code_and_message) {
  ASSERT_OK(weft_test_run(error_main, NULL, NULL));
  return 0;
}

/* ---- cancellation ---------------------------------------------------- */

static atomic_int gate_open, b_ran, freed;

static void *gated_job(void *arg) {
  while (!atomic_load(&gate_open))
    usleep(1000);
  return arg;
}

static void *flag_job(void *arg) {
  (void)arg;
  atomic_store(&b_ran, 1);
  return NULL;
}

static void count_free(void *result) {
  ASSERT_STR_EQ("result", result);
  atomic_fetch_add(&freed, 1);
}

static void *cancel_queued_main(void *arg) {
  weft_executor *ex;
  weft_future *a, *b;

  (void)arg;
  ASSERT_OK(weft_executor_new(&ex, 1));
  ASSERT_OK(weft_executor_submit(ex, gated_job, (void *)"a", NULL, &a));
  ASSERT_OK(weft_executor_submit(ex, flag_job, NULL, NULL, &b));
  ASSERT_EQ(1, weft_future_cancel(b)); /* not started: removed */
  ASSERT_OK(weft_yield());
  atomic_store(&gate_open, 1);
  ASSERT_OK(weft_future_await(a, NULL));
  weft_executor_free(ex);
  ASSERT_EQ(0, atomic_load(&b_ran));
  ASSERT(weft_future_cancelled(b));
  weft_future_release(a);
  weft_future_release(b);
  return NULL;
}

TEST_IMPL(executor_cancel_before_start_never_runs) {
  ASSERT_OK(weft_test_run(cancel_queued_main, NULL, NULL));
  return 0;
}

static void *impatient(void *arg) {
  weft_scope sc;
  weft_job_opts opts = {.result_free = count_free};
  int rc;

  (void)arg;
  ASSERT_OK(weft_timeout_enter(&sc, 0.02));
  rc = weft_executor_run(NULL, gated_job, (void *)"result", NULL, &opts);
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_EQ(-ETIMEDOUT, rc);
  atomic_store(&gate_open, 1);
  while (atomic_load(&freed) == 0) /* the job finishes; its result is freed */
    ASSERT_OK(weft_sleep(0.005));
  return NULL;
}

TEST_IMPL(executor_running_job_result_goes_to_result_free) {
  atomic_store(&gate_open, 0);
  ASSERT_OK(weft_test_run(impatient, NULL, NULL));
  ASSERT_EQ(1, atomic_load(&freed));
  return 0;
}

static void *shutdown_main(void *arg) {
  weft_executor *ex;
  weft_future *f = NULL;

  (void)arg;
  ASSERT_OK(weft_executor_new(&ex, 2));
  ASSERT_OK(weft_executor_shutdown(ex, 1, 0));
  ASSERT_EQ(-ESHUTDOWN, weft_executor_submit(ex, flag_job, NULL, NULL, &f));
  ASSERT_NULL(f);
  weft_executor_free(ex);
  return NULL;
}

TEST_IMPL(executor_submit_after_shutdown) {
  ASSERT_OK(weft_test_run(shutdown_main, NULL, NULL));
  ASSERT_EQ(-EPERM, weft_to_thread(flag_job, NULL, NULL)); /* no task */
  return 0;
}

/* ---- 10,000 jobs, random cancellations ------------------------------- */

enum { NJOBS = 10000 };
static atomic_int runs[NJOBS];
static atomic_int results_freed;

static void *counted_job(void *arg) {
  atomic_fetch_add(&runs[(intptr_t)arg], 1);
  return arg;
}

static void drop_result(void *result) {
  (void)result;
  atomic_fetch_add(&results_freed, 1);
}

static void *many_main(void *arg) {
  static weft_future *f[NJOBS];
  weft_job_opts opts = {.result_free = drop_result};
  weft_executor *ex;
  unsigned seed = 12345;
  int done = 0, cancelled = 0;

  (void)arg;
  ASSERT_OK(weft_executor_new(&ex, 4));
  for (intptr_t i = 0; i < NJOBS; i++) {
    ASSERT_OK(weft_executor_submit(ex, counted_job, (void *)i, &opts, &f[i]));
    seed = seed * 1103515245u + 12345u;
    if ((seed >> 16) % 3 == 0)
      weft_future_cancel(f[i]);
  }
  for (int i = 0; i < NJOBS; i++) {
    void *res = NULL;
    int rc = weft_future_await(f[i], &res);
    if (rc == 0) {
      ASSERT_EQ(i, (intptr_t)res);
      ASSERT_EQ(1, atomic_load(&runs[i]));
      done++;
    } else {
      ASSERT_EQ(-ECANCELED, rc);
      ASSERT_LE(atomic_load(&runs[i]), 1);
      cancelled++;
    }
    weft_future_release(f[i]);
  }
  weft_executor_free(ex);
  ASSERT_OK(weft_sleep(0.01)); /* deliver the last completions */
  ASSERT_EQ(NJOBS, done + cancelled);
  int ran_cancelled = 0;
  for (int i = 0; i < NJOBS; i++)
    ran_cancelled += atomic_load(&runs[i]);
  ran_cancelled -= done;
  /* a cancelled job that ran anyway had its result handed to result_free */
  ASSERT_EQ(ran_cancelled, atomic_load(&results_freed));
  return NULL;
}

TEST_IMPL(executor_ten_thousand_jobs_random_cancel) {
  ASSERT_OK(weft_test_run(many_main, NULL, NULL));
  return 0;
}
