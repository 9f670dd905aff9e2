/* Timeout scopes: deadlines, nesting, rescheduling; and a deadline (or a
 * cancel) arriving at every kind of suspension point. */
#include <signal.h>
#include <sys/wait.h>

#include "test.h"

#define TICK 0.02 /* the deadline used throughout; checks allow wide slack */

static void *basic_main(void *arg) {
  weft_scope sc;
  double t0 = weft_time();

  (void)arg;
  ASSERT_OK(weft_timeout_enter(&sc, TICK));
  ASSERT_NEAR(weft_time() + TICK, weft_timeout_when(&sc), 0.005);
  ASSERT_EQ(0, weft_timeout_expired(&sc));
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT(weft_time() - t0 >= TICK - 0.002);
  ASSERT(weft_time() - t0 < 0.5);
  ASSERT_EQ(1, weft_timeout_expired(&sc));
  /* Past the deadline every suspension point inside keeps failing. */
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT_EQ(-ETIMEDOUT, weft_yield());
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  /* Leaving leaves no trace. */
  ASSERT_OK(weft_sleep(0.001));
  ASSERT_OK(weft_yield());
  return (void *)8;
}

TEST_IMPL(timeout_expires_and_sticks_until_leave) {
  void *res = NULL;

  ASSERT_OK(weft_test_run(basic_main, NULL, &res));
  ASSERT_EQ(8, (long)res); /* a timeout is not a cancellation of the task */
  return 0;
}

static void *not_expired_main(void *arg) {
  weft_scope sc;

  (void)arg;
  ASSERT_OK(weft_timeout_enter(&sc, 1));
  ASSERT_OK(weft_sleep(0.005));
  ASSERT_OK(weft_yield());
  ASSERT_EQ(0, weft_timeout_expired(&sc));
  ASSERT_OK(weft_timeout_leave(&sc));
  ASSERT_OK(weft_timeout_enter(&sc, INFINITY));
  ASSERT(isinf(weft_timeout_when(&sc)));
  ASSERT_OK(weft_sleep(0.005));
  ASSERT_OK(weft_timeout_leave(&sc));
  return NULL;
}

TEST_IMPL(timeout_not_reached) {
  ASSERT_OK(weft_test_run(not_expired_main, NULL, NULL));
  return 0;
}

static void *at_main(void *arg) {
  weft_scope sc;
  double when = weft_time() + TICK;

  (void)arg;
  ASSERT_OK(weft_timeout_enter_at(&sc, when));
  ASSERT_NEAR(when, weft_timeout_when(&sc), 1e-6);
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT(weft_time() >= when - 0.002);
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));

  /* A time in the past expires at once: the first suspension fails, be it
   * a sleep or a bare yield. */
  ASSERT_OK(weft_timeout_enter_at(&sc, weft_time() - 1));
  ASSERT_EQ(-ETIMEDOUT, weft_yield());
  ASSERT_EQ(1, weft_timeout_expired(&sc));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_OK(weft_timeout_enter_at(&sc, 0));
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  return NULL;
}

TEST_IMPL(timeout_enter_at) {
  ASSERT_OK(weft_test_run(at_main, NULL, NULL));
  return 0;
}

static void *zero_main(void *arg) {
  weft_scope sc;
  double t0;

  (void)arg;
  ASSERT_OK(weft_timeout_enter(&sc, 0));
  ASSERT_EQ(-ETIMEDOUT, weft_yield());
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));

  t0 = weft_time();
  ASSERT_OK(weft_timeout_enter(&sc, 0));
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT(weft_time() - t0 < 0.5);
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));

  /* No suspension inside: nothing to interrupt, but the deadline passed. */
  ASSERT_OK(weft_timeout_enter(&sc, 0));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  return NULL;
}

TEST_IMPL(timeout_zero_expires_at_first_suspension) {
  ASSERT_OK(weft_test_run(zero_main, NULL, NULL));
  return 0;
}

