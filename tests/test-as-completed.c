/* weft_as_completed: tasks in the order they finish. */
#include "tasks.h"

#define TICK 0.01

static void *order_main(void *arg) {
  static const long ms[] = {30, 10, -20, 40};
  weft_task *t[4], *next;
  weft_as_completed *ac;
  void *res = NULL;

  (void)arg;
  timers_ready();
  spawn_all(t, ms, 4);
  ASSERT_OK(weft_as_completed_new(&ac, t, 4, INFINITY));
  ASSERT_OK(weft_as_completed_next(ac, &next));
  ASSERT(next == t[1]);
  ASSERT_OK(weft_task_result(next, &res));
  ASSERT_EQ(10, (long)res);
  ASSERT_OK(weft_as_completed_next(ac, &next));
  ASSERT(next == t[2]); /* failed tasks come out too */
  ASSERT_EQ(-EDOM, weft_task_result(next, NULL));
  ASSERT_OK(weft_as_completed_next(ac, &next));
  ASSERT(next == t[0]);
  ASSERT_OK(weft_as_completed_next(ac, &next));
  ASSERT(next == t[3]);
  ASSERT_EQ(WEFT_DONE, weft_as_completed_next(ac, &next));
  ASSERT_EQ(WEFT_DONE, weft_as_completed_next(ac, &next));
  weft_as_completed_free(ac);
  finish_all(t, 4);
  return NULL;
}

TEST_IMPL(as_completed_order_of_completion) {
  ASSERT_OK(weft_test_run(order_main, NULL, NULL));
  return 0;
}

static void *finished_first_main(void *arg) {
  static const long ms[] = {1000, 1, 5, 20};
  weft_task *t[4], *next;
  weft_as_completed *ac;

  (void)arg;
  timers_ready();
  spawn_all(t, ms, 4);
  ASSERT_OK(weft_await(t[2], NULL)); /* t[1] and t[2] are done now */
  ASSERT_OK(weft_as_completed_new(&ac, t, 4, INFINITY));
  /* The finished ones come first, at once. */
  ASSERT_OK(weft_as_completed_next(ac, &next));
  ASSERT(next == t[1]);
  ASSERT_OK(weft_as_completed_next(ac, &next));
  ASSERT(next == t[2]);
  ASSERT_OK(weft_as_completed_next(ac, &next));
  ASSERT(next == t[3]);
  weft_task_cancel(t[0]);
  ASSERT_OK(weft_as_completed_next(ac, &next));
  ASSERT(next == t[0]);
  ASSERT_EQ(1, weft_task_cancelled(next));
  ASSERT_EQ(WEFT_DONE, weft_as_completed_next(ac, &next));
  weft_as_completed_free(ac);
  finish_all(t, 4);
  return NULL;
}

TEST_IMPL(as_completed_finished_tasks_first) {
  ASSERT_OK(weft_test_run(finished_first_main, NULL, NULL));
  return 0;
}

static void *timeout_main(void *arg) {
  static const long ms[] = {1000, 5, 1000};
  weft_task *t[3], *next = NULL;
  weft_as_completed *ac;
  double t0 = weft_time();

  (void)arg;
  timers_ready();
  spawn_all(t, ms, 3);
  ASSERT_OK(weft_as_completed_new(&ac, t, 3, 3 * TICK));
  ASSERT_OK(weft_as_completed_next(ac, &next));
  ASSERT(next == t[1]);
  next = NULL;
  ASSERT_EQ(-ETIMEDOUT, weft_as_completed_next(ac, &next));
  ASSERT_NULL(next);
  ASSERT(weft_time() - t0 >= 3 * TICK - 0.002);
  ASSERT(weft_time() - t0 < 0.5);
  ASSERT_EQ(-ETIMEDOUT, weft_as_completed_next(ac, &next));
  /* The tasks were not cancelled. */
  ASSERT_EQ(0, weft_task_done(t[0]));
  ASSERT_EQ(0, weft_task_done(t[2]));
  /* One that finishes after the deadline is still handed out. */
  weft_task_cancel(t[2]);
  ASSERT_EQ(-ECANCELED, weft_await(t[2], NULL));
  ASSERT_OK(weft_as_completed_next(ac, &next));
  ASSERT(next == t[2]);
  ASSERT_EQ(-ETIMEDOUT, weft_as_completed_next(ac, &next));
  weft_as_completed_free(ac);
  ASSERT_OK(weft_sleep(0.001)); /* the caller itself did not time out */
  finish_all(t, 3);
  return NULL;
}

TEST_IMPL(as_completed_timeout) {
  ASSERT_OK(weft_test_run(timeout_main, NULL, NULL));
  return 0;
}

/* Tasks that finished before the deadline come out even if next() is only
 * called after it. */
static void *late_caller_main(void *arg) {
  static const long ms[] = {1, 2};
  weft_task *t[2], *next;
  weft_as_completed *ac;

  (void)arg;
  timers_ready();
  spawn_all(t, ms, 2);
  ASSERT_OK(weft_as_completed_new(&ac, t, 2, TICK));
  ASSERT_OK(weft_sleep(3 * TICK));
  ASSERT_OK(weft_as_completed_next(ac, &next));
  ASSERT(next == t[0]);
  ASSERT_OK(weft_as_completed_next(ac, &next));
  ASSERT(next == t[1]);
  ASSERT_EQ(WEFT_DONE, weft_as_completed_next(ac, &next));
  weft_as_completed_free(ac);
  finish_all(t, 2);
  return NULL;
}

