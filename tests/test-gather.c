/* weft_gather: results in order, failures, cancellation. */
#include "test.h"

#define TICK 0.01

/* arg: (ms << 8) | value. Sleeps ms milliseconds, returns value. */
static void *sleep_value(void *arg) {
  long a = (long)arg;
  int rc = weft_sleep((double)(a >> 8) / 1000);

  if (rc)
    return weft_fail(rc, "interrupted");
  return (void *)(a & 0xff);
}

#define SV(ms, v) ((void *)(long)(((ms) << 8) | (v)))

static void *div_zero(void *arg) {
  int rc = weft_sleep((double)(long)arg / 1000);

  if (rc)
    return weft_fail(rc, "interrupted");
  return weft_fail(-EDOM, "division by zero");
}

static void *order_main(void *arg) {
  weft_task *t[3];
  void *results[4] = {0};
  int errors[3] = {9, 9, 9};

  (void)arg;
  ASSERT_OK(weft_spawn(&t[0], sleep_value, SV(30, 1), NULL));
  ASSERT_OK(weft_spawn(&t[1], sleep_value, SV(10, 2), NULL));
  ASSERT_OK(weft_spawn(&t[2], sleep_value, SV(20, 3), NULL));
  ASSERT_OK(weft_gather(t, 3, 0, results, errors));
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ(i + 1, (long)results[i]);
    ASSERT_EQ(0, errors[i]);
    ASSERT_EQ(1, weft_task_done(t[i]));
  }
  /* Done tasks, gathered again, the same task twice, no output arrays. */
  weft_task *again[4] = {t[2], t[0], t[2], t[1]};
  ASSERT_OK(weft_gather(again, 4, 0, results, NULL));
  ASSERT_EQ(3, (long)results[0]);
  ASSERT_EQ(1, (long)results[1]);
  ASSERT_EQ(3, (long)results[2]);
  ASSERT_EQ(2, (long)results[3]);
  ASSERT_OK(weft_gather(t, 3, WEFT_RETURN_EXCEPTIONS, NULL, NULL));
  for (int i = 0; i < 3; i++)
    weft_task_release(t[i]);
  return NULL;
}

TEST_IMPL(gather_results_in_order) {
  ASSERT_OK(weft_test_run(order_main, NULL, NULL));
  return 0;
}

static void *empty_main(void *arg) {
  (void)arg;
  ASSERT_OK(weft_gather(NULL, 0, 0, NULL, NULL));
  ASSERT_OK(weft_gather(NULL, 0, WEFT_RETURN_EXCEPTIONS, NULL, NULL));
  ASSERT_OK(weft_sleep(0.001));
  return NULL;
}

TEST_IMPL(gather_empty) {
  ASSERT_OK(weft_test_run(empty_main, NULL, NULL));
  return 0;
}

static void *first_failure_main(void *arg) {
  weft_task *t[3];
  void *res = NULL;
  double t0 = weft_time();

  (void)arg;
  ASSERT_OK(weft_spawn(&t[0], sleep_value, SV(60, 1), NULL));
  ASSERT_OK(weft_spawn(&t[1], div_zero, (void *)10, NULL));
  ASSERT_OK(weft_spawn(&t[2], sleep_value, SV(60, 3), NULL));
  ASSERT_EQ(-EDOM, weft_gather(t, 3, 0, NULL, NULL));
  ASSERT(weft_time() - t0 < 0.05); /* at once, not after the others */
  ASSERT_STR_EQ("division by zero", weft_task_error(t[1]));
  /* The others keep running. */
  ASSERT_EQ(0, weft_task_done(t[0]));
  ASSERT_EQ(0, weft_task_done(t[2]));
  ASSERT_OK(weft_await(t[0], &res));
  ASSERT_EQ(1, (long)res);
  ASSERT_OK(weft_await(t[2], &res));
  ASSERT_EQ(3, (long)res);
  /* A failure already there is returned without waiting. */
  ASSERT_EQ(-EDOM, weft_gather(t, 3, 0, NULL, NULL));
  for (int i = 0; i < 3; i++)
    weft_task_release(t[i]);
  return NULL;
}

TEST_IMPL(gather_first_failure_returned_at_once) {
  ASSERT_OK(weft_test_run(first_failure_main, NULL, NULL));
  return 0;
}

/* The seed: gather(return_exceptions=True) of a value, ZeroDivisionError
 * and CancelledError. */
static void *ret_exc_main(void *arg) {
  weft_task *t[3];
  void *results[3] = {(void *)9, (void *)9, (void *)9};
  int errors[3] = {9, 9, 9};

  (void)arg;
  ASSERT_OK(weft_spawn(&t[0], sleep_value, SV(20, 1), NULL));
  ASSERT_OK(weft_spawn(&t[1], div_zero, (void *)5, NULL));
  ASSERT_OK(weft_spawn(&t[2], sleep_value, SV(1000, 3), NULL));
  ASSERT_OK(weft_yield());
  weft_task_cancel(t[2]);
  ASSERT_OK(weft_gather(t, 3, WEFT_RETURN_EXCEPTIONS, results, errors));
  ASSERT_EQ(0, errors[0]);
  ASSERT_EQ(-EDOM, errors[1]);
  ASSERT_EQ(-ECANCELED, errors[2]);
  ASSERT_EQ(1, (long)results[0]);
  ASSERT_NULL(results[1]);
  ASSERT_NULL(results[2]);
  ASSERT_STR_EQ("division by zero", weft_task_error(t[1]));
  for (int i = 0; i < 3; i++)
    weft_task_release(t[i]);
  return NULL;
}

