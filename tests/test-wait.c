/* weft_wait: ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, timeouts. */
#include "tasks.h"

#define TICK 0.01

static void *all_main(void *arg) {
  static const long ms[] = {30, 10, -20};
  weft_task *t[3];
  int done[3] = {9, 9, 9};
  size_t ndone = 9;

  (void)arg;
  timers_ready();
  spawn_all(t, ms, 3);
  ASSERT_OK(weft_wait(t, 3, WEFT_ALL_COMPLETED, INFINITY, done, &ndone));
  ASSERT_EQ(3, ndone);
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ(1, done[i]);
    ASSERT_EQ(1, weft_task_done(t[i]));
  }
  ASSERT_EQ(-EDOM, weft_task_result(t[2], NULL)); /* wait reports no error itself */
  /* Outputs are optional; done tasks return at once. */
  ASSERT_OK(weft_wait(t, 3, WEFT_ALL_COMPLETED, 0, NULL, NULL));
  finish_all(t, 3);
  return NULL;
}

TEST_IMPL(wait_all_completed) {
  ASSERT_OK(weft_test_run(all_main, NULL, NULL));
  return 0;
}

static void *first_completed_main(void *arg) {
  static const long ms[] = {1000, 10, 1000};
  weft_task *t[3];
  int done[3] = {9, 9, 9};
  size_t ndone = 9;
  double t0 = weft_time();

  (void)arg;
  timers_ready();
  spawn_all(t, ms, 3);
  ASSERT_OK(weft_wait(t, 3, WEFT_FIRST_COMPLETED, INFINITY, done, &ndone));
  ASSERT(weft_time() - t0 < 0.5);
  ASSERT_EQ(1, ndone);
  ASSERT_EQ(0, done[0]);
  ASSERT_EQ(1, done[1]);
  ASSERT_EQ(0, done[2]);
  /* Not cancelled: still running. */
  ASSERT_EQ(0, weft_task_done(t[0]));
  ASSERT_EQ(0, weft_task_done(t[2]));
  /* With one already done it returns at once. */
  ASSERT_OK(weft_wait(t, 3, WEFT_FIRST_COMPLETED, INFINITY, done, &ndone));
  ASSERT_EQ(1, ndone);
  finish_all(t, 3);
  return NULL;
}

TEST_IMPL(wait_first_completed) {
  ASSERT_OK(weft_test_run(first_completed_main, NULL, NULL));
  return 0;
}

static void *first_exception_main(void *arg) {
  static const long ms[] = {10, -30, 1000};
  static const long ok_ms[] = {10, 20};
  weft_task *t[3];
  int done[3] = {9, 9, 9};
  size_t ndone = 9;
  double t0 = weft_time();

  (void)arg;
  timers_ready();
  spawn_all(t, ms, 3);
  ASSERT_OK(weft_wait(t, 3, WEFT_FIRST_EXCEPTION, INFINITY, done, &ndone));
  ASSERT(weft_time() - t0 >= 0.025);
  ASSERT(weft_time() - t0 < 0.5);
  ASSERT_EQ(2, ndone);
  ASSERT_EQ(1, done[0]);
  ASSERT_EQ(1, done[1]);
  ASSERT_EQ(0, done[2]);
  ASSERT_EQ(-EDOM, weft_task_result(t[1], NULL));
  finish_all(t, 3);

  /* No failure: it waits for all. */
  spawn_all(t, ok_ms, 2);
  ASSERT_OK(weft_wait(t, 2, WEFT_FIRST_EXCEPTION, INFINITY, done, &ndone));
  ASSERT_EQ(2, ndone);
  finish_all(t, 2);
  return NULL;
}

TEST_IMPL(wait_first_exception) {
  ASSERT_OK(weft_test_run(first_exception_main, NULL, NULL));
  return 0;
}

/* asyncio: a cancelled task is not an exception for FIRST_EXCEPTION. */
static void *first_exception_cancel_main(void *arg) {
  static const long ms[] = {1000, 30};
  weft_task *t[2];
  int done[2] = {9, 9};
  size_t ndone = 9;
  void *res = NULL;

  (void)arg;
  timers_ready();
  spawn_all(t, ms, 2);
  ASSERT_OK(weft_yield());
  weft_task_cancel(t[0]);
  ASSERT_OK(weft_wait(t, 2, WEFT_FIRST_EXCEPTION, INFINITY, done, &ndone));
  ASSERT_EQ(2, ndone);
  ASSERT_EQ(1, weft_task_cancelled(t[0]));
  ASSERT_OK(weft_task_result(t[1], &res));
  ASSERT_EQ(30, (long)res);
  finish_all(t, 2);
  return NULL;
}

TEST_IMPL(wait_first_exception_ignores_cancelled) {
  ASSERT_OK(weft_test_run(first_exception_cancel_main, NULL, NULL));
  return 0;
}