static void *bad_args_main(void *arg) {
  weft_scope sc, other;

  (void)arg;
  ASSERT_EQ(-EINVAL, weft_timeout_enter(&sc, NAN));
  ASSERT_EQ(-EINVAL, weft_timeout_enter(&sc, -1));
  ASSERT_EQ(-EINVAL, weft_timeout_enter_at(&sc, NAN));
  ASSERT_OK(weft_timeout_enter(&sc, 1));
  ASSERT_EQ(-EINVAL, weft_timeout_reschedule(&sc, NAN));
  ASSERT_EQ(-EINVAL, weft_shield_leave(&sc)); /* not a shield */
  ASSERT_OK(weft_shield_enter(&other));
  ASSERT_EQ(-EINVAL, weft_timeout_leave(&other)); /* not a timeout */
  ASSERT_EQ(-EINVAL, weft_timeout_reschedule(&other, weft_time() + 1));
  ASSERT_EQ(-EINVAL, weft_timeout_leave(&sc)); /* not innermost */
  ASSERT_OK(weft_shield_leave(&other));
  ASSERT_OK(weft_timeout_leave(&sc));
  ASSERT_OK(weft_sleep(0.001));
  return NULL;
}

TEST_IMPL(timeout_bad_arguments) {
  weft_scope sc;

  ASSERT_EQ(-EPERM, weft_timeout_enter(&sc, 1)); /* outside a task */
  ASSERT_EQ(-EPERM, weft_timeout_enter_at(&sc, 1));
  ASSERT_EQ(-EPERM, weft_shield_enter(&sc));
  ASSERT_OK(weft_test_run(bad_args_main, NULL, NULL));
  return 0;
}

static void *nested_inner_main(void *arg) {
  weft_scope outer, inner;

  (void)arg;
  ASSERT_OK(weft_timeout_enter(&outer, 1));
  ASSERT_OK(weft_timeout_enter(&inner, TICK));
  ASSERT_EQ(-EINVAL, weft_timeout_leave(&outer));
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT_EQ(1, weft_timeout_expired(&inner));
  ASSERT_EQ(0, weft_timeout_expired(&outer));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&inner));
  ASSERT_OK(weft_sleep(0.005)); /* the inner scope left no trace */
  ASSERT_OK(weft_timeout_leave(&outer));
  return NULL;
}

TEST_IMPL(timeout_nested_inner_earlier) {
  ASSERT_OK(weft_test_run(nested_inner_main, NULL, NULL));
  return 0;
}

static void *nested_outer_main(void *arg) {
  weft_scope outer, inner;
  double t0 = weft_time();

  (void)arg;
  ASSERT_OK(weft_timeout_enter(&outer, TICK));
  ASSERT_OK(weft_timeout_enter(&inner, 1));
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT(weft_time() - t0 < 0.5);
  ASSERT_EQ(0, weft_timeout_expired(&inner));
  ASSERT_EQ(1, weft_timeout_expired(&outer));
  ASSERT_OK(weft_timeout_leave(&inner)); /* the inner deadline did not pass */
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10)); /* still inside the outer scope */
  /* An inner scope entered after the outer deadline fails at once too. */
  ASSERT_OK(weft_timeout_enter(&inner, 1));
  ASSERT_EQ(-ETIMEDOUT, weft_yield());
  ASSERT_OK(weft_timeout_leave(&inner));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&outer));
  ASSERT_OK(weft_sleep(0.001));
  return NULL;
}

TEST_IMPL(timeout_nested_outer_earlier) {
  ASSERT_OK(weft_test_run(nested_outer_main, NULL, NULL));
  return 0;
}

