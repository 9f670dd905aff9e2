/* TaskGroup: waits for all children; the first failure cancels the rest,
 * every error is kept, and the parent task itself is never cancelled. */
#include "tasks.h"

#define TICK 0.01

/* arg: milliseconds to sleep; negative: sleep that long, then fail. */
static void *child(void *arg) {
  long ms = (long)arg;
  int rc = weft_sleep((double)labs(ms) / 1000);

  if (rc)
    return weft_fail(rc, "interrupted");
  if (ms < 0)
    return weft_fail(-EDOM, "child %ld failed", -ms);
  return arg;
}

static void *all_main(void *arg) {
  weft_group *g;
  weft_task *t[3];
  void *res = NULL;
  double t0 = weft_time();

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_group_new(&g));
  ASSERT_OK(weft_group_spawn(g, &t[0], child, (void *)30, NULL));
  ASSERT_OK(weft_group_spawn(g, &t[1], child, (void *)10, NULL));
  ASSERT_OK(weft_group_spawn(g, &t[2], child, (void *)20, &(weft_spawn_opts){.name = "third"}));
  ASSERT_STR_EQ("third", weft_task_name(t[2]));
  ASSERT_OK(weft_group_spawn(g, NULL, child, (void *)5, NULL));
  ASSERT_OK(weft_group_wait(g));
  ASSERT(weft_time() - t0 >= 0.028);
  for (int i = 0; i < 3; i++) {
    ASSERT_OK(weft_task_result(t[i], &res));
    ASSERT_EQ(i == 0 ? 30 : i == 1 ? 10 : 20, (long)res);
    weft_task_release(t[i]);
  }
  ASSERT_EQ(0, weft_group_error_count(g));
  ASSERT_EQ(-EINVAL, weft_group_error(g, 0, NULL));
  ASSERT_EQ(-EINVAL, weft_group_wait(g)); /* only once */
  ASSERT_EQ(-EINVAL, weft_group_spawn(g, NULL, child, (void *)1, NULL));
  weft_group_free(g);
  return NULL;
}

TEST_IMPL(group_waits_for_all_children) {
  ASSERT_OK(weft_test_run(all_main, NULL, NULL));
  return 0;
}

static void *empty_main(void *arg) {
  weft_group *g;

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_group_new(&g));
  ASSERT_OK(weft_group_wait(g));
  weft_group_free(g);
  weft_group_free(NULL);
  ASSERT_EQ(-EINVAL, weft_group_wait(NULL));
  ASSERT_EQ(-EINVAL, weft_group_spawn(NULL, NULL, child, NULL, NULL));
  ASSERT_EQ(0, weft_group_error_count(NULL));
  return NULL;
}

TEST_IMPL(group_empty_and_bad_arguments) {
  weft_group *g = NULL;

  ASSERT_EQ(-EPERM, weft_group_new(&g));
  ASSERT_OK(weft_test_run(empty_main, NULL, NULL));
  return 0;
}

static void *first_failure_main(void *arg) {
  weft_group *g;
  weft_task *t[3];
  const char *msg = NULL;
  double t0 = weft_time();

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_group_new(&g));
  ASSERT_OK(weft_group_spawn(g, &t[0], child, (void *)1000, NULL));
  ASSERT_OK(weft_group_spawn(g, &t[1], child, (void *)-10, NULL));
  ASSERT_OK(weft_group_spawn(g, &t[2], child, (void *)1000, NULL));
  ASSERT_EQ(-EDOM, weft_group_wait(g));
  ASSERT(weft_time() - t0 < 0.5);
  ASSERT_EQ(1, weft_task_cancelled(t[0]));
  ASSERT_EQ(1, weft_task_cancelled(t[2]));
  ASSERT_EQ(1, weft_group_error_count(g));
  ASSERT_EQ(-EDOM, weft_group_error(g, 0, &msg));
  ASSERT_STR_EQ("child 10 failed", msg);
  for (int i = 0; i < 3; i++)
    weft_task_release(t[i]);
  weft_group_free(g);
  return NULL;
}

TEST_IMPL(group_first_failure_cancels_siblings) {
  ASSERT_OK(weft_test_run(first_failure_main, NULL, NULL));
  return 0;
}

static void *two_failures_main(void *arg) {
  weft_group *g;
  const char *msg = NULL;

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_group_new(&g));
  ASSERT_OK(weft_group_spawn(g, NULL, child, (void *)1000, NULL));
  ASSERT_OK(weft_group_spawn(g, NULL, child, (void *)-10, NULL));
  ASSERT_OK(weft_group_spawn(g, NULL, child, (void *)-10, NULL));
  ASSERT_EQ(-EDOM, weft_group_wait(g));
  /* Both failed at the same moment: both errors are kept. */
  ASSERT_EQ(2, weft_group_error_count(g));
  ASSERT_EQ(-EDOM, weft_group_error(g, 0, &msg));
  ASSERT_STR_EQ("child 10 failed", msg);
  ASSERT_EQ(-EDOM, weft_group_error(g, 1, NULL));
  weft_group_free(g);
  return NULL;
}

