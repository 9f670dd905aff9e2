/* Cancellation: sticky, the outcome rule, cancel before start, await. */
#include "test.h"

/* Sleeps; keeps suspending after the first -ECANCELED to show that every
 * later suspension point fails too, then returns normally. */
static void *sticky_body(void *arg) {
  weft_future *f = arg;
  weft_scope sc;

  ASSERT_EQ(-ECANCELED, weft_sleep(10));
  ASSERT_EQ(-ECANCELED, weft_sleep(10));
  ASSERT_EQ(-ECANCELED, weft_yield());
  ASSERT_EQ(-ECANCELED, weft_sleep(0));
  ASSERT_EQ(-ECANCELED, weft_future_await(f, NULL));
  ASSERT_OK(weft_timeout_enter(&sc, 10));
  ASSERT_EQ(-ECANCELED, weft_sleep(10));
  ASSERT_OK(weft_timeout_leave(&sc));
  return (void *)5;
}

static void *sticky_main(void *arg) {
  weft_future *f;
  weft_task *t;
  void *res = NULL;
  double t0;

  (void)arg;
  ASSERT_OK(weft_future_new(&f, NULL));
  ASSERT_OK(weft_spawn(&t, sticky_body, f, NULL));
  ASSERT_OK(weft_sleep(0.01));
  t0 = weft_time();
  ASSERT_EQ(1, weft_task_cancel(t));
  ASSERT_EQ(1, weft_task_cancel(t)); /* still pending: asking again is allowed */
  /* It saw -ECANCELED and returned normally: its value stands. */
  ASSERT_OK(weft_await(t, &res));
  ASSERT(weft_time() - t0 < 1.0);
  ASSERT_EQ(5, (long)res);
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(t));
  ASSERT_EQ(0, weft_task_cancelled(t));
  ASSERT_EQ(0, weft_task_cancel(t)); /* done: nothing to cancel */
  ASSERT_EQ(0, weft_future_done(f)); /* a cancelled awaiter leaves the future alone */
  weft_future_release(f);
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(cancel_sticky_every_suspension_point) {
  ASSERT_OK(weft_test_run(sticky_main, NULL, NULL));
  return 0;
}

/* Cancelled while shielded; returns without ever seeing -ECANCELED. */
static void *unseen_body(void *arg) {
  weft_scope sh;

  (void)arg;
  ASSERT_OK(weft_shield_enter(&sh));
  ASSERT_OK(weft_sleep(0.03));
  ASSERT_OK(weft_shield_leave(&sh));
  return (void *)9;
}

static void *unseen_main(void *arg) {
  weft_task *t;
  void *res = (void *)1;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, unseen_body, NULL, NULL));
  ASSERT_OK(weft_yield());
  ASSERT_EQ(1, weft_task_cancel(t));
  ASSERT_EQ(-ECANCELED, weft_await(t, &res));
  ASSERT_EQ(1, (long)res); /* untouched */
  ASSERT_EQ(1, weft_task_cancelled(t));
  ASSERT_EQ(WEFT_TASK_CANCELLED, weft_task_state_get(t));
  ASSERT_EQ(-ECANCELED, weft_task_result(t, &res));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(cancel_outcome_cancelled_when_unseen) {
  ASSERT_OK(weft_test_run(unseen_main, NULL, NULL));
  return 0;
}

static void *fail_cancel_body(void *arg) {
  int rc = weft_sleep(arg ? 10 : 0.001);

  if (arg)
    ASSERT_EQ(-ECANCELED, rc);
  return weft_fail(-ECANCELED, "gave up");
}

static void *fail_cancel_main(void *arg) {
  weft_task *t;

  (void)arg;
  for (long asked = 0; asked <= 1; asked++) {
    ASSERT_OK(weft_spawn(&t, fail_cancel_body, (void *)asked, NULL));
    ASSERT_OK(weft_yield());
    if (asked)
      ASSERT_EQ(1, weft_task_cancel(t));
    ASSERT_EQ(-ECANCELED, weft_await(t, NULL));
    ASSERT_EQ(1, weft_task_cancelled(t));
    ASSERT_STR_EQ("CANCELLED", weft_task_state_name(t));
    weft_task_release(t);
  }
  return NULL;
}

TEST_IMPL(cancel_fail_ecanceled_ends_cancelled) {
  ASSERT_OK(weft_test_run(fail_cancel_main, NULL, NULL));
  return 0;
}

static void *never_runs(void *arg) {
  *(int *)arg = 1;
  return NULL;
}

