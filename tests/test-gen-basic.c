/* Generators driven from plain code: values, send, throw, close, states,
 * return values, priming, release. */
#include "test.h"

/* fib(n): yields the Fibonacci numbers below n. */
static void *fib(void *arg) {
  long n = (long)arg, a = 0, b = 1, t;

  while (b < n) {
    t = a + b;
    a = b;
    b = t;
    if (weft_yield_value((void *)a, NULL) != 0)
      break;
  }
  return (void *)-1L;
}

TEST_IMPL(gen_fib) {
  static const long want[] = {1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89};
  long before = weft_test_live_allocations();
  weft_gen *g;
  void *v;
  size_t i = 0;
  int rc;

  ASSERT_OK(weft_gen_new(&g, fib, (void *)100L, &(weft_gen_opts){.name = "fib"}));
  ASSERT_STR_EQ("fib", weft_gen_name(g));
  while ((rc = weft_gen_next(g, &v)) == 0) {
    ASSERT_LT(i, 11);
    ASSERT_EQ(want[i++], (long)v);
  }
  ASSERT_EQ(11, i);
  ASSERT_EQ(WEFT_GEN_DONE, rc);
  ASSERT_EQ(-1L, (long)v); /* StopIteration.value */
  ASSERT_EQ(WEFT_GEN_CLOSED, weft_gen_state_get(g));
  /* exhausted: StopIteration again, without a value */
  v = (void *)1;
  ASSERT_EQ(WEFT_GEN_DONE, weft_gen_next(g, &v));
  ASSERT_NULL(v);
  ASSERT_EQ(WEFT_GEN_DONE, weft_gen_send(g, NULL, NULL));
  weft_gen_release(g);
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

/* The seed's generator(): echoes what it is sent; a thrown code prints
 * "OVER" and yields the previous value again. */
static weft_gen *seen_inside;
static weft_gen_state state_inside;
static int overs;

static void *echo(void *arg) {
  void *i = arg, *value = NULL;
  int rc;

  for (;;) {
    seen_inside = weft_gen_current();
    state_inside = weft_gen_state_get(seen_inside);
    rc = weft_yield_value(i, &value);
    if (rc == WEFT_GEN_EXIT)
      return NULL;
    if (rc < 0)
      overs++; /* caught: keep going with the old value */
    else
      i = value;
  }
}

TEST_IMPL(gen_states_send_throw_close) {
  long before = weft_test_live_allocations();
  weft_gen *g;
  void *v;

  overs = 0;
  ASSERT_OK(weft_gen_new(&g, echo, "start", NULL));
  ASSERT_EQ(WEFT_GEN_CREATED, weft_gen_state_get(g));
  ASSERT_STR_EQ("GEN_CREATED", weft_gen_state_name(g));
  ASSERT_STR_EQ("generator", weft_gen_name(g));
  ASSERT_EQ(-EINVAL, weft_gen_send(g, "early", &v)); /* TypeError */
  ASSERT_EQ(WEFT_GEN_CREATED, weft_gen_state_get(g));
  ASSERT_OK(weft_gen_next(g, &v));
  ASSERT_STR_EQ("start", v);
  ASSERT(seen_inside == g);
  ASSERT_EQ(WEFT_GEN_RUNNING, state_inside);
  ASSERT_STR_EQ("GEN_SUSPENDED", weft_gen_state_name(g));
  ASSERT_OK(weft_gen_send(g, "hello world", &v));
  ASSERT_STR_EQ("hello world", v);
  /* caught inside: yields again */
  ASSERT_OK(weft_gen_throw(g, -EDOM, &v));
  ASSERT_EQ(1, overs);
  ASSERT_STR_EQ("hello world", v);
  ASSERT_EQ(-EINVAL, weft_gen_throw(g, 5, &v)); /* only error codes are thrown */
  ASSERT_OK(weft_gen_close(g));
  ASSERT_STR_EQ("GEN_CLOSED", weft_gen_state_name(g));
  ASSERT_OK(weft_gen_close(g));                   /* closing twice is a no-op */
  ASSERT_EQ(-EDOM, weft_gen_throw(g, -EDOM, &v)); /* re-raised at once */
  ASSERT_NULL(weft_gen_current());
  weft_gen_release(g);
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

/* Accumulates what it is sent until "CLOSE", then returns the count; lets
 * a thrown code through. */
static void *collect(void *arg) {
  long *n = arg;
  void *value;
  int rc;

  for (;;) {
    if ((rc = weft_yield_value(NULL, &value)) != 0)
      return weft_gen_fail(rc);
    if (value && strcmp(value, "CLOSE") == 0)
      return (void *)*n;
    ++*n;
  }
}

TEST_IMPL(gen_return_value_and_uncaught_throw) {
  long n = 0, before = weft_test_live_allocations();
  weft_gen *g;
  void *v;

  ASSERT_OK(weft_gen_new(&g, collect, &n, &(weft_gen_opts){.primed = 1}));
  ASSERT_EQ(WEFT_GEN_SUSPENDED, weft_gen_state_get(g)); /* primed */
  ASSERT_EQ(-EINVAL, weft_gen_prime(g));                /* only a new one */
  ASSERT_OK(weft_gen_send(g, "a", &v));
  ASSERT_OK(weft_gen_send(g, "b", &v));
  ASSERT_EQ(WEFT_GEN_DONE, weft_gen_send(g, "CLOSE", &v));
  ASSERT_EQ(2, (long)v);
  weft_gen_release(g);

  n = 0;
  ASSERT_OK(weft_gen_new(&g, collect, &n, NULL));
  ASSERT_OK(weft_gen_prime(g));
  ASSERT_EQ(-EIO, weft_gen_throw(g, -EIO, &v)); /* propagated out */
  ASSERT_NULL(v);
  ASSERT_EQ(WEFT_GEN_CLOSED, weft_gen_state_get(g));
  ASSERT_EQ(WEFT_GEN_DONE, weft_gen_next(g, &v));
  weft_gen_release(g);

  /* thrown into a new generator: it never runs */
  n = 0;
  ASSERT_OK(weft_gen_new(&g, collect, &n, NULL));
  ASSERT_EQ(-EPIPE, weft_gen_throw(g, -EPIPE, NULL));
  ASSERT_EQ(WEFT_GEN_CLOSED, weft_gen_state_get(g));
  ASSERT_EQ(WEFT_GEN_DONE, weft_gen_next(g, NULL));
  weft_gen_release(g);
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

/* Records its cleanup; what it does on WEFT_GEN_EXIT depends on mode. */
static int cleanups, exits_seen;

static void *closable(void *arg) {
  long mode = (long)arg;
  char *buf = mode == 3 ? NULL : weft_malloc(32); /* freed by the cleanup */
  int rc;

  for (long i = 0;; i++) {
    rc = weft_yield_value((void *)i, NULL);
    if (rc != WEFT_GEN_EXIT)
      continue;
    if (++exits_seen == 1 && mode == 1)
      continue; /* ignores GeneratorExit once */
    if (mode == 3)
      continue; /* ignores it forever */
    cleanups++;
    weft_free(buf);
    if (mode == 2)
      return weft_gen_fail(-EIO);
    if (mode == 4)
      return weft_gen_fail(WEFT_GEN_EXIT); /* re-raise */
    return NULL;
  }
}

static weft_gen *new_closable(long mode) {
  weft_gen *g;

  cleanups = exits_seen = 0;
  ASSERT_OK(weft_gen_new(&g, closable, (void *)mode, NULL));
  ASSERT_OK(weft_gen_next(g, NULL));
  return g;
}

TEST_IMPL(gen_close_runs_cleanup) {
  long before = weft_test_live_allocations();
  weft_gen *g = new_closable(0);

  ASSERT_OK(weft_gen_close(g));
  ASSERT_EQ(1, cleanups);
  ASSERT_EQ(WEFT_GEN_CLOSED, weft_gen_state_get(g));
  weft_gen_release(g);

  g = new_closable(4);
  ASSERT_OK(weft_gen_close(g)); /* GeneratorExit re-raised: a clean close */
  ASSERT_EQ(1, cleanups);
  weft_gen_release(g);

  g = new_closable(2);
  ASSERT_EQ(-EIO, weft_gen_close(g)); /* another error escapes close */
  ASSERT_EQ(WEFT_GEN_CLOSED, weft_gen_state_get(g));
  weft_gen_release(g);

  /* a new generator is closed without running */
  ASSERT_OK(weft_gen_new(&g, closable, NULL, NULL));
  ASSERT_OK(weft_gen_close(g));
  ASSERT_EQ(WEFT_GEN_CLOSED, weft_gen_state_get(g));
  weft_gen_release(g);
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

TEST_IMPL(gen_close_ignored) {
  long before = weft_test_live_allocations();
  weft_gen *g = new_closable(1);
  void *v;

  /* RuntimeError: generator ignored GeneratorExit; it stays suspended */
  ASSERT_EQ(-EINVAL, weft_gen_close(g));
  ASSERT_EQ(WEFT_GEN_SUSPENDED, weft_gen_state_get(g));
  ASSERT_OK(weft_gen_next(g, &v));
  ASSERT_EQ(2, (long)v);
  ASSERT_OK(weft_gen_close(g));
  ASSERT_EQ(1, cleanups);
  weft_gen_release(g);
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

TEST_IMPL(gen_release_closes) {
  long before = weft_test_live_allocations();
  weft_gen *g = new_closable(0);

  weft_gen_release(g); /* suspended: its cleanup runs */
  ASSERT_EQ(1, cleanups);
  ASSERT_EQ(before, weft_test_live_allocations());

  /* never started: nothing runs */
  cleanups = 0;
  ASSERT_OK(weft_gen_new(&g, closable, NULL, NULL));
  weft_gen_release(g);
  ASSERT_EQ(0, cleanups);

  /* retain keeps it alive */
  g = new_closable(0);
  ASSERT(weft_gen_retain(g) == g);
  weft_gen_release(g);
  ASSERT_EQ(0, cleanups);
  ASSERT_EQ(WEFT_GEN_SUSPENDED, weft_gen_state_get(g));
  weft_gen_release(g);
  ASSERT_EQ(1, cleanups);
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

TEST_IMPL(gen_release_ignoring_exit) {
  weft_gen *g = new_closable(3);

  /* reported on stderr; the stack is dropped anyway */
  long before = weft_test_live_allocations();
  weft_gen_release(g);
  ASSERT_EQ(1, exits_seen);
  ASSERT_EQ(0, cleanups);
  ASSERT_EQ(before - 1, weft_test_live_allocations());
  return 0;
}

/* A body that resumes or closes itself gets -EBUSY (ValueError). */
static int self_next, self_close, self_yield_from;

static void *self_resumer(void *arg) {
  (void)arg;
  self_next = weft_gen_next(weft_gen_current(), NULL);
  self_close = weft_gen_close(weft_gen_current());
  self_yield_from = weft_yield_from(weft_gen_current(), NULL);
  return NULL;
}

TEST_IMPL(gen_running_is_busy) {
  weft_gen *g;

  ASSERT_OK(weft_gen_new(&g, self_resumer, NULL, NULL));
  ASSERT_EQ(WEFT_GEN_DONE, weft_gen_next(g, NULL));
  ASSERT_EQ(-EBUSY, self_next);
  ASSERT_EQ(-EBUSY, self_close);
  ASSERT_EQ(-EBUSY, self_yield_from);
  weft_gen_release(g);
  return 0;
}

static void *fails_at_once(void *arg) {
  (void)arg;
  return weft_gen_fail(-ENOENT);
}

static void *returns_at_once(void *arg) {
  return arg;
}

TEST_IMPL(gen_misuse) {
  long before = weft_test_live_allocations();
  weft_gen *g = (weft_gen *)1;
  void *v;

  ASSERT_EQ(-EINVAL, weft_gen_new(NULL, fib, NULL, NULL));
  ASSERT_EQ(-EINVAL, weft_gen_new(&g, NULL, NULL, NULL));
  ASSERT_NULL(g);
  ASSERT_EQ(-EINVAL, weft_gen_new(&g, fib, NULL, &(weft_gen_opts){.stack_size = 1024}));
  ASSERT_EQ(-EINVAL, weft_gen_next(NULL, &v));
  ASSERT_EQ(-EINVAL, weft_gen_send(NULL, NULL, &v));
  ASSERT_EQ(-EINVAL, weft_gen_throw(NULL, -EIO, &v));
  ASSERT_EQ(-EINVAL, weft_gen_close(NULL));
  ASSERT_EQ(-EINVAL, weft_gen_aclose(NULL));
  ASSERT_EQ(-EINVAL, weft_gen_prime(NULL));
  ASSERT_EQ(-EINVAL, weft_gen_for_each(NULL, NULL, NULL));
  ASSERT_EQ(WEFT_GEN_CLOSED, weft_gen_state_get(NULL));
  weft_gen_release(NULL);
  /* the yield side outside a body */
  v = (void *)1;
  ASSERT_EQ(-EPERM, weft_yield_value("x", &v));
  ASSERT_NULL(v);
  ASSERT_EQ(-EPERM, weft_yield_from(NULL, NULL));
  ASSERT_NULL(weft_gen_fail(-EIO));
  ASSERT_NULL(weft_gen_current());
  /* failing before the first yield */
  ASSERT_OK(weft_gen_new(&g, fails_at_once, NULL, NULL));
  ASSERT_EQ(-ENOENT, weft_gen_next(g, &v));
  ASSERT_EQ(WEFT_GEN_CLOSED, weft_gen_state_get(g));
  weft_gen_release(g);
  /* primed, but nothing to prime: StopIteration / the error come back */
  ASSERT_EQ(WEFT_GEN_DONE, weft_gen_new(&g, returns_at_once, "r", &(weft_gen_opts){.primed = 1}));
  ASSERT_NULL(g);
  ASSERT_EQ(-ENOENT, weft_gen_new(&g, fails_at_once, NULL, &(weft_gen_opts){.primed = 1}));
  ASSERT_NULL(g);
  /* aclose needs a task */
  ASSERT_OK(weft_gen_new(&g, fib, (void *)100L, NULL));
  ASSERT_EQ(-EPERM, weft_gen_aclose(g));
  weft_gen_release(g);
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

/* Stackful: a yield from any call depth of the body. */
static int yield_deep(int depth, long *n) {
  if (depth == 0)
    return weft_yield_value((void *)++*n, NULL);
  return yield_deep(depth - 1, n) ? -1 : yield_deep(depth - 1, n);
}

static void *deep(void *arg) {
  long n = 0;

  (void)arg;
  yield_deep(4, &n);
  return (void *)n;
}

typedef struct summer {
  long sum, limit;
} summer;

static int sum_values(void *value, void *arg) {
  summer *s = arg;

  s->sum += (long)value;
  return s->sum > s->limit ? 7 : 0;
}

TEST_IMPL(gen_deep_yield_and_for_each) {
  weft_gen *g;
  summer s = {0, 1000};

  ASSERT_OK(weft_gen_new(&g, deep, NULL, &(weft_gen_opts){.stack_size = WEFT_STACK_MIN}));
  ASSERT_OK(weft_gen_for_each(g, sum_values, &s));
  ASSERT_EQ(16 * 17 / 2, s.sum); /* 1 + ... + 16 */
  ASSERT_EQ(-EINVAL, weft_gen_for_each(g, NULL, NULL));
  weft_gen_release(g);
  /* a non-zero return breaks out and leaves the generator suspended */
  s = (summer){0, 50};
  ASSERT_OK(weft_gen_new(&g, deep, NULL, NULL));
  ASSERT_EQ(7, weft_gen_for_each(g, sum_values, &s));
  ASSERT_EQ(55, s.sum);
  ASSERT_EQ(WEFT_GEN_SUSPENDED, weft_gen_state_get(g));
  weft_gen_release(g);
  return 0;
}

/* Plain code has no task: the body cannot suspend. */
static void *sleeper_outside(void *arg) {
  (void)arg;
  weft_yield_value((void *)(long)weft_sleep(0.01), NULL);
  weft_yield_value((void *)(long)weft_yield(), NULL);
  return NULL;
}

TEST_IMPL(gen_sleep_outside_task) {
  weft_gen *g;
  void *v;

  ASSERT_OK(weft_gen_new(&g, sleeper_outside, NULL, NULL));
  ASSERT_OK(weft_gen_next(g, &v));
  ASSERT_EQ(-EPERM, (long)v);
  ASSERT_OK(weft_gen_next(g, &v));
  ASSERT_EQ(-EPERM, (long)v);
  ASSERT_EQ(WEFT_GEN_DONE, weft_gen_next(g, &v));
  weft_gen_release(g);
  return 0;
}

/* The caller's last reference goes away while the body runs: the
 * generator lives until the body yields, then is closed. */
static weft_gen *self_released;

static void *releases_itself(void *arg) {
  (void)arg;
  weft_gen_release(self_released);
  ASSERT_EQ(WEFT_GEN_RUNNING, weft_gen_state_get(weft_gen_current()));
  if (weft_yield_value("last", NULL) == WEFT_GEN_EXIT)
    cleanups++;
  return NULL;
}

TEST_IMPL(gen_release_while_running) {
  long before = weft_test_live_allocations();
  void *v;

  cleanups = 0;
  ASSERT_OK(weft_gen_new(&self_released, releases_itself, NULL, NULL));
  ASSERT_OK(weft_gen_next(self_released, &v));
  ASSERT_STR_EQ("last", v);
  ASSERT_EQ(1, cleanups);
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

/* Many generators alive at once, interleaved. */
TEST_IMPL(gen_many_interleaved) {
  enum { N = 200 };
  static weft_gen *gs[N];
  long before = weft_test_live_allocations();
  void *v;

  for (int i = 0; i < N; i++)
    ASSERT_OK(weft_gen_new(&gs[i], fib, (void *)(long)(i + 2), NULL));
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < N; i++)
      ASSERT_GE(weft_gen_next(gs[i], &v), 0);
  for (int i = 0; i < N; i++)
    weft_gen_release(gs[i]);
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}