TEST_IMPL(group_keeps_every_error) {
  ASSERT_OK(weft_test_run(two_failures_main, NULL, NULL));
  return 0;
}

/* CPython test_taskgroups: cancellation_does_not_leak_out. */
static void *body_task(void *arg) {
  weft_group *g;
  double t0;

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_group_new(&g));
  ASSERT_OK(weft_group_spawn(g, NULL, child, (void *)-10, NULL));
  /* The body is interrupted when the child fails... */
  ASSERT_EQ(-ECANCELED, weft_sleep(10));
  ASSERT_EQ(-ECANCELED, weft_yield());
  ASSERT_EQ(-ESHUTDOWN, weft_group_spawn(g, NULL, child, (void *)1, NULL));
  ASSERT_EQ(-EDOM, weft_group_wait(g));
  weft_group_free(g);
  /* ...but the task is not cancelled: it goes on normally. */
  t0 = weft_time();
  ASSERT_OK(weft_sleep(TICK));
  ASSERT(weft_time() - t0 >= TICK - 0.002);
  ASSERT_OK(weft_yield());
  return (void *)17;
}

static void *no_leak_main(void *arg) {
  weft_task *t;
  void *res = NULL;

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_spawn(&t, body_task, NULL, NULL));
  ASSERT_OK(weft_await(t, &res));
  ASSERT_EQ(17, (long)res);
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(t));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(group_cancellation_does_not_leak_out) {
  ASSERT_OK(weft_test_run(no_leak_main, NULL, NULL));
  return 0;
}

/* Catches the cancel and cleans up, shielded, before finishing. */
static void *slow_cleanup(void *arg) {
  weft_scope sh;

  ASSERT_EQ(-ECANCELED, weft_sleep(10));
  ASSERT_OK(weft_shield_enter(&sh));
  ASSERT_OK(weft_sleep(3 * TICK));
  ASSERT_OK(weft_shield_leave(&sh));
  *(int *)arg = 1;
  return weft_fail(-ECANCELED, "cleaned up");
}

typedef struct parent_arg {
  weft_task *kids[2];
  int cleaned;
  int rc;
  double waited;
} parent_arg;

static void *group_parent(void *arg) {
  parent_arg *pa = arg;
  weft_group *g;
  double t0;
  int rc;

  if ((rc = weft_group_new(&g)) != 0)
    return weft_fail(rc, "group_new");
  ASSERT_OK(weft_group_spawn(g, &pa->kids[0], slow_cleanup, &pa->cleaned, NULL));
  ASSERT_OK(weft_group_spawn(g, &pa->kids[1], child, (void *)1000, NULL));
  t0 = weft_time();
  pa->rc = weft_group_wait(g);
  pa->waited = weft_time() - t0;
  weft_group_free(g);
  return NULL;
}

static void *outer_cancel_main(void *arg) {
  parent_arg pa = {{NULL, NULL}, 0, 1, 0};
  weft_task *p;

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_spawn(&p, group_parent, &pa, NULL));
  ASSERT_OK(weft_sleep(TICK));
  ASSERT_STR_EQ("group", weft_task_waiting_on(p));
  weft_task_cancel(p);
  ASSERT_OK(weft_await(p, NULL)); /* it saw -ECANCELED and returned */
  ASSERT_EQ(-ECANCELED, pa.rc);
  /* The children were cancelled, and group_wait waited for the cleanup. */
  ASSERT_EQ(1, pa.cleaned);
  ASSERT(pa.waited >= 3 * TICK);
  ASSERT_EQ(1, weft_task_cancelled(pa.kids[0]));
  ASSERT_EQ(1, weft_task_cancelled(pa.kids[1]));
  weft_task_release(pa.kids[0]);
  weft_task_release(pa.kids[1]);
  weft_task_release(p);
  return NULL;
}

TEST_IMPL(group_outer_cancel_cancels_children_and_waits) {
  ASSERT_OK(weft_test_run(outer_cancel_main, NULL, NULL));
  return 0;
}