static void *resched_main(void *arg) {
  weft_scope sc;
  double t0 = weft_time();

  (void)arg;
  /* Later. */
  ASSERT_OK(weft_timeout_enter(&sc, TICK));
  ASSERT_OK(weft_timeout_reschedule(&sc, t0 + 5 * TICK));
  ASSERT_NEAR(t0 + 5 * TICK, weft_timeout_when(&sc), 1e-6);
  ASSERT_OK(weft_sleep(2 * TICK));
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT(weft_time() - t0 >= 5 * TICK - 0.002);
  ASSERT(weft_time() - t0 < 1.0);
  /* Expired: too late to move it. */
  ASSERT_EQ(-EINVAL, weft_timeout_reschedule(&sc, weft_time() + 10));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));

  /* Earlier. */
  t0 = weft_time();
  ASSERT_OK(weft_timeout_enter(&sc, 10));
  ASSERT_OK(weft_timeout_reschedule(&sc, t0 + TICK));
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT(weft_time() - t0 < 0.5);
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));

  /* To none, and back from none. */
  ASSERT_OK(weft_timeout_enter(&sc, TICK / 2));
  ASSERT_OK(weft_timeout_reschedule(&sc, INFINITY));
  ASSERT(isinf(weft_timeout_when(&sc)));
  ASSERT_OK(weft_sleep(2 * TICK));
  ASSERT_EQ(0, weft_timeout_expired(&sc));
  ASSERT_OK(weft_timeout_reschedule(&sc, weft_time() + TICK));
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));

  /* To the past: expires at the next suspension. */
  ASSERT_OK(weft_timeout_enter(&sc, 10));
  ASSERT_OK(weft_timeout_reschedule(&sc, weft_time() - 1));
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  return NULL;
}

TEST_IMPL(timeout_reschedule) {
  ASSERT_OK(weft_test_run(resched_main, NULL, NULL));
  return 0;
}

static void *canceller(void *arg) {
  ASSERT_OK(weft_sleep(2 * TICK));
  weft_task_cancel(arg);
  return NULL;
}

static void *cancel_wins_body(void *arg) {
  weft_scope sc, sh;

  (void)arg;
  ASSERT_OK(weft_timeout_enter(&sc, TICK / 2));
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  ASSERT_EQ(-ETIMEDOUT, weft_sleep(10));
  /* The cancel arrives while the scope has expired: it wins. The expired
   * scope fails every suspension at once, so wait for it shielded. */
  ASSERT_OK(weft_spawn(NULL, canceller, weft_current_task(), NULL));
  ASSERT_OK(weft_shield_enter(&sh));
  ASSERT_OK(weft_sleep(3 * TICK));
  ASSERT_OK(weft_shield_leave(&sh));
  ASSERT_EQ(-ECANCELED, weft_sleep(10));
  ASSERT_EQ(-ECANCELED, weft_yield());
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  /* Cancelled first, deadline after: still -ECANCELED. */
  ASSERT_OK(weft_timeout_enter(&sc, 0));
  ASSERT_EQ(-ECANCELED, weft_sleep(10));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_EQ(-ECANCELED, weft_sleep(10));
  return (void *)2;
}

static void *cancel_wins_main(void *arg) {
  weft_task *t;
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, cancel_wins_body, NULL, NULL));
  ASSERT_OK(weft_await(t, &res));
  ASSERT_EQ(2, (long)res);
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(timeout_cancel_wins) {
  ASSERT_OK(weft_test_run(cancel_wins_main, NULL, NULL));
  return 0;
}

static void *yield_loop_main(void *arg) {
  weft_scope sc;
  long n = 0;
  int rc;
  double t0 = weft_time();

  (void)arg;
  ASSERT_OK(weft_timeout_enter(&sc, TICK));
  while ((rc = weft_yield()) == 0)
    n++;
  ASSERT_EQ(-ETIMEDOUT, rc);
  ASSERT_GT(n, 0);
  ASSERT(weft_time() - t0 >= TICK - 0.002);
  ASSERT(weft_time() - t0 < 0.5);
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  return NULL;
}

TEST_IMPL(timeout_interrupts_yield_loop) {
  ASSERT_OK(weft_test_run(yield_loop_main, NULL, NULL));
  return 0;
}

/* ------------------------------------------------------------------ */
/* A deadline, or a cancel from another task, at every suspension point */
/* ------------------------------------------------------------------ */

/* What a row shares between the main task, the victim and the helpers. */
typedef struct row_ctx {
  weft_task *helper[3];
  size_t nhelpers;
  weft_future *future;
} row_ctx;

typedef struct row {
  const char *name;
  void (*setup)(row_ctx *c);
  int (*block)(row_ctx *c); /* runs in the victim; returns the code it got */
  void (*check)(row_ctx *c);
} row;

static void *sleep_then(void *arg) {
  int rc = weft_sleep(10);

  if (rc)
    return weft_fail(rc, "interrupted");
  return arg;
}

