/* Tasks: scheduling, fairness, names, states, done callbacks, outcomes. */
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <uv.h>

#include "test.h"

int core_test_capture_begin(FILE **tmp);
void core_test_capture_end(FILE *tmp, int saved, char *buf, size_t len);

static void *returns_arg(void *arg) {
  return arg;
}

/* ---- scheduling ------------------------------------------------------ */

static int started;

static void *mark_started(void *arg) {
  started++;
  return arg;
}

static void *start_main(void *arg) {
  weft_task *t;
  volatile long work = 0;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, mark_started, NULL, NULL));
  for (int i = 0; i < 100000; i++)
    work += i; /* no suspension point: the child cannot start */
  ASSERT_EQ(0, started);
  ASSERT_EQ(WEFT_TASK_PENDING, weft_task_state_get(t));
  ASSERT_OK(weft_yield());
  ASSERT_EQ(1, started);
  ASSERT(weft_task_done(t));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(task_starts_when_creator_suspends) {
  ASSERT_OK(weft_test_run(start_main, NULL, NULL));
  return 0;
}

static volatile int stop_spinning;

static void *spinner(void *arg) {
  long n = 0;

  (void)arg;
  while (!stop_spinning) {
    ASSERT_OK(weft_yield());
    n++;
  }
  return (void *)n;
}

static void *sleeper(void *arg) {
  (void)arg;
  ASSERT_OK(weft_sleep(0.01));
  stop_spinning = 1;
  return NULL;
}

static void *no_starve_timers_main(void *arg) {
  weft_task *spin, *sl;
  void *n = NULL;
  double t0 = weft_time();

  (void)arg;
  ASSERT_OK(weft_spawn(&spin, spinner, NULL, NULL));
  ASSERT_OK(weft_spawn(&sl, sleeper, NULL, NULL));
  ASSERT_OK(weft_await(sl, NULL));
  ASSERT_OK(weft_await(spin, &n));
  ASSERT_GT((long)n, 0);          /* it did spin meanwhile */
  ASSERT(weft_time() - t0 < 2.0); /* and the timer still fired */
  weft_task_release(spin);
  weft_task_release(sl);
  return NULL;
}

TEST_IMPL(task_yield_loop_does_not_starve_timers) {
  ASSERT_OK(weft_test_run(no_starve_timers_main, NULL, NULL));
  return 0;
}

/* I/O: a pipe read through libuv and a uv_timer, both on the weft loop,
 * are delivered while a task does nothing but yield. */
static char pipe_buf[64];
static ssize_t pipe_got;
static int uv_timer_fired, closed_handles;

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  (void)suggested;
  *buf = uv_buf_init(pipe_buf, sizeof(pipe_buf));
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  (void)s;
  (void)buf;
  if (n > 0)
    pipe_got += n;
}

static void timer_cb(uv_timer_t *t) {
  (void)t;
  uv_timer_fired = 1;
}

static void close_cb(uv_handle_t *h) {
  (void)h;
  closed_handles++;
}

static void *no_starve_io_main(void *arg) {
  uv_loop_t *uv = weft_loop_uv(weft_loop_current());
  uv_pipe_t pipe_h;
  uv_timer_t timer;
  int fds[2];
  long spins = 0;

  (void)arg;
  ASSERT_OK(pipe(fds));
  ASSERT_OK(uv_pipe_init(uv, &pipe_h, 0));
  ASSERT_OK(uv_pipe_open(&pipe_h, fds[0]));
  ASSERT_OK(uv_read_start((uv_stream_t *)&pipe_h, alloc_cb, read_cb));
  ASSERT_OK(uv_timer_init(uv, &timer));
  ASSERT_OK(uv_timer_start(&timer, timer_cb, 10, 0));
  ASSERT_EQ(5, write(fds[1], "hello", 5));
  while ((pipe_got < 5 || !uv_timer_fired) && spins < 100000000) {
    ASSERT_OK(weft_yield());
    spins++;
  }
  ASSERT_EQ(5, pipe_got);
  ASSERT_EQ(1, uv_timer_fired);
  ASSERT_EQ(0, memcmp(pipe_buf, "hello", 5));
  uv_close((uv_handle_t *)&pipe_h, close_cb);
  uv_close((uv_handle_t *)&timer, close_cb);
  while (closed_handles < 2)
    ASSERT_OK(weft_sleep(0.001));
  close(fds[1]);
  return NULL;
}

TEST_IMPL(task_yield_loop_does_not_starve_io) {
  ASSERT_OK(weft_test_run(no_starve_io_main, NULL, NULL));
  return 0;
}

/* ---- names and states ----------------------------------------------- */