static void *timeout_main(void *arg) {
  weft_group *g;
  weft_task *t;
  weft_scope sc;

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_timeout_enter(&sc, 2 * TICK));
  ASSERT_OK(weft_group_new(&g));
  ASSERT_OK(weft_group_spawn(g, &t, child, (void *)1000, NULL));
  ASSERT_EQ(-ETIMEDOUT, weft_group_wait(g));
  ASSERT_EQ(1, weft_task_cancelled(t));
  weft_group_free(g);
  weft_task_release(t);
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));

  /* A deadline inside the body concerns the body only. */
  ASSERT_OK(weft_group_new(&g));
  ASSERT_OK(weft_group_spawn(g, &t, child, (void *)(long)(4 * TICK * 1000), NULL));
  ASSERT_OK(weft_timeout_enter(&sc, TICK));
  ASSERT_EQ(-EINVAL, weft_group_wait(g)); /* the scope is still open */
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_OK(weft_group_wait(g));
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(t));
  weft_group_free(g);
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(group_and_timeouts) {
  ASSERT_OK(weft_test_run(timeout_main, NULL, NULL));
  return 0;
}

typedef struct cancel_arg {
  weft_group *g;
} cancel_arg;

static void *group_canceller(void *arg) {
  ASSERT_OK(weft_sleep(TICK));
  weft_group_cancel(((cancel_arg *)arg)->g);
  return NULL;
}

static void *group_cancel_body(void *arg) {
  cancel_arg ca;
  weft_task *t, *c;

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_group_new(&ca.g));
  ASSERT_OK(weft_group_spawn(ca.g, &t, child, (void *)1000, NULL));
  ASSERT_OK(weft_spawn(&c, group_canceller, &ca, NULL));
  ASSERT_EQ(-ECANCELED, weft_sleep(10)); /* the body is cancelled */
  ASSERT_EQ(-ECANCELED, weft_group_wait(ca.g));
  ASSERT_EQ(0, weft_group_error_count(ca.g));
  ASSERT_EQ(1, weft_task_cancelled(t));
  weft_group_free(ca.g);
  weft_task_release(t);
  ASSERT_OK(weft_await(c, NULL)); /* the task goes on */
  weft_task_release(c);

  /* Cancelled from inside the body, and while waiting. */
  ASSERT_OK(weft_group_new(&ca.g));
  ASSERT_OK(weft_group_spawn(ca.g, &t, child, (void *)1000, NULL));
  weft_group_cancel(ca.g);
  ASSERT_EQ(-ECANCELED, weft_yield());
  ASSERT_EQ(-ECANCELED, weft_group_wait(ca.g));
  weft_group_free(ca.g);
  weft_task_release(t);

  ASSERT_OK(weft_group_new(&ca.g));
  ASSERT_OK(weft_group_spawn(ca.g, &t, child, (void *)1000, NULL));
  ASSERT_OK(weft_spawn(&c, group_canceller, &ca, NULL));
  ASSERT_EQ(-ECANCELED, weft_group_wait(ca.g));
  ASSERT_EQ(1, weft_task_cancelled(t));
  weft_group_free(ca.g);
  weft_task_release(t);
  ASSERT_OK(weft_await(c, NULL));
  weft_task_release(c);
  ASSERT_OK(weft_sleep(0.001));
  return (void *)3;
}

TEST_IMPL(group_cancel) {
  void *res = NULL;

  ASSERT_OK(weft_test_run(group_cancel_body, NULL, &res));
  ASSERT_EQ(3, (long)res);
  return 0;
}

/* A child cancelled on its own is not a group error. */
static void *child_cancelled_main(void *arg) {
  weft_group *g;
  weft_task *t[2];

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_group_new(&g));
  ASSERT_OK(weft_group_spawn(g, &t[0], child, (void *)1000, NULL));
  ASSERT_OK(weft_group_spawn(g, &t[1], child, (void *)(long)(2 * TICK * 1000), NULL));
  ASSERT_OK(weft_yield());
  weft_task_cancel(t[0]);
  ASSERT_OK(weft_sleep(TICK)); /* the body is not interrupted */
  ASSERT_OK(weft_group_wait(g));
  ASSERT_EQ(0, weft_group_error_count(g));
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(t[1]));
  weft_group_free(g);
  weft_task_release(t[0]);
  weft_task_release(t[1]);
  return NULL;
}

TEST_IMPL(group_child_cancelled_alone_is_not_an_error) {
  ASSERT_OK(weft_test_run(child_cancelled_main, NULL, NULL));
  return 0;
}

/* Children may spawn siblings into their own group. */
static void *spawner(void *arg) {
  weft_group *g = arg;
  int rc = weft_group_spawn(g, NULL, child, (void *)(long)(2 * TICK * 1000), NULL);

  if (rc)
    return weft_fail(rc, "spawn");
  return NULL;
}

static void *spawn_from_child_main(void *arg) {
  weft_group *g;
  double t0 = weft_time();

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_group_new(&g));
  ASSERT_OK(weft_group_spawn(g, NULL, spawner, g, NULL));
  ASSERT_OK(weft_group_wait(g));
  ASSERT(weft_time() - t0 >= 2 * TICK - 0.002); /* waited for the grandchild */
  weft_group_free(g);
  return NULL;
}