static void *before_start_main(void *arg) {
  weft_task *t;
  int ran = 0;
  void *res = (void *)1;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, never_runs, &ran, NULL));
  ASSERT_EQ(1, weft_task_cancel(t));
  ASSERT_EQ(0, weft_task_done(t)); /* the request is noted, the task ends later */
  ASSERT_EQ(-ECANCELED, weft_await(t, &res));
  ASSERT_EQ(0, ran);
  ASSERT_EQ(1, (long)res);
  ASSERT_EQ(1, weft_task_cancelled(t));
  weft_task_release(t);

  /* Same when nobody awaits it: the loop still retires it without running it. */
  ASSERT_OK(weft_spawn(&t, never_runs, &ran, NULL));
  ASSERT_EQ(1, weft_task_cancel(t));
  ASSERT_OK(weft_sleep(0.001));
  ASSERT_EQ(1, weft_task_cancelled(t));
  ASSERT_EQ(0, ran);
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(cancel_before_start_never_runs) {
  ASSERT_OK(weft_test_run(before_start_main, NULL, NULL));
  return 0;
}

/* Ignores every error it gets: cancellation must still end it quickly. */
static void *stubborn_body(void *arg) {
  int *count = arg;

  for (int i = 0; i < 1000; i++) {
    weft_sleep(10);
    weft_yield();
    (*count)++;
  }
  return NULL;
}

static void *ignore_main(void *arg) {
  weft_task *t;
  int count = 0;
  double t0;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, stubborn_body, &count, NULL));
  ASSERT_OK(weft_sleep(0.01));
  ASSERT_EQ(0, count);
  t0 = weft_time();
  weft_task_cancel(t);
  ASSERT_OK(weft_await(t, NULL)); /* it saw -ECANCELED and returned */
  ASSERT_EQ(1000, count);
  ASSERT(weft_time() - t0 < 1.0);
  weft_task_release(t);
  /* Left running when main returns: shutdown cancels it and must not hang. */
  ASSERT_OK(weft_spawn(NULL, stubborn_body, arg, NULL));
  ASSERT_OK(weft_yield());
  return NULL;
}

TEST_IMPL(cancel_ignored_cannot_wedge_shutdown) {
  int count = 0;
  double t0 = weft_time();

  ASSERT_OK(weft_test_run(ignore_main, &count, NULL));
  ASSERT_EQ(1000, count);
  ASSERT(weft_time() - t0 < 2.0);
  return 0;
}

static void *long_sleeper(void *arg) {
  int rc = weft_sleep(10);

  if (arg)
    *(int *)arg = rc;
  return weft_fail(rc ? rc : -EINVAL, "sleep ended with %d", rc);
}

static void *awaiter_body(void *arg) {
  return (void *)(long)weft_await(arg, NULL);
}

static void *await_propagates_main(void *arg) {
  weft_task *inner, *outer;
  int inner_rc = 0;
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_spawn(&inner, long_sleeper, &inner_rc, NULL));
  ASSERT_OK(weft_spawn(&outer, awaiter_body, inner, NULL));
  ASSERT_OK(weft_sleep(0.01));
  ASSERT_STR_EQ("await", weft_task_waiting_on(outer));
  ASSERT_EQ(1, weft_task_cancel(outer));
  ASSERT_OK(weft_await(outer, &res));
  ASSERT_EQ(-ECANCELED, (long)res);
  /* asyncio semantics: cancelling the awaiter cancelled the awaited task. */
  ASSERT_EQ(-ECANCELED, weft_await(inner, NULL));
  ASSERT_EQ(-ECANCELED, inner_rc);
  ASSERT_EQ(1, weft_task_cancelled(inner));
  weft_task_release(inner);
  weft_task_release(outer);
  return NULL;
}

TEST_IMPL(cancel_awaiter_cancels_awaited) {
  ASSERT_OK(weft_test_run(await_propagates_main, NULL, NULL));
  return 0;
}

/* Awaiting a task that got cancelled is not a cancellation of the awaiter:
 * it can go on suspending normally. */
static void *await_cancelled_main(void *arg) {
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, long_sleeper, NULL, NULL));
  ASSERT_OK(weft_yield());
  weft_task_cancel(t);
  ASSERT_EQ(-ECANCELED, weft_await(t, NULL));
  ASSERT_OK(weft_sleep(0.001));
  ASSERT_OK(weft_yield());
  weft_task_release(t);
  return (void *)3;
}