static void *names_main(void *arg) {
  weft_task *a, *b, *c;
  char longname[101];
  const char *n;

  (void)arg;
  memset(longname, 'n', 100);
  longname[100] = '\0';
  ASSERT_STR_EQ("main", weft_task_name(weft_current_task()));
  ASSERT_OK(weft_spawn(&a, returns_arg, NULL, NULL));
  ASSERT_OK(weft_spawn(&b, returns_arg, NULL, &(weft_spawn_opts){.name = "fetcher"}));
  ASSERT_OK(weft_spawn(&c, returns_arg, NULL, &(weft_spawn_opts){.name = longname}));
  n = weft_task_name(a);
  ASSERT_EQ(0, strncmp(n, "Task-", 5));
  ASSERT(n[5] >= '1' && n[5] <= '9');
  ASSERT_EQ(strlen(n), 5 + strspn(n + 5, "0123456789"));
  ASSERT_STR_EQ("fetcher", weft_task_name(b));
  ASSERT_STR_EQ(longname, weft_task_name(c));
  /* Renaming: long to short, short to long, and bad input. */
  ASSERT_OK(weft_task_set_name(c, "short"));
  ASSERT_STR_EQ("short", weft_task_name(c));
  ASSERT_OK(weft_task_set_name(b, longname));
  ASSERT_STR_EQ(longname, weft_task_name(b));
  ASSERT_OK(weft_task_set_name(b, "exactly-thirty-one-characters!!"));
  ASSERT_STR_EQ("exactly-thirty-one-characters!!", weft_task_name(b));
  ASSERT_OK(weft_task_set_name(a, ""));
  ASSERT_EQ(-EINVAL, weft_task_set_name(a, NULL));
  ASSERT_EQ(-EINVAL, weft_task_set_name(NULL, "x"));
  ASSERT_OK(weft_await(a, NULL));
  ASSERT_OK(weft_await(b, NULL));
  ASSERT_OK(weft_await(c, NULL));
  weft_task_release(a);
  weft_task_release(b);
  weft_task_release(c);
  return NULL;
}

TEST_IMPL(task_names) {
  ASSERT_OK(weft_test_run(names_main, NULL, NULL));
  return 0;
}

static void *sleeps(void *arg) {
  int rc = weft_sleep(10.0);

  return rc ? weft_fail(rc, "sleep interrupted") : arg;
}

static void *states_main(void *arg) {
  weft_task *fin, *can;

  (void)arg;
  ASSERT_OK(weft_spawn(&fin, returns_arg, NULL, NULL));
  ASSERT_OK(weft_spawn(&can, sleeps, NULL, NULL));
  ASSERT_STR_EQ("PENDING", weft_task_state_name(fin));
  ASSERT_EQ(WEFT_TASK_PENDING, weft_task_state_get(can));
  ASSERT_EQ(0, weft_task_done(fin));
  ASSERT_EQ(0, weft_task_cancelled(fin));
  ASSERT_STR_EQ("PENDING", weft_task_state_name(weft_current_task()));
  ASSERT_OK(weft_yield());
  /* Its sleep can only have ended early on an error (-ENOMEM). */
  ASSERT_OK(weft_task_done(can) ? weft_task_result(can, NULL) : 0);
  ASSERT_EQ(1, weft_task_cancel(can));
  ASSERT_EQ(-ECANCELED, weft_await(can, NULL));
  ASSERT_OK(weft_await(fin, NULL));
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(fin));
  ASSERT_EQ(WEFT_TASK_FINISHED, weft_task_state_get(fin));
  ASSERT_STR_EQ("CANCELLED", weft_task_state_name(can));
  ASSERT_EQ(WEFT_TASK_CANCELLED, weft_task_state_get(can));
  ASSERT_EQ(1, weft_task_done(can));
  ASSERT_EQ(1, weft_task_cancelled(can));
  ASSERT_EQ(-ECANCELED, weft_task_result(can, NULL));
  weft_task_release(fin);
  weft_task_release(can);
  return NULL;
}

TEST_IMPL(task_state_names) {
  ASSERT_OK(weft_test_run(states_main, NULL, NULL));
  return 0;
}

/* ---- done callbacks -------------------------------------------------- */

static char cb_order[16];
static int cb_len, body_returned;

/* A done callback with a bound argument (functools.partial). */
static void record_done(weft_task *t, void *arg) {
  ASSERT(weft_task_done(t));
  ASSERT(body_returned);
  cb_order[cb_len++] = *(const char *)arg;
}

static void *body(void *arg) {
  ASSERT_OK(weft_yield());
  ASSERT_EQ(0, cb_len); /* not before completion */
  body_returned = 1;
  return arg;
}

