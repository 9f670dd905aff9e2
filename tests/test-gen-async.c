/* Async generators: bodies that suspend while a task drives them. */
#include "test.h"

/* Yields 0..n-1, sleeping `pause` seconds before each value; records what
 * its suspension points returned. */
typedef struct ticker {
  int n;
  double pause;
  int sleep_rc;   /* the last failing weft_sleep code */
  int cleanup;    /* 1 once the body cleaned up */
  int cleanup_rc; /* what a sleep inside the cleanup returned */
} ticker;

static void *tick(void *arg) {
  ticker *t = arg;
  int rc;

  for (long i = 0; i < t->n; i++) {
    if ((rc = weft_sleep(t->pause)) != 0) {
      t->sleep_rc = rc;
      return weft_gen_fail(rc);
    }
    rc = weft_yield_value((void *)i, NULL);
    if (rc == WEFT_GEN_EXIT) {
      t->cleanup_rc = weft_sleep(0.01); /* async cleanup */
      t->cleanup = 1;
      return NULL;
    }
  }
  return (void *)(long)t->n;
}

static long background_ticks;

static void *background(void *arg) {
  (void)arg;
  for (;;) {
    if (weft_sleep(0.005) != 0)
      return NULL;
    background_ticks++;
  }
}

static void *drive_ticker(void *arg) {
  ticker t = {.n = 5, .pause = 0.02};
  weft_task *bg;
  weft_gen *g;
  double t0 = weft_time();
  long expect = 0;
  void *v;
  int rc;

  (void)arg;
  background_ticks = 0;
  ASSERT_OK(weft_spawn(&bg, background, NULL, NULL));
  ASSERT_OK(weft_gen_new(&g, tick, &t, NULL));
  while ((rc = weft_gen_next(g, &v)) == 0)
    ASSERT_EQ(expect++, (long)v);
  ASSERT_EQ(WEFT_GEN_DONE, rc);
  ASSERT_EQ(5, (long)v);
  ASSERT_EQ(5, expect);
  ASSERT_GE(weft_time() - t0, 0.095);
  /* the loop ran other tasks while the body slept */
  ASSERT_GT(background_ticks, 5);
  weft_gen_release(g);
  weft_task_cancel(bg);
  ASSERT_OK(weft_await(bg, NULL)); /* it returned after seeing -ECANCELED */
  weft_task_release(bg);
  return NULL;
}

TEST_IMPL(gen_async_sleep_between_values) {
  ASSERT_OK(weft_test_run(drive_ticker, NULL, NULL));
  return 0;
}

/* A task that drives a ticker; cancelled while the body sleeps. */
static void *driver(void *arg) {
  weft_gen *g;
  void *v;
  int rc;

  if ((rc = weft_gen_new(&g, tick, arg, NULL)) != 0)
    return weft_fail(rc, NULL);
  while ((rc = weft_gen_next(g, &v)) == 0)
    ;
  weft_gen_release(g);
  return (void *)(long)rc;
}

static void *cancel_main(void *arg) {
  ticker t = {.n = 3, .pause = 10};
  weft_task *d;
  void *res;

  (void)arg;
  ASSERT_OK(weft_spawn(&d, driver, &t, NULL));
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_STR_EQ("sleep", weft_task_waiting_on(d)); /* parked inside the body */
  ASSERT_EQ(1, weft_task_cancel(d));
  ASSERT_OK(weft_await(d, &res)); /* the driver returned normally */
  ASSERT_EQ(-ECANCELED, t.sleep_rc);
  ASSERT_EQ(-ECANCELED, (long)res); /* the body let it through */
  weft_task_release(d);
  return NULL;
}

TEST_IMPL(gen_async_cancel_driver) {
  ASSERT_OK(weft_test_run(cancel_main, NULL, NULL));
  return 0;
}

/* While one task is suspended inside the body, the generator is running:
 * another task gets -EBUSY. */
static weft_gen *shared_gen;

static void *pull_one(void *arg) {
  void *v;

  (void)arg;
  return (void *)(long)weft_gen_next(shared_gen, &v);
}