TEST_IMPL(cancel_of_awaited_does_not_reach_awaiter) {
  void *res = NULL;

  ASSERT_OK(weft_test_run(await_cancelled_main, NULL, &res));
  ASSERT_EQ(3, (long)res);
  return 0;
}

static void *self_cancel_body(void *arg) {
  (void)arg;
  ASSERT_EQ(1, weft_task_cancel(weft_current_task()));
  ASSERT_EQ(-ECANCELED, weft_yield());
  ASSERT_EQ(-ECANCELED, weft_sleep(1));
  return NULL;
}

static void *self_cancel_main(void *arg) {
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, self_cancel_body, NULL, NULL));
  ASSERT_OK(weft_await(t, NULL));
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(t));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(cancel_self) {
  ASSERT_OK(weft_test_run(self_cancel_main, NULL, NULL));
  return 0;
}

static void cancel_cb(void *arg) {
  weft_task_cancel(arg);
}

static void *callback_main(void *arg) {
  weft_task *t;
  int rc = 0;
  double t0 = weft_time();

  (void)arg;
  ASSERT_OK(weft_spawn(&t, long_sleeper, &rc, NULL));
  ASSERT_OK(weft_call_later(NULL, 0.02, cancel_cb, t, NULL));
  ASSERT_EQ(-ECANCELED, weft_await(t, NULL));
  ASSERT_EQ(-ECANCELED, rc);
  ASSERT(weft_time() - t0 >= 0.015);
  ASSERT(weft_time() - t0 < 1.0);
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(cancel_from_callback) {
  ASSERT_OK(weft_test_run(callback_main, NULL, NULL));
  return 0;
}

/* The main task of weft_run cancelled by another task. */
static void *cancel_main_cb_task(void *arg) {
  weft_task_cancel(arg);
  return NULL;
}

static void *cancelled_main(void *arg) {
  weft_scope sh;

  ASSERT_OK(weft_spawn(NULL, cancel_main_cb_task, weft_current_task(), NULL));
  if (arg) { /* sees it, and returns normally: the value stands */
    ASSERT_EQ(-ECANCELED, weft_sleep(10));
    return arg;
  }
  ASSERT_OK(weft_shield_enter(&sh)); /* never sees it: ends cancelled */
  ASSERT_OK(weft_sleep(0.01));
  ASSERT_OK(weft_shield_leave(&sh));
  return (void *)1;
}

TEST_IMPL(cancel_main_task) {
  void *res = NULL;

  ASSERT_OK(weft_test_run(cancelled_main, (void *)4, &res));
  ASSERT_EQ(4, (long)res);
  ASSERT_EQ(-ECANCELED, weft_test_run(cancelled_main, NULL, NULL));
  return 0;
}

/* Many tasks parked on different things, all cancelled at once. */
static weft_future *shared_future;

static void *parked_on(void *arg) {
  long kind = (long)arg;
  int rc;

  switch (kind % 3) {
  case 0:
    rc = weft_sleep(10);
    break;
  case 1:
    while ((rc = weft_yield()) == 0)
      ;
    break;
  default:
    rc = weft_future_await(shared_future, NULL);
    break;
  }
  ASSERT_EQ(-ECANCELED, rc);
  return weft_fail(rc, "cancelled");
}

static void *many_main(void *arg) {
  weft_task *t[30];
  int errors[30];

  (void)arg;
  ASSERT_OK(weft_sleep(1e-6)); /* allocates the timer heap here, not in a child */
  ASSERT_OK(weft_future_new(&shared_future, NULL));
  for (long i = 0; i < 30; i++)
    ASSERT_OK(weft_spawn(&t[i], parked_on, (void *)i, NULL));
  ASSERT_OK(weft_sleep(0.005));
  for (int i = 0; i < 30; i++)
    ASSERT_EQ(1, weft_task_cancel(t[i]));
  ASSERT_OK(weft_gather(t, 30, WEFT_RETURN_EXCEPTIONS, NULL, errors));
  for (int i = 0; i < 30; i++) {
    ASSERT_EQ(-ECANCELED, errors[i]);
    ASSERT_EQ(1, weft_task_cancelled(t[i]));
    weft_task_release(t[i]);
  }
  ASSERT_EQ(0, weft_future_done(shared_future));
  weft_future_release(shared_future);
  return NULL;
}

TEST_IMPL(cancel_many_parked_tasks) {
  ASSERT_OK(weft_test_run(many_main, NULL, NULL));
  return 0;
}