static void *done_callbacks_main(void *arg) {
  weft_task *t;
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, body, "r", NULL));
  ASSERT_OK(weft_task_add_done_callback(t, record_done, "a"));
  ASSERT_OK(weft_task_add_done_callback(t, record_done, "x"));
  ASSERT_OK(weft_task_add_done_callback(t, record_done, "b"));
  ASSERT_OK(weft_task_add_done_callback(t, record_done, "x"));
  ASSERT_OK(weft_task_add_done_callback(t, record_done, "c"));
  ASSERT_EQ(2, weft_task_remove_done_callback(t, record_done, "x"));
  ASSERT_EQ(0, weft_task_remove_done_callback(t, record_done, "x"));
  ASSERT_EQ(-EINVAL, weft_task_add_done_callback(t, NULL, NULL));
  ASSERT_OK(weft_await(t, &res));
  ASSERT_STR_EQ("r", res);
  ASSERT_OK(weft_sleep(0.001));
  ASSERT_STR_EQ("abc", cb_order);
  /* On a done task: scheduled soon, not called synchronously. */
  ASSERT_OK(weft_task_add_done_callback(t, record_done, "d"));
  ASSERT_OK(weft_task_add_done_callback(t, record_done, "e"));
  ASSERT_STR_EQ("abc", cb_order);
  ASSERT_OK(weft_yield());
  ASSERT_STR_EQ("abcde", cb_order);
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(task_done_callbacks) {
  ASSERT_OK(weft_test_run(done_callbacks_main, NULL, NULL));
  return 0;
}

/* The callbacks keep the task alive when the caller drops it at once. */
static void *dropped_main(void *arg) {
  weft_task *t;

  (void)arg;
  cb_len = 0;
  memset(cb_order, 0, sizeof(cb_order));
  body_returned = 0;
  ASSERT_OK(weft_spawn(&t, body, NULL, NULL));
  ASSERT_OK(weft_task_add_done_callback(t, record_done, "z"));
  weft_task_release(t);
  while (cb_len == 0)
    ASSERT_OK(weft_yield());
  ASSERT_STR_EQ("z", cb_order);
  return NULL;
}

TEST_IMPL(task_done_callback_after_release) {
  ASSERT_OK(weft_test_run(dropped_main, NULL, NULL));
  return 0;
}

/* ---- references, current task, all tasks ----------------------------- */

static weft_task *seen_current;

static void *who_am_i(void *arg) {
  seen_current = weft_current_task();
  return weft_sleep(0.001) == 0 ? arg : NULL;
}

static void *refs_main(void *arg) {
  weft_task *t, *all[8];
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, who_am_i, "v", NULL));
  ASSERT_EQ(t, weft_task_retain(t));
  weft_task_release(t);
  ASSERT_EQ(2, weft_all_tasks(NULL, all, 8));
  ASSERT_EQ(weft_current_task(), all[0]);
  ASSERT_EQ(t, all[1]);
  ASSERT_EQ(2, weft_all_tasks(NULL, all, 1)); /* count even past cap */
  ASSERT_OK(weft_await(t, &res));
  ASSERT_EQ(t, seen_current);
  ASSERT_STR_EQ("v", res);
  ASSERT_EQ(1, weft_all_tasks(weft_loop_current(), all, 8)); /* finished ones are gone */
  ASSERT_EQ(weft_current_task(), all[0]);
  /* Still valid: we hold a reference. */
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(t));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(task_retain_release_current_all) {
  ASSERT_NULL(weft_current_task());
  ASSERT_EQ(0, weft_all_tasks(NULL, NULL, 0));
  ASSERT_OK(weft_test_run(refs_main, NULL, NULL));
  ASSERT_NULL(weft_current_task());
  return 0;
}

/* ---- outcome rules --------------------------------------------------- */

static void *fails_cancelled(void *arg) {
  (void)arg;
  return weft_fail(-ECANCELED, "gave up");
}

static int never_ran;

static void *must_not_run(void *arg) {
  never_ran = 1;
  return arg;
}

static int saw_code;

static void *swallows_cancel(void *arg) {
  saw_code = weft_sleep(10.0);
  return arg; /* returns normally after seeing -ECANCELED */
}

static int yield_rc = 1;

static void *yields_once(void *arg) {
  yield_rc = weft_yield();
  return arg; /* never suspends again after being cancelled */
}

static void *self_cancel(void *arg) {
  ASSERT_EQ(1, weft_task_cancel(weft_current_task()));
  return arg;
}