static void *short_job(void *arg) {
  ASSERT_OK(weft_sleep(3 * TICK));
  return arg;
}

/* Catches the cancel and cleans up, shielded, before finishing. */
static void *cleaning_up(void *arg) {
  weft_scope sh;

  ASSERT_EQ(-ECANCELED, weft_sleep(10));
  ASSERT_OK(weft_shield_enter(&sh));
  ASSERT_OK(weft_sleep(3 * TICK));
  ASSERT_OK(weft_shield_leave(&sh));
  return arg;
}

static void spawn_helpers(row_ctx *c, weft_task_fn fn, size_t n) {
  for (size_t i = 0; i < n; i++)
    ASSERT_OK(weft_spawn(&c->helper[i], fn, (void *)(long)(i + 1), NULL));
  c->nhelpers = n;
}

static void setup_none(row_ctx *c) {
  (void)c;
}
static void setup_two_sleepers(row_ctx *c) {
  spawn_helpers(c, sleep_then, 2);
}
static void setup_short_job(row_ctx *c) {
  spawn_helpers(c, short_job, 1);
}
static void setup_future(row_ctx *c) {
  ASSERT_OK(weft_future_new(&c->future, NULL));
}
static void setup_cleaning_up(row_ctx *c) {
  spawn_helpers(c, cleaning_up, 1);
  ASSERT_OK(weft_yield());
  ASSERT_EQ(1, weft_task_cancel(c->helper[0])); /* now in its shielded cleanup */
  ASSERT_OK(weft_yield());
}

static int block_sleep(row_ctx *c) {
  (void)c;
  return weft_sleep(10);
}
static int block_yield(row_ctx *c) {
  int rc;

  (void)c;
  while ((rc = weft_yield()) == 0)
    ;
  return rc;
}
static int block_await(row_ctx *c) {
  return weft_await(c->helper[0], NULL);
}
static int block_future(row_ctx *c) {
  return weft_future_await(c->future, NULL);
}
static int block_gather(row_ctx *c) {
  return weft_gather(c->helper, c->nhelpers, 0, NULL, NULL);
}
static int block_wait(row_ctx *c) {
  int done[3] = {9, 9, 9};
  size_t ndone = 9;
  int rc = weft_wait(c->helper, c->nhelpers, WEFT_ALL_COMPLETED, INFINITY, done, &ndone);

  ASSERT_EQ(0, ndone);
  ASSERT_EQ(0, done[0]);
  return rc;
}
static int block_as_completed(row_ctx *c) {
  weft_as_completed *ac;
  weft_task *next = NULL;
  int rc = weft_as_completed_new(&ac, c->helper, c->nhelpers, INFINITY);

  if (rc)
    return rc;
  rc = weft_as_completed_next(ac, &next);
  weft_as_completed_free(ac);
  return rc;
}
static void *group_child(void *arg) {
  int rc = weft_sleep(10);

  *(int *)arg = rc;
  return NULL;
}
static int block_group(row_ctx *c) {
  static int codes[2];
  weft_group *g;
  int rc;

  (void)c;
  codes[0] = codes[1] = 1;
  if ((rc = weft_group_new(&g)) != 0)
    return rc;
  for (int i = 0; i < 2 && rc == 0; i++)
    rc = weft_group_spawn(g, NULL, group_child, &codes[i], NULL);
  if (rc) { /* a failed spawn: report it once the group is wound up */
    weft_group_cancel(g);
    weft_group_wait(g);
    weft_group_free(g);
    return rc;
  }
  rc = weft_group_wait(g);
  weft_group_free(g);
  /* The group waited for its children, which were cancelled. */
  ASSERT_EQ(-ECANCELED, codes[0]);
  ASSERT_EQ(-ECANCELED, codes[1]);
  return rc;
}
static int block_shield(row_ctx *c) {
  return weft_shield(c->helper[0], NULL);
}
static int block_wait_for(row_ctx *c) {
  return weft_wait_for(c->helper[0], 10, NULL);
}