TEST_IMPL(as_completed_timeout_after_all_finished) {
  ASSERT_OK(weft_test_run(late_caller_main, NULL, NULL));
  return 0;
}

typedef struct consumer_arg {
  weft_as_completed *ac;
  int rc;
} consumer_arg;

static void *consumer(void *arg) {
  consumer_arg *ca = arg;
  weft_task *next;

  ca->rc = weft_as_completed_next(ca->ac, &next);
  return NULL;
}

static void *cancelled_main(void *arg) {
  static const long ms[] = {1000, 1000};
  weft_task *t[2], *c, *next;
  consumer_arg ca = {NULL, 1};
  weft_scope sc;

  (void)arg;
  timers_ready();
  spawn_all(t, ms, 2);
  ASSERT_OK(weft_as_completed_new(&ca.ac, t, 2, INFINITY));
  ASSERT_OK(weft_spawn(&c, consumer, &ca, NULL));
  ASSERT_OK(weft_sleep(TICK));
  ASSERT_STR_EQ("as_completed", weft_task_waiting_on(c));
  weft_task_cancel(c);
  ASSERT_OK(weft_await(c, NULL));
  ASSERT_EQ(-ECANCELED, ca.rc);
  weft_task_release(c);
  ASSERT_EQ(0, weft_task_done(t[0]));
  /* The caller's deadline; the iterator is still usable afterwards. */
  ASSERT_OK(weft_timeout_enter(&sc, TICK));
  ASSERT_EQ(-ETIMEDOUT, weft_as_completed_next(ca.ac, &next));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  weft_task_cancel(t[1]);
  ASSERT_OK(weft_as_completed_next(ca.ac, &next));
  ASSERT(next == t[1]);
  /* Freed with a task still pending. */
  weft_as_completed_free(ca.ac);
  finish_all(t, 2);
  return NULL;
}

TEST_IMPL(as_completed_caller_cancelled) {
  ASSERT_OK(weft_test_run(cancelled_main, NULL, NULL));
  return 0;
}

static void *empty_main(void *arg) {
  static const long ms[] = {1};
  weft_as_completed *ac;
  weft_task *t, *next;

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_as_completed_new(&ac, NULL, 0, INFINITY));
  ASSERT_EQ(WEFT_DONE, weft_as_completed_next(ac, &next));
  weft_as_completed_free(ac);
  weft_as_completed_free(NULL);

  spawn_all(&t, ms, 1);
  ASSERT_EQ(-EINVAL, weft_as_completed_new(&ac, &t, 1, NAN));
  ASSERT_EQ(-EINVAL, weft_as_completed_new(&ac, &t, 1, -1));
  ASSERT_EQ(-EINVAL, weft_as_completed_new(&ac, NULL, 1, INFINITY));
  ASSERT_OK(weft_as_completed_new(&ac, &t, 1, INFINITY));
  ASSERT_EQ(-EINVAL, weft_as_completed_next(ac, NULL));
  ASSERT_EQ(-EINVAL, weft_as_completed_next(NULL, &next));
  ASSERT_OK(weft_as_completed_next(ac, &next));
  weft_as_completed_free(ac);
  finish_all(&t, 1);
  return NULL;
}

TEST_IMPL(as_completed_empty_and_bad_arguments) {
  weft_as_completed *ac = NULL;

  ASSERT_EQ(-EPERM, weft_as_completed_new(&ac, NULL, 0, INFINITY));
  ASSERT_OK(weft_test_run(empty_main, NULL, NULL));
  return 0;
}

/* Each records the order it finished in, just before finishing. */
static weft_task *finish_order[30];
static size_t nfinished;

static void *noting_sleeper(void *arg) {
  int rc = weft_sleep((double)(long)arg / 1000);

  if (rc)
    return weft_fail(rc, "interrupted");
  finish_order[nfinished++] = weft_current_task();
  return arg;
}

static void *many_main(void *arg) {
  enum { N = 30 };
  weft_task *t[N], *next;
  weft_as_completed *ac;

  (void)arg;
  timers_ready();
  for (long i = 0; i < N; i++)
    ASSERT_OK(weft_spawn(&t[i], noting_sleeper, (void *)((N - i) % 6 + 1),
                         &(weft_spawn_opts){.stack_size = WEFT_STACK_MIN}));
  ASSERT_OK(weft_as_completed_new(&ac, t, N, INFINITY));
  for (int i = 0; i < N; i++) {
    ASSERT_OK(weft_as_completed_next(ac, &next));
    ASSERT_EQ((size_t)i + 1 <= nfinished, 1);
    ASSERT(next == finish_order[i]);
  }
  ASSERT_EQ(WEFT_DONE, weft_as_completed_next(ac, &next));
  weft_as_completed_free(ac);
  finish_all(t, N);
  return NULL;
}

TEST_IMPL(as_completed_many) {
  ASSERT_OK(weft_test_run(many_main, NULL, NULL));
  return 0;
}
