/* weft_wait_for: await with a deadline that cancels the awaited task. */
#include "test.h"

#define TICK 0.02

static void *sleep_return(void *arg) {
  int rc = weft_sleep(TICK / 2);

  if (rc)
    return weft_fail(rc, "interrupted");
  return arg;
}

static void *sleep_long(void *arg) {
  int rc = weft_sleep(10);

  if (arg)
    *(int *)arg = rc;
  return weft_fail(rc ? rc : -EINVAL, "sleep ended with %d", rc);
}

static void *fails(void *arg) {
  (void)arg;
  return weft_fail(-EDOM, "division by zero");
}

static void *result_main(void *arg) {
  weft_task *t;
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, sleep_return, (void *)21, NULL));
  ASSERT_OK(weft_wait_for(t, 1, &res));
  ASSERT_EQ(21, (long)res);
  weft_task_release(t);

  ASSERT_OK(weft_spawn(&t, sleep_return, (void *)22, NULL));
  ASSERT_OK(weft_wait_for(t, INFINITY, &res));
  ASSERT_EQ(22, (long)res);
  /* Already done: the result even with a zero timeout. */
  res = NULL;
  ASSERT_OK(weft_wait_for(t, 0, &res));
  ASSERT_EQ(22, (long)res);
  weft_task_release(t);

  ASSERT_OK(weft_spawn(&t, fails, NULL, NULL));
  ASSERT_EQ(-EDOM, weft_wait_for(t, 1, NULL));
  ASSERT_STR_EQ("division by zero", weft_task_error(t));
  weft_task_release(t);
  /* Nothing of wait_for's deadline lingers in the caller. */
  ASSERT_OK(weft_sleep(0.001));
  return NULL;
}

TEST_IMPL(wait_for_result_before_deadline) {
  ASSERT_OK(weft_test_run(result_main, NULL, NULL));
  return 0;
}

static void *timeout_main(void *arg) {
  weft_task *t;
  int rc = 0;
  double t0 = weft_time();

  (void)arg;
  ASSERT_OK(weft_spawn(&t, sleep_long, &rc, NULL));
  ASSERT_EQ(-ETIMEDOUT, weft_wait_for(t, TICK, NULL));
  ASSERT(weft_time() - t0 >= TICK - 0.002);
  ASSERT(weft_time() - t0 < 0.5);
  /* The inner task was cancelled and waited for. */
  ASSERT_EQ(1, weft_task_done(t));
  ASSERT_EQ(1, weft_task_cancelled(t));
  ASSERT_EQ(-ECANCELED, rc);
  weft_task_release(t);
  ASSERT_OK(weft_sleep(0.001));

  ASSERT_OK(weft_spawn(&t, sleep_long, NULL, NULL));
  ASSERT_EQ(-ETIMEDOUT, weft_wait_for(t, 0, NULL));
  ASSERT_EQ(1, weft_task_cancelled(t));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(wait_for_deadline_cancels_and_waits) {
  ASSERT_OK(weft_test_run(timeout_main, NULL, NULL));
  return 0;
}

/* Catches the cancel, cleans up shielded, then returns a value. */
static void *catches(void *arg) {
  weft_scope sh;

  ASSERT_EQ(-ECANCELED, weft_sleep(10));
  ASSERT_OK(weft_shield_enter(&sh));
  ASSERT_OK(weft_sleep(2 * TICK));
  ASSERT_OK(weft_shield_leave(&sh));
  return arg;
}

static void *catches_main(void *arg) {
  weft_task *t;
  void *res = NULL;
  double t0 = weft_time();

  (void)arg;
  ASSERT_OK(weft_spawn(&t, catches, (void *)31, NULL));
  ASSERT_OK(weft_wait_for(t, TICK, &res));
  ASSERT_EQ(31, (long)res);
  /* It waited for the cleanup. */
  ASSERT(weft_time() - t0 >= 3 * TICK - 0.003);
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(t));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(wait_for_inner_returns_value_after_cancel) {
  ASSERT_OK(weft_test_run(catches_main, NULL, NULL));
  return 0;
}

static void *wait_for_caller(void *arg) {
  return (void *)(long)weft_wait_for(arg, 10, NULL);
}

static void *outer_cancel_main(void *arg) {
  weft_task *inner, *caller;
  int rc = 0;
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_spawn(&inner, sleep_long, &rc, NULL));
  ASSERT_OK(weft_spawn(&caller, wait_for_caller, inner, NULL));
  ASSERT_OK(weft_sleep(TICK));
  ASSERT_STR_EQ("wait_for", weft_task_waiting_on(caller));
  weft_task_cancel(caller);
  ASSERT_OK(weft_await(caller, &res));
  ASSERT_EQ(-ECANCELED, (long)res);
  ASSERT_EQ(1, weft_task_cancelled(inner)); /* cancelled and waited for */
  ASSERT_EQ(-ECANCELED, rc);
  weft_task_release(inner);
  weft_task_release(caller);

  /* The caller cancelled while the inner task cleans up: it waits for the
   * cleanup, then reports its own cancellation. */
  ASSERT_OK(weft_spawn(&inner, catches, (void *)5, NULL));
  ASSERT_OK(weft_spawn(&caller, wait_for_caller, inner, NULL));
  ASSERT_OK(weft_sleep(TICK));
  weft_task_cancel(caller);
  ASSERT_OK(weft_await(caller, &res));
  ASSERT_EQ(-ECANCELED, (long)res);
  ASSERT_OK(weft_task_result(inner, &res));
  ASSERT_EQ(5, (long)res);
  weft_task_release(inner);
  weft_task_release(caller);
  return NULL;
}

