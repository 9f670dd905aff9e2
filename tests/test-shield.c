/* Shield scopes and weft_shield(task). */
#include "test.h"

#define TICK 0.02

static void *shielded_body(void *arg) {
  weft_scope sh;
  double t0;

  (void)arg;
  ASSERT_OK(weft_shield_enter(&sh));
  t0 = weft_time();
  /* The cancel arrives during this sleep and does not cut it short. */
  ASSERT_OK(weft_sleep(3 * TICK));
  ASSERT(weft_time() - t0 >= 3 * TICK - 0.002);
  ASSERT_OK(weft_yield());
  ASSERT_OK(weft_shield_leave(&sh));
  /* Pending, and seen at the next suspension point. */
  ASSERT_EQ(-ECANCELED, weft_yield());
  ASSERT_EQ(-ECANCELED, weft_sleep(1));
  return (void *)6;
}

static void *scope_cancel_main(void *arg) {
  weft_task *t;
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, shielded_body, NULL, NULL));
  ASSERT_OK(weft_sleep(TICK));
  ASSERT_STR_EQ("sleep", weft_task_waiting_on(t));
  ASSERT_EQ(1, weft_task_cancel(t));
  ASSERT_OK(weft_await(t, &res));
  ASSERT_EQ(6, (long)res);
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(shield_scope_holds_off_cancel) {
  ASSERT_OK(weft_test_run(scope_cancel_main, NULL, NULL));
  return 0;
}

static void *scope_timeout_main(void *arg) {
  weft_scope sc, sh, inner;

  (void)arg;
  ASSERT_OK(weft_timeout_enter(&sc, TICK));
  ASSERT_OK(weft_shield_enter(&sh));
  ASSERT_OK(weft_sleep(3 * TICK)); /* the outer deadline passes meanwhile */
  ASSERT_EQ(1, weft_timeout_expired(&sc));
  /* A deadline inside the shield still applies. */
  ASSERT_OK(weft_timeout_enter(&inner, TICK));
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&inner));
  ASSERT_OK(weft_yield());
  ASSERT_EQ(-EINVAL, weft_timeout_leave(&sc)); /* the shield is innermost */
  ASSERT_OK(weft_shield_leave(&sh));
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_OK(weft_sleep(0.001));
  return NULL;
}

TEST_IMPL(shield_scope_holds_off_timeout) {
  ASSERT_OK(weft_test_run(scope_timeout_main, NULL, NULL));
  return 0;
}

/* Nested shields, and a cancel arriving while already shielded. */
static void *nested_body(void *arg) {
  weft_scope a, b;

  (void)arg;
  ASSERT_OK(weft_shield_enter(&a));
  ASSERT_OK(weft_shield_enter(&b));
  ASSERT_EQ(-EINVAL, weft_shield_leave(&a));
  ASSERT_OK(weft_sleep(2 * TICK));
  ASSERT_OK(weft_shield_leave(&b));
  ASSERT_OK(weft_sleep(0.001)); /* still inside a */
  ASSERT_OK(weft_shield_leave(&a));
  ASSERT_EQ(-ECANCELED, weft_sleep(0.001));
  return NULL;
}

static void *nested_main(void *arg) {
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, nested_body, NULL, NULL));
  ASSERT_OK(weft_sleep(TICK / 2));
  weft_task_cancel(t);
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(shield_scope_nested) {
  ASSERT_OK(weft_test_run(nested_main, NULL, NULL));
  return 0;
}

static void *job(void *arg) {
  int rc = weft_sleep(3 * TICK);

  if (rc)
    return weft_fail(rc, "interrupted");
  return arg;
}

static void *shield_caller(void *arg) {
  return (void *)(long)weft_shield(arg, NULL);
}

static void *shield_task_cancel_main(void *arg) {
  weft_task *inner, *caller;
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_spawn(&inner, job, (void *)11, NULL));
  ASSERT_OK(weft_spawn(&caller, shield_caller, inner, NULL));
  ASSERT_OK(weft_sleep(TICK));
  ASSERT_STR_EQ("shield", weft_task_waiting_on(caller));
  weft_task_cancel(caller);
  ASSERT_OK(weft_await(caller, &res));
  ASSERT_EQ(-ECANCELED, (long)res);
  /* The shielded task goes on and completes. */
  ASSERT_EQ(0, weft_task_done(inner));
  ASSERT_OK(weft_await(inner, &res));
  ASSERT_EQ(11, (long)res);
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(inner));
  weft_task_release(inner);
  weft_task_release(caller);
  return NULL;
}

TEST_IMPL(shield_task_caller_cancelled) {
  ASSERT_OK(weft_test_run(shield_task_cancel_main, NULL, NULL));
  return 0;
}

static void *shield_task_timeout_main(void *arg) {
  weft_task *inner;
  weft_scope sc;
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_spawn(&inner, job, (void *)12, NULL));
  ASSERT_OK(weft_timeout_enter(&sc, TICK));
  ASSERT_EQ(-ETIMEDOUT, weft_shield(inner, &res));
  ASSERT_NULL(res);
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_EQ(0, weft_task_done(inner));
  ASSERT_OK(weft_shield(inner, &res)); /* shield also works as a plain await */
  ASSERT_EQ(12, (long)res);
  weft_task_release(inner);
  return NULL;
}

TEST_IMPL(shield_task_caller_timeout) {
  ASSERT_OK(weft_test_run(shield_task_timeout_main, NULL, NULL));
  return 0;
}

static void *failing(void *arg) {
  (void)arg;
  ASSERT_OK(weft_yield());
  return weft_fail(-EDOM, "division by zero");
}

static void *outcomes_main(void *arg) {
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, failing, NULL, NULL));
  ASSERT_EQ(-EDOM, weft_shield(t, NULL));
  ASSERT_STR_EQ("division by zero", weft_task_error(t));
  ASSERT_EQ(-EDOM, weft_shield(t, NULL)); /* already done: at once */
  weft_task_release(t);

  ASSERT_OK(weft_spawn(&t, job, NULL, NULL));
  ASSERT_OK(weft_yield());
  weft_task_cancel(t);
  ASSERT_EQ(-ECANCELED, weft_shield(t, NULL)); /* the task itself was cancelled */
  weft_task_release(t);

  ASSERT_EQ(-EDEADLK, weft_shield(weft_current_task(), NULL));
  ASSERT_EQ(-EINVAL, weft_shield(NULL, NULL));
  return NULL;
}

TEST_IMPL(shield_task_outcomes) {
  ASSERT_OK(weft_test_run(outcomes_main, NULL, NULL));
  return 0;
}

static void *plain(void *arg) {
  return arg;
}

/* The awaiting calls refuse to run outside a task. */
TEST_IMPL(shield_outside_task_eperm) {
  weft_loop *loop;
  weft_task *t;
  weft_scope sc;
  void *res = NULL;

  ASSERT_OK(weft_loop_new(&loop));
  ASSERT_OK(weft_spawn(&t, plain, (void *)4, &(weft_spawn_opts){.loop = loop}));
  ASSERT_EQ(-EPERM, weft_shield(t, NULL));
  ASSERT_EQ(-EPERM, weft_await(t, NULL));
  ASSERT_EQ(-EPERM, weft_wait_for(t, 1, NULL));
  ASSERT_EQ(-EPERM, weft_gather(&t, 1, 0, NULL, NULL));
  ASSERT_EQ(-EPERM, weft_shield_enter(&sc));
  ASSERT_OK(weft_loop_run_until_complete(loop, t, &res));
  ASSERT_EQ(4, (long)res);
  weft_task_release(t);
  weft_loop_free(loop);
  return 0;
}