TEST_IMPL(gather_return_exceptions) {
  ASSERT_OK(weft_test_run(ret_exc_main, NULL, NULL));
  return 0;
}

static void *cancelled_child_main(void *arg) {
  weft_task *t[2];

  (void)arg;
  ASSERT_OK(weft_spawn(&t[0], sleep_value, SV(1000, 1), NULL));
  ASSERT_OK(weft_spawn(&t[1], sleep_value, SV(20, 2), NULL));
  ASSERT_OK(weft_yield());
  weft_task_cancel(t[0]);
  /* Without WEFT_RETURN_EXCEPTIONS a cancelled child fails the gather. */
  ASSERT_EQ(-ECANCELED, weft_gather(t, 2, 0, NULL, NULL));
  ASSERT_OK(weft_sleep(0.001)); /* the gatherer itself is not cancelled */
  ASSERT_OK(weft_await(t[1], NULL));
  weft_task_release(t[0]);
  weft_task_release(t[1]);
  return NULL;
}

TEST_IMPL(gather_cancelled_child) {
  ASSERT_OK(weft_test_run(cancelled_child_main, NULL, NULL));
  return 0;
}

typedef struct gatherer_arg {
  weft_task **t;
  size_t n;
} gatherer_arg;

static void *gatherer(void *arg) {
  gatherer_arg *ga = arg;

  return (void *)(long)weft_gather(ga->t, ga->n, WEFT_RETURN_EXCEPTIONS, NULL, NULL);
}

static void *cancel_gather_main(void *arg) {
  weft_task *t[3], *g;
  gatherer_arg ga = {t, 3};
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_spawn(&t[0], sleep_value, SV(1000, 1), NULL));
  ASSERT_OK(weft_spawn(&t[1], sleep_value, SV(5, 2), NULL));
  ASSERT_OK(weft_spawn(&t[2], sleep_value, SV(1000, 3), NULL));
  ASSERT_OK(weft_spawn(&g, gatherer, &ga, NULL));
  ASSERT_OK(weft_sleep(2 * TICK));
  ASSERT_STR_EQ("gather", weft_task_waiting_on(g));
  weft_task_cancel(g);
  ASSERT_OK(weft_await(g, &res));
  ASSERT_EQ(-ECANCELED, (long)res);
  /* The unfinished children were cancelled; the finished one kept its value. */
  ASSERT_EQ(-ECANCELED, weft_await(t[0], NULL));
  ASSERT_OK(weft_await(t[1], &res));
  ASSERT_EQ(2, (long)res);
  ASSERT_EQ(-ECANCELED, weft_await(t[2], NULL));
  for (int i = 0; i < 3; i++)
    weft_task_release(t[i]);
  weft_task_release(g);
  return NULL;
}

TEST_IMPL(gather_cancel_cancels_children) {
  ASSERT_OK(weft_test_run(cancel_gather_main, NULL, NULL));
  return 0;
}

static void *timeout_gather_main(void *arg) {
  weft_task *t[2];
  weft_scope sc;

  (void)arg;
  ASSERT_OK(weft_spawn(&t[0], sleep_value, SV(1000, 1), NULL));
  ASSERT_OK(weft_spawn(&t[1], sleep_value, SV(1000, 2), NULL));
  ASSERT_OK(weft_timeout_enter(&sc, 2 * TICK));
  ASSERT_EQ(-ETIMEDOUT, weft_gather(t, 2, 0, NULL, NULL));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  for (int i = 0; i < 2; i++) {
    ASSERT_EQ(-ECANCELED, weft_await(t[i], NULL));
    weft_task_release(t[i]);
  }
  return NULL;
}

TEST_IMPL(gather_timeout_cancels_children) {
  ASSERT_OK(weft_test_run(timeout_gather_main, NULL, NULL));
  return 0;
}

/* More children than fit on the stack. */
static void *many_main(void *arg) {
  enum { N = 100 };
  weft_task *t[N];
  void *results[N];
  int errors[N];

  (void)arg;
  for (long i = 0; i < N; i++)
    ASSERT_OK(weft_spawn(&t[i], sleep_value, SV((i % 5) + 1, i % 7),
                         &(weft_spawn_opts){.stack_size = WEFT_STACK_MIN}));
  ASSERT_OK(weft_gather(t, N, WEFT_RETURN_EXCEPTIONS, results, errors));
  for (long i = 0; i < N; i++) {
    ASSERT_EQ(0, errors[i]);
    ASSERT_EQ(i % 7, (long)results[i]);
    weft_task_release(t[i]);
  }
  return NULL;
}

TEST_IMPL(gather_many) {
  ASSERT_OK(weft_test_run(many_main, NULL, NULL));
  return 0;
}

static void *bad_args_main(void *arg) {
  weft_task *t[2];

  (void)arg;
  ASSERT_OK(weft_spawn(&t[0], sleep_value, SV(1, 1), NULL));
  t[1] = weft_current_task();
  ASSERT_EQ(-EINVAL, weft_gather(NULL, 2, 0, NULL, NULL));
  ASSERT_EQ(-EDEADLK, weft_gather(t, 2, 0, NULL, NULL));
  t[1] = NULL;
  ASSERT_EQ(-EINVAL, weft_gather(t, 2, 0, NULL, NULL));
  ASSERT_OK(weft_gather(t, 1, 0, NULL, NULL));
  weft_task_release(t[0]);
  return NULL;
}

TEST_IMPL(gather_bad_arguments) {
  ASSERT_OK(weft_test_run(bad_args_main, NULL, NULL));
  return 0;
}