TEST_IMPL(wait_for_caller_cancelled) {
  ASSERT_OK(weft_test_run(outer_cancel_main, NULL, NULL));
  return 0;
}

static void *outer_scope_main(void *arg) {
  weft_task *t;
  weft_scope sc;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, sleep_long, NULL, NULL));
  ASSERT_OK(weft_timeout_enter(&sc, TICK));
  ASSERT_EQ(-ETIMEDOUT, weft_wait_for(t, 10, NULL)); /* the outer deadline */
  ASSERT_EQ(1, weft_task_cancelled(t));
  ASSERT_EQ(-ETIMEDOUT, weft_yield());
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  weft_task_release(t);

  /* wait_for's own deadline inside a longer scope leaves the scope alone. */
  ASSERT_OK(weft_spawn(&t, sleep_long, NULL, NULL));
  ASSERT_OK(weft_timeout_enter(&sc, 10));
  ASSERT_EQ(-ETIMEDOUT, weft_wait_for(t, TICK, NULL));
  ASSERT_OK(weft_sleep(0.001));
  ASSERT_EQ(0, weft_timeout_expired(&sc));
  ASSERT_OK(weft_timeout_leave(&sc));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(wait_for_inside_timeout_scope) {
  ASSERT_OK(weft_test_run(outer_scope_main, NULL, NULL));
  return 0;
}

static void *bad_args_main(void *arg) {
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, sleep_return, NULL, NULL));
  ASSERT_EQ(-EINVAL, weft_wait_for(t, NAN, NULL));
  ASSERT_EQ(-EINVAL, weft_wait_for(t, -1, NULL));
  ASSERT_EQ(-EINVAL, weft_wait_for(NULL, 1, NULL));
  ASSERT_EQ(-EDEADLK, weft_wait_for(weft_current_task(), 1, NULL));
  ASSERT_EQ(0, weft_task_done(t)); /* bad calls leave the task alone */
  ASSERT_OK(weft_wait_for(t, 1, NULL));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(wait_for_bad_arguments) {
  ASSERT_OK(weft_test_run(bad_args_main, NULL, NULL));
  return 0;
}