static void check_none(row_ctx *c) {
  (void)c;
}
/* The helpers were cancelled by the interrupted call, and finished. */
static void check_helpers_cancelled(row_ctx *c) {
  for (size_t i = 0; i < c->nhelpers; i++) {
    ASSERT_EQ(-ECANCELED, weft_await(c->helper[i], NULL));
    ASSERT_EQ(1, weft_task_cancelled(c->helper[i]));
  }
}
/* The helpers from `from` on were left running. */
static void check_running_from(row_ctx *c, size_t from) {
  for (size_t i = from; i < c->nhelpers; i++) {
    ASSERT_EQ(0, weft_task_done(c->helper[i]));
    weft_task_cancel(c->helper[i]);
    ASSERT_EQ(-ECANCELED, weft_await(c->helper[i], NULL));
  }
}
static void check_helpers_running(row_ctx *c) {
  check_running_from(c, 0);
}
/* The awaited helper was cancelled with its awaiter; the other one runs. */
static void check_awaited_cancelled(row_ctx *c) {
  ASSERT_EQ(-ECANCELED, weft_await(c->helper[0], NULL));
  ASSERT_EQ(1, weft_task_cancelled(c->helper[0]));
  check_running_from(c, 1);
}
/* wait_for waited for the task it cancelled before returning. */
static void check_waited_cancelled(row_ctx *c) {
  ASSERT_EQ(1, weft_task_cancelled(c->helper[0]));
  check_running_from(c, 1);
}
/* The shielded job (or the cleanup) goes on and ends with its value. */
static void check_helper_completes(row_ctx *c) {
  void *res = NULL;

  ASSERT_EQ(0, weft_task_done(c->helper[0]));
  ASSERT_OK(weft_await(c->helper[0], &res));
  ASSERT_EQ(1, (long)res);
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(c->helper[0]));
}
static void check_future_untouched(row_ctx *c) {
  ASSERT_EQ(0, weft_future_done(c->future));
  ASSERT_OK(weft_future_set_result(c->future, NULL));
}

static const row rows[] = {
    {"sleep", setup_none, block_sleep, check_none},
    {"yield loop", setup_none, block_yield, check_none},
    {"await", setup_two_sleepers, block_await, check_awaited_cancelled},
    {"future_await", setup_future, block_future, check_future_untouched},
    {"gather", setup_two_sleepers, block_gather, check_helpers_cancelled},
    {"wait", setup_two_sleepers, block_wait, check_helpers_running},
    {"as_completed_next", setup_two_sleepers, block_as_completed, check_helpers_running},
    {"group_wait", setup_none, block_group, check_none},
    {"shield", setup_short_job, block_shield, check_helper_completes},
    {"wait_for", setup_two_sleepers, block_wait_for, check_waited_cancelled},
    {"await a cancelling task", setup_cleaning_up, block_await, check_helper_completes},
};

typedef struct row_run {
  const row *r;
  row_ctx c;
  int cancel; /* 0: a deadline in the victim; 1: a cancel from main */
  int code;
  double took;
} row_run;

static void *victim(void *arg) {
  row_run *rr = arg;
  int expect = rr->cancel ? -ECANCELED : -ETIMEDOUT;
  weft_scope sc;
  double t0 = weft_time();
  int rc;

  if (!rr->cancel)
    ASSERT_OK(weft_timeout_enter(&sc, TICK));
  rc = rr->r->block(&rr->c);
  rr->took = weft_time() - t0;
  rr->code = rc;
  if (rc != expect && !(weft_test_torture && rc == -ENOMEM))
    fprintf(stderr, "row '%s': got %s\n", rr->r->name, weft_err_name(rc));
  ASSERT_EQ(expect, rc);
  if (!rr->cancel)
    ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  return (void *)rr;
}

static void *row_main(void *arg) {
  row_run *rr = arg;
  weft_task *v;
  void *res = NULL;

  memset(&rr->c, 0, sizeof(rr->c));
  /* The first timer allocates the loop's timer heap: do it here, so that
   * under --torture that failure surfaces in main, not in a helper. */
  ASSERT_OK(weft_sleep(1e-6));
  rr->r->setup(&rr->c);
  ASSERT_OK(weft_spawn(&v, victim, rr, NULL));
  if (rr->cancel) {
    ASSERT_OK(weft_sleep(TICK));
    ASSERT_EQ(1, weft_task_cancel(v));
  }
  /* The victim saw the code and returned normally: its value stands. */
  ASSERT_OK(weft_await(v, &res));
  ASSERT(res == rr);
  weft_task_release(v);
  rr->r->check(&rr->c);
  for (size_t i = 0; i < rr->c.nhelpers; i++)
    weft_task_release(rr->c.helper[i]);
  weft_future_release(rr->c.future);
  ASSERT_EQ(1, weft_all_tasks(NULL, NULL, 0)); /* nothing left behind */
  return NULL;
}