static void *busy_main(void *arg) {
  ticker t = {.n = 2, .pause = 0.05};
  weft_task *a;
  void *res;
  void *v;

  (void)arg;
  ASSERT_OK(weft_gen_new(&shared_gen, tick, &t, NULL));
  ASSERT_OK(weft_spawn(&a, pull_one, NULL, NULL));
  ASSERT_OK(weft_sleep(0.01));
  ASSERT_EQ(WEFT_GEN_RUNNING, weft_gen_state_get(shared_gen));
  ASSERT_EQ(-EBUSY, weft_gen_next(shared_gen, &v));
  ASSERT_EQ(-EBUSY, weft_gen_close(shared_gen));
  ASSERT_EQ(-EBUSY, weft_gen_throw(shared_gen, -EIO, &v));
  ASSERT_OK(weft_await(a, &res));
  ASSERT_EQ(0, (long)res);
  /* now another task (this one) goes on where the first left off */
  ASSERT_OK(weft_gen_next(shared_gen, &v));
  ASSERT_EQ(1, (long)v);
  ASSERT_OK(weft_gen_aclose(shared_gen)); /* cleanup sleeps */
  ASSERT_EQ(1, t.cleanup);
  ASSERT_EQ(0, t.cleanup_rc);
  weft_gen_release(shared_gen);
  weft_task_release(a);
  return NULL;
}

TEST_IMPL(gen_async_busy_and_aclose) {
  ASSERT_OK(weft_test_run(busy_main, NULL, NULL));
  return 0;
}

/* A timeout scope of the driving task reaches the body. */
static void *timeout_main(void *arg) {
  ticker t = {.n = 3, .pause = 10};
  weft_scope sc;
  weft_gen *g;
  void *v;

  (void)arg;
  ASSERT_OK(weft_gen_new(&g, tick, &t, NULL));
  ASSERT_OK(weft_timeout_enter(&sc, 0.02));
  ASSERT_EQ(-ETIMEDOUT, weft_gen_next(g, &v));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_EQ(-ETIMEDOUT, t.sleep_rc);
  ASSERT_EQ(WEFT_GEN_CLOSED, weft_gen_state_get(g));
  weft_gen_release(g);
  return NULL;
}

TEST_IMPL(gen_async_timeout) {
  ASSERT_OK(weft_test_run(timeout_main, NULL, NULL));
  return 0;
}

/* Releasing a suspended async generator from a task runs its cleanup,
 * which may suspend. */
static void *release_main(void *arg) {
  ticker t = {.n = 3, .pause = 0.001};
  weft_gen *g;

  (void)arg;
  ASSERT_OK(weft_gen_new(&g, tick, &t, NULL));
  ASSERT_OK(weft_gen_next(g, NULL));
  weft_gen_release(g);
  ASSERT_EQ(1, t.cleanup);
  ASSERT_EQ(0, t.cleanup_rc);
  return NULL;
}

TEST_IMPL(gen_async_release_runs_cleanup) {
  ASSERT_OK(weft_test_run(release_main, NULL, NULL));
  return 0;
}

/* async for in many tasks at once, each over its own generator. */
static int add_value(void *value, void *arg) {
  *(long *)arg += (long)value;
  return 0;
}

static void *sum_task(void *arg) {
  ticker t = {.n = 10, .pause = 0.001};
  weft_gen *g;
  long sum = 0;
  int rc;

  (void)arg;
  if ((rc = weft_gen_new(&g, tick, &t, &(weft_gen_opts){.stack_size = 32768})) != 0)
    return weft_fail(rc, NULL);
  rc = weft_gen_for_each(g, add_value, &sum);
  weft_gen_release(g);
  return rc ? weft_fail(rc, NULL) : (void *)sum;
}

static void *many_main(void *arg) {
  enum { N = 50 };
  weft_task *ts[N];
  void *res[N];

  (void)arg;
  for (int i = 0; i < N; i++)
    ASSERT_OK(weft_spawn(&ts[i], sum_task, NULL, NULL));
  ASSERT_OK(weft_gather(ts, N, 0, res, NULL));
  for (int i = 0; i < N; i++) {
    ASSERT_EQ(45, (long)res[i]);
    weft_task_release(ts[i]);
  }
  return NULL;
}

TEST_IMPL(gen_async_for_each_many_tasks) {
  ASSERT_OK(weft_test_run(many_main, NULL, NULL));
  return 0;
}

/* A generator started in a loop, carried on in plain code after the loop
 * is gone (its body can then no longer suspend). */
static void *start_inside(void *arg) {
  weft_gen *g;

  ASSERT_OK(weft_gen_new(&g, tick, arg, NULL));
  ASSERT_OK(weft_gen_next(g, NULL));
  return g;
}