TEST_IMPL(group_spawn_from_child) {
  ASSERT_OK(weft_test_run(spawn_from_child_main, NULL, NULL));
  return 0;
}

static void *nested_main(void *arg) {
  weft_group *outer, *inner;
  weft_task *o, *i;

  (void)arg;
  timers_ready();
  /* An inner failure stays inside the inner group. */
  ASSERT_OK(weft_group_new(&outer));
  ASSERT_OK(weft_group_spawn(outer, &o, child, (void *)(long)(3 * TICK * 1000), NULL));
  ASSERT_OK(weft_group_new(&inner));
  ASSERT_OK(weft_group_spawn(inner, &i, child, (void *)-5, NULL));
  ASSERT_EQ(-EINVAL, weft_group_wait(outer)); /* the inner body is innermost */
  ASSERT_EQ(-EDOM, weft_group_wait(inner));
  weft_group_free(inner);
  weft_task_release(i);
  ASSERT_OK(weft_sleep(0.001)); /* the outer body is untouched */
  ASSERT_OK(weft_group_wait(outer));
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(o));
  weft_group_free(outer);
  weft_task_release(o);

  /* An outer failure while waiting on the inner group cancels the inner
   * children; the inner wait reports the cancellation. */
  ASSERT_OK(weft_group_new(&outer));
  ASSERT_OK(weft_group_spawn(outer, &o, child, (void *)-10, NULL));
  ASSERT_OK(weft_group_new(&inner));
  ASSERT_OK(weft_group_spawn(inner, &i, child, (void *)1000, NULL));
  ASSERT_EQ(-ECANCELED, weft_group_wait(inner));
  ASSERT_EQ(1, weft_task_cancelled(i));
  weft_group_free(inner);
  weft_task_release(i);
  ASSERT_EQ(-EDOM, weft_group_wait(outer));
  ASSERT_EQ(1, weft_group_error_count(outer));
  weft_group_free(outer);
  weft_task_release(o);
  ASSERT_OK(weft_sleep(0.001));
  return NULL;
}

TEST_IMPL(group_nested) {
  ASSERT_OK(weft_test_run(nested_main, NULL, NULL));
  return 0;
}

static void *other_task_wait(void *arg) {
  return (void *)(long)weft_group_wait(arg);
}

static void *wrong_task_main(void *arg) {
  weft_group *g;
  weft_task *t;
  void *res = NULL;

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_group_new(&g));
  ASSERT_OK(weft_group_spawn(g, NULL, child, (void *)1, NULL));
  ASSERT_OK(weft_spawn(&t, other_task_wait, g, NULL));
  ASSERT_OK(weft_await(t, &res));
  ASSERT_EQ(-EINVAL, (long)res); /* only the task that opened the group */
  weft_task_release(t);
  ASSERT_OK(weft_group_wait(g));
  weft_group_free(g);
  return NULL;
}

TEST_IMPL(group_wait_from_other_task) {
  ASSERT_OK(weft_test_run(wrong_task_main, NULL, NULL));
  return 0;
}

static void *many_main(void *arg) {
  enum { N = 50 };
  weft_group *g;

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_group_new(&g));
  for (long i = 0; i < N; i++)
    ASSERT_OK(weft_group_spawn(g, NULL, child, (void *)(i % 3 == 0 ? -(i % 4 + 1) : 1000),
                               &(weft_spawn_opts){.stack_size = WEFT_STACK_MIN}));
  ASSERT_EQ(-EDOM, weft_group_wait(g));
  ASSERT_GE(weft_group_error_count(g), 1);
  for (size_t i = 0; i < weft_group_error_count(g); i++)
    ASSERT_EQ(-EDOM, weft_group_error(g, i, NULL));
  weft_group_free(g);
  return NULL;
}

TEST_IMPL(group_many_children) {
  ASSERT_OK(weft_test_run(many_main, NULL, NULL));
  return 0;
}

/* A failure while the body is shielded is seen once the shield is left. */
static void *shielded_body_main(void *arg) {
  weft_group *g;
  weft_scope sh;

  (void)arg;
  timers_ready();
  ASSERT_OK(weft_group_new(&g));
  ASSERT_OK(weft_group_spawn(g, NULL, child, (void *)-5, NULL));
  ASSERT_OK(weft_shield_enter(&sh));
  ASSERT_OK(weft_sleep(2 * TICK));
  ASSERT_OK(weft_shield_leave(&sh));
  ASSERT_EQ(-ECANCELED, weft_sleep(10));
  ASSERT_EQ(-EDOM, weft_group_wait(g));
  weft_group_free(g);
  ASSERT_OK(weft_sleep(0.001));
  return NULL;
}

TEST_IMPL(group_failure_while_body_shielded) {
  ASSERT_OK(weft_test_run(shielded_body_main, NULL, NULL));
  return 0;
}