static void *timeout_main(void *arg) {
  static const long ms[] = {1000, 10, 1000};
  weft_task *t[3];
  int done[3] = {9, 9, 9};
  size_t ndone = 9;
  double t0 = weft_time();

  (void)arg;
  timers_ready();
  spawn_all(t, ms, 3);
  /* A timeout is not an error: pending tasks are reported, not cancelled. */
  ASSERT_OK(weft_wait(t, 3, WEFT_ALL_COMPLETED, 3 * TICK, done, &ndone));
  ASSERT(weft_time() - t0 >= 3 * TICK - 0.002);
  ASSERT(weft_time() - t0 < 0.5);
  ASSERT_EQ(1, ndone);
  ASSERT_EQ(0, done[0]);
  ASSERT_EQ(1, done[1]);
  ASSERT_EQ(0, done[2]);
  ASSERT_EQ(0, weft_task_done(t[0]));
  ASSERT_EQ(0, weft_task_done(t[2]));
  /* Timeout 0 only looks. */
  ASSERT_OK(weft_wait(t, 3, WEFT_FIRST_EXCEPTION, 0, done, &ndone));
  ASSERT_EQ(1, ndone);
  ASSERT_OK(weft_sleep(0.001)); /* the wait left no timer behind */
  finish_all(t, 3);
  return NULL;
}

TEST_IMPL(wait_timeout_returns_pending) {
  ASSERT_OK(weft_test_run(timeout_main, NULL, NULL));
  return 0;
}

typedef struct waiter_arg {
  weft_task **t;
  size_t n;
} waiter_arg;

static void *waiter(void *arg) {
  waiter_arg *wa = arg;

  return (void *)(long)weft_wait(wa->t, wa->n, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL);
}

static void *caller_cancelled_main(void *arg) {
  static const long ms[] = {1000, 1000};
  weft_task *t[2], *w;
  waiter_arg wa = {t, 2};
  void *res = NULL;
  weft_scope sc;

  (void)arg;
  timers_ready();
  spawn_all(t, ms, 2);
  ASSERT_OK(weft_spawn(&w, waiter, &wa, NULL));
  ASSERT_OK(weft_sleep(TICK));
  ASSERT_STR_EQ("wait", weft_task_waiting_on(w));
  weft_task_cancel(w);
  ASSERT_OK(weft_await(w, &res));
  ASSERT_EQ(-ECANCELED, (long)res);
  weft_task_release(w);
  /* wait never cancels the tasks. */
  ASSERT_EQ(0, weft_task_done(t[0]));
  ASSERT_EQ(0, weft_task_done(t[1]));
  /* The caller's own deadline. */
  ASSERT_OK(weft_timeout_enter(&sc, TICK));
  ASSERT_EQ(-ETIMEDOUT, weft_wait(t, 2, WEFT_FIRST_COMPLETED, 10, NULL, NULL));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_EQ(0, weft_task_done(t[0]));
  finish_all(t, 2);
  return NULL;
}

TEST_IMPL(wait_caller_cancelled_or_timed_out) {
  ASSERT_OK(weft_test_run(caller_cancelled_main, NULL, NULL));
  return 0;
}

static void *many_main(void *arg) {
  enum { N = 40 };
  weft_task *t[N];
  int done[N];
  size_t ndone = 0;

  (void)arg;
  timers_ready();
  for (long i = 0; i < N; i++)
    ASSERT_OK(weft_spawn(&t[i], sleeper, (void *)(long)(i == 7 ? 5 : 1000),
                         &(weft_spawn_opts){.stack_size = WEFT_STACK_MIN}));
  ASSERT_OK(weft_wait(t, N, WEFT_FIRST_COMPLETED, INFINITY, done, &ndone));
  ASSERT_EQ(1, ndone);
  ASSERT_EQ(1, done[7]);
  finish_all(t, N);
  return NULL;
}

TEST_IMPL(wait_many) {
  ASSERT_OK(weft_test_run(many_main, NULL, NULL));
  return 0;
}

static void *bad_args_main(void *arg) {
  weft_task *t[2];
  static const long ms[] = {1};

  (void)arg;
  timers_ready();
  spawn_all(t, ms, 1);
  ASSERT_EQ(-EINVAL, weft_wait(t, 0, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL));
  ASSERT_EQ(-EINVAL, weft_wait(t, 1, WEFT_ALL_COMPLETED, NAN, NULL, NULL));
  ASSERT_EQ(-EINVAL, weft_wait(t, 1, WEFT_ALL_COMPLETED, -1, NULL, NULL));
  ASSERT_EQ(-EINVAL, weft_wait(t, 1, (weft_return_when)7, INFINITY, NULL, NULL));
  ASSERT_EQ(-EINVAL, weft_wait(NULL, 1, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL));
  t[1] = weft_current_task();
  ASSERT_EQ(-EDEADLK, weft_wait(t, 2, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL));
  ASSERT_EQ(0, weft_task_done(t[0]));
  finish_all(t, 1);
  return NULL;
}

TEST_IMPL(wait_bad_arguments) {
  weft_task *t = NULL;

  ASSERT_EQ(-EINVAL, weft_wait(&t, 0, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL));
  ASSERT_OK(weft_test_run(bad_args_main, NULL, NULL));
  return 0;
}