static void *outcomes_main(void *arg) {
  weft_task *t;
  void *res = NULL;

  (void)arg;
  /* weft_fail(-ECANCELED) ends the task cancelled. */
  ASSERT_OK(weft_spawn(&t, fails_cancelled, NULL, NULL));
  ASSERT_EQ(-ECANCELED, weft_await(t, NULL));
  ASSERT(weft_task_cancelled(t));
  weft_task_release(t);

  /* Cancelled before it starts: never runs. */
  ASSERT_OK(weft_spawn(&t, must_not_run, "x", NULL));
  ASSERT_EQ(1, weft_task_cancel(t));
  ASSERT_EQ(-ECANCELED, weft_await(t, &res));
  ASSERT_EQ(0, never_ran);
  ASSERT_STR_EQ("CANCELLED", weft_task_state_name(t));
  weft_task_release(t);

  /* Saw -ECANCELED and returned normally: its result stands. */
  ASSERT_OK(weft_spawn(&t, swallows_cancel, "kept", NULL));
  ASSERT_OK(weft_yield());
  ASSERT_OK(weft_task_done(t) ? saw_code : 0); /* its sleep failed (-ENOMEM) */
  ASSERT_EQ(1, weft_task_cancel(t));
  ASSERT_OK(weft_await(t, &res));
  ASSERT_EQ(-ECANCELED, saw_code);
  ASSERT_STR_EQ("kept", res);
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(t));
  weft_task_release(t);

  /* Cancelled while queued behind a yield: the yield itself returns
   * -ECANCELED (as asyncio.sleep(0) raises); the task saw it and returned
   * normally, so its result stands. */
  ASSERT_OK(weft_spawn(&t, yields_once, "kept too", NULL));
  ASSERT_OK(weft_yield()); /* it runs and yields; it is queued behind us */
  ASSERT_EQ(1, weft_task_cancel(t));
  res = NULL;
  ASSERT_OK(weft_await(t, &res));
  ASSERT_EQ(-ECANCELED, yield_rc);
  ASSERT_STR_EQ("kept too", res);
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(t));
  weft_task_release(t);

  ASSERT_OK(weft_spawn(&t, self_cancel, "self", NULL));
  ASSERT_EQ(-ECANCELED, weft_await(t, NULL));
  ASSERT(weft_task_cancelled(t));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(task_outcome_rules) {
  ASSERT_OK(weft_test_run(outcomes_main, NULL, NULL));
  return 0;
}

static void *result_main(void *arg) {
  weft_task *t;
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, sleeps, "s", NULL));
  ASSERT_EQ(-EAGAIN, weft_task_result(t, &res));
  ASSERT_OK(weft_yield());
  ASSERT_EQ(-EAGAIN, weft_task_result(t, &res));
  ASSERT_NULL(res);
  ASSERT_EQ(-EINVAL, weft_task_result(NULL, &res));
  weft_task_cancel(t);
  ASSERT_EQ(-ECANCELED, weft_await(t, NULL));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(task_result_pending_is_eagain) {
  ASSERT_OK(weft_test_run(result_main, NULL, NULL));
  return 0;
}

/* ---- "Task exception was never retrieved" ----------------------------- */

static void *fails_io(void *arg) {
  (void)arg;
  return weft_fail(-EIO, "disk on fire");
}

static void *unretrieved_main(void *arg) {
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(NULL, fails_io, NULL, &(weft_spawn_opts){.name = "careless"}));
  ASSERT_OK(weft_spawn(&t, fails_io, NULL, &(weft_spawn_opts){.name = "held"}));
  ASSERT_OK(weft_sleep(0.001));
  ASSERT(weft_task_done(t));
  weft_task_release(t); /* last reference, error never looked at */
  ASSERT_OK(weft_spawn(&t, fails_io, NULL, &(weft_spawn_opts){.name = "careful"}));
  ASSERT_EQ(-EIO, weft_await(t, NULL));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(task_exception_never_retrieved_reported) {
  char err[4096];
  FILE *tmp;
  int saved = core_test_capture_begin(&tmp);
  int rc = weft_test_run(unretrieved_main, NULL, NULL);

  core_test_capture_end(tmp, saved, err, sizeof(err));
  ASSERT_OK(rc);
  ASSERT_NOT_NULL(strstr(err, "Task exception was never retrieved: task 'careless': "));
  ASSERT_NOT_NULL(strstr(err, "Task exception was never retrieved: task 'held'"));
  if (!strstr(err, "task 'careless': disk on fire") && weft_test_torture)
    weft_test_enomem_exit(); /* the message was lost to a failed allocation */
  ASSERT_NOT_NULL(strstr(err, "task 'careless': disk on fire (EIO)"));
  ASSERT_NULL(strstr(err, "careful")); /* awaited: retrieved */
  return 0;
}