TEST_IMPL(gen_outlives_loop) {
  ticker t = {.n = 3, .pause = 0.001};
  weft_gen *g = NULL;
  void *v;

  ASSERT_OK(weft_run(start_inside, &t, (void **)&g));
  ASSERT_EQ(WEFT_GEN_SUSPENDED, weft_gen_state_get(g));
  ASSERT_EQ(-EPERM, weft_gen_next(g, &v));
  ASSERT_EQ(-EPERM, t.sleep_rc);
  weft_gen_release(g);
  return 0;
}

/* Driven from a loop callback (no task): the body cannot suspend. */
static long cb_value = 1;

static void *sleep_once(void *arg) {
  (void)arg;
  weft_yield_value((void *)(long)weft_sleep(0.01), NULL);
  return NULL;
}

static void from_callback(void *arg) {
  weft_gen *g = arg;
  void *v;

  ASSERT_NULL(weft_current_task());
  ASSERT_OK(weft_gen_next(g, &v));
  cb_value = (long)v;
}

static void *callback_main(void *arg) {
  weft_gen *g;

  (void)arg;
  ASSERT_OK(weft_gen_new(&g, sleep_once, NULL, NULL));
  ASSERT_OK(weft_call_soon(NULL, from_callback, g, NULL));
  ASSERT_OK(weft_sleep(0.01));
  ASSERT_EQ(-EPERM, cb_value);
  weft_gen_release(g);
  return NULL;
}

TEST_IMPL(gen_driven_from_callback) {
  ASSERT_OK(weft_test_run(callback_main, NULL, NULL));
  return 0;
}

/* yield from across suspension: the innermost body sleeps, two levels of
 * delegation above it, driven by a task that is then cancelled. */
typedef struct chain {
  ticker t;
  int middle_rc;
} chain;

static void *middle_of_chain(void *arg) {
  chain *c = arg;
  weft_gen *sub;
  void *res;
  int rc;

  if ((rc = weft_gen_new(&sub, tick, &c->t, NULL)) != 0)
    return weft_gen_fail(rc);
  rc = weft_yield_from(sub, &res);
  weft_gen_release(sub);
  c->middle_rc = rc;
  return rc ? weft_gen_fail(rc) : res;
}

static void *top_of_chain(void *arg) {
  weft_gen *sub;
  void *res;
  int rc;

  if ((rc = weft_gen_new(&sub, middle_of_chain, arg, NULL)) != 0)
    return weft_gen_fail(rc);
  rc = weft_yield_from(sub, &res);
  weft_gen_release(sub);
  return rc ? weft_gen_fail(rc) : res;
}

static void *chain_driver(void *arg) {
  weft_gen *g;
  void *v;
  long n = 0;
  int rc;

  if ((rc = weft_gen_new(&g, top_of_chain, arg, NULL)) != 0)
    return weft_fail(rc, NULL);
  while ((rc = weft_gen_next(g, &v)) == 0)
    ASSERT_EQ(n++, (long)v);
  weft_gen_release(g);
  if (rc != WEFT_GEN_DONE)
    return weft_fail(rc, NULL);
  return (void *)n;
}

static void *chain_main(void *arg) {
  chain c = {.t = {.n = 3, .pause = 0.005}};
  chain slow = {.t = {.n = 3, .pause = 10}};
  weft_task *d;
  void *res;

  (void)arg;
  /* values flow out through two delegations, across sleeps */
  ASSERT_OK(weft_spawn(&d, chain_driver, &c, NULL));
  ASSERT_OK(weft_await(d, &res));
  ASSERT_EQ(3, (long)res);
  ASSERT_EQ(0, c.middle_rc);
  weft_task_release(d);
  /* cancellation reaches the innermost body and comes back up the chain */
  ASSERT_OK(weft_spawn(&d, chain_driver, &slow, NULL));
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_EQ(1, weft_task_cancel(d));
  ASSERT_EQ(-ECANCELED, weft_await(d, NULL));
  ASSERT_EQ(-ECANCELED, slow.t.sleep_rc);
  ASSERT_EQ(-ECANCELED, slow.middle_rc);
  weft_task_release(d);
  return NULL;
}

TEST_IMPL(gen_async_yield_from_chain) {
  ASSERT_OK(weft_test_run(chain_main, NULL, NULL));
  return 0;
}