static void run_rows(int cancel) {
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    row_run rr = {.r = &rows[i], .cancel = cancel};

    ASSERT_OK(weft_test_run(row_main, &rr, NULL));
    ASSERT_EQ(cancel ? -ECANCELED : -ETIMEDOUT, rr.code);
    ASSERT(rr.took >= TICK * 0.8);
    ASSERT(rr.took < 1.0);
  }
}

TEST_IMPL(timeout_at_every_suspension_point) {
  run_rows(0);
  return 0;
}

TEST_IMPL(cancel_at_every_suspension_point) {
  run_rows(1);
  return 0;
}

/* Another task moves a parked task's deadline. */
typedef struct resched_arg {
  weft_scope sc;
  double at;
  int rc;
} resched_arg;

static void *resched_victim(void *arg) {
  resched_arg *ra = arg;

  ASSERT_OK(weft_timeout_enter(&ra->sc, 10));
  ra->rc = weft_sleep(10);
  ra->at = weft_time();
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&ra->sc));
  return NULL;
}

static void *resched_other_main(void *arg) {
  resched_arg ra = {.rc = 1};
  weft_task *t;
  double t0;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, resched_victim, &ra, NULL));
  ASSERT_OK(weft_sleep(TICK / 2));
  t0 = weft_time();
  ASSERT_OK(weft_timeout_reschedule(&ra.sc, t0 + TICK));
  ASSERT_OK(weft_sleep(TICK / 2));
  ASSERT_EQ(1, ra.rc); /* not yet */
  ASSERT_OK(weft_await(t, NULL));
  ASSERT_EQ(-ETIMEDOUT, ra.rc);
  ASSERT(ra.at - t0 >= TICK - 0.002);
  weft_task_release(t);

  /* Moved into the past: the parked task is interrupted at once. */
  ra.rc = 1;
  ASSERT_OK(weft_spawn(&t, resched_victim, &ra, NULL));
  ASSERT_OK(weft_sleep(TICK / 2));
  t0 = weft_time();
  ASSERT_OK(weft_timeout_reschedule(&ra.sc, 0));
  ASSERT_EQ(1, weft_timeout_expired(&ra.sc));
  ASSERT_OK(weft_await(t, NULL));
  ASSERT_EQ(-ETIMEDOUT, ra.rc);
  ASSERT(ra.at - t0 < 0.5);
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(timeout_reschedule_from_other_task) {
  ASSERT_OK(weft_test_run(resched_other_main, NULL, NULL));
  return 0;
}

/* A task that returns with a timeout scope still open is a bug the runtime
 * reports loudly: the scope's timer lived on a stack frame that is gone. */
int core_test_child(void (*fn)(void *), void *arg, int *status, char *err, size_t errlen);

static void *leaves_open(void *arg) {
  weft_scope sc;

  (void)arg;
  ASSERT_OK(weft_timeout_enter(&sc, TICK));
  ASSERT_OK(weft_yield());
  return (void *)1;
}

static void *left_open_main(void *arg) {
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, leaves_open, NULL, &(weft_spawn_opts){.name = "forgetful"}));
  weft_await(t, NULL);
  weft_task_release(t);
  return NULL;
}

static void run_left_open(void *arg) {
  (void)arg;
  weft_run(left_open_main, NULL, NULL);
}

TEST_IMPL(timeout_scope_left_open_aborts) {
  char err[512];
  int status = 0;

  ASSERT_OK(core_test_child(run_left_open, NULL, &status, err, sizeof(err)));
  ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
  ASSERT(strstr(err, "'forgetful'") != NULL);
  ASSERT(strstr(err, "without leaving") != NULL);
  return 0;
}
