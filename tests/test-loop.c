/* The loop: run_until_complete, run_forever/stop, close, current, weft_run. */
#include <uv.h>

#include "test.h"

static void nop_cb(void *arg) {
  (void)arg;
}

static weft_loop *seen_loop;
static int seen_running = -1;

static void *loop_probe(void *arg) {
  seen_loop = weft_loop_current();
  seen_running = weft_loop_is_running(seen_loop);
  ASSERT_OK(weft_sleep(0.001));
  return arg;
}

TEST_IMPL(loop_run_until_complete_and_close) {
  long before = weft_test_live_allocations();
  weft_loop *loop;
  weft_task *t;
  void *res = NULL;

  ASSERT_OK(weft_loop_new(&loop));
  ASSERT_NULL(weft_loop_current()); /* a new loop is not made current */
  ASSERT_EQ(0, weft_loop_is_running(loop));
  ASSERT_EQ(0, weft_loop_is_closed(loop));
  ASSERT_NOT_NULL(weft_loop_uv(loop));
  ASSERT_OK(weft_spawn(&t, loop_probe, "done", &(weft_spawn_opts){.loop = loop}));
  ASSERT_EQ(loop, weft_task_loop(t));
  ASSERT_OK(weft_loop_run_until_complete(loop, t, &res));
  ASSERT_STR_EQ("done", res);
  ASSERT_EQ(loop, seen_loop);
  ASSERT_EQ(1, seen_running);
  ASSERT_EQ(0, weft_loop_is_running(loop));
  ASSERT_NULL(weft_loop_current()); /* running made it current only meanwhile */
  /* Running again on a finished task returns its outcome at once. */
  res = NULL;
  ASSERT_OK(weft_loop_run_until_complete(loop, t, &res));
  ASSERT_STR_EQ("done", res);
  ASSERT_OK(weft_loop_close(loop));
  ASSERT_EQ(1, weft_loop_is_closed(loop));
  ASSERT_EQ(-EINVAL, weft_loop_run_until_complete(loop, t, NULL));
  weft_task_release(t);
  ASSERT_OK(weft_loop_close(loop)); /* twice is a no-op */
  ASSERT_EQ(-EINVAL, weft_loop_run_forever(loop));
  ASSERT_EQ(-EINVAL, weft_call_soon(loop, nop_cb, NULL, NULL));
  weft_loop_free(loop);
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

static void *fails_edom(void *arg) {
  (void)arg;
  return weft_fail(-EDOM, "bad %s", "domain");
}

TEST_IMPL(loop_run_until_complete_returns_task_error) {
  weft_loop *loop;
  weft_task *t;
  void *res = (void *)1;

  ASSERT_OK(weft_loop_new(&loop));
  ASSERT_OK(weft_spawn(&t, fails_edom, NULL, &(weft_spawn_opts){.loop = loop}));
  ASSERT_EQ(-EDOM, weft_loop_run_until_complete(loop, t, &res));
  ASSERT_EQ(1, (long)res); /* untouched on error */
  ASSERT_STR_EQ("bad domain", weft_task_error(t));
  weft_task_release(t);
  ASSERT_EQ(-EINVAL, weft_loop_run_until_complete(NULL, t, NULL));
  ASSERT_EQ(-EINVAL, weft_loop_run_until_complete(loop, NULL, NULL));
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}

static int stop_calls;

static void stop_cb(void *arg) {
  stop_calls++;
  weft_loop_stop(arg);
}

static int after_stop_ran;

static void after_stop(void *arg) {
  (void)arg;
  after_stop_ran++;
}

TEST_IMPL(loop_run_forever_stop_from_callback) {
  weft_loop *loop;
  double t0;

  ASSERT_OK(weft_loop_new(&loop));
  ASSERT_OK(weft_call_soon(loop, stop_cb, loop, NULL));
  ASSERT_OK(weft_loop_run_forever(loop));
  ASSERT_EQ(1, stop_calls);
  /* A timer callback stops it too, and a callback scheduled after the stop
   * waits for the next run. */
  t0 = weft_time();
  ASSERT_OK(weft_call_later(loop, 0.02, stop_cb, loop, NULL));
  ASSERT_OK(weft_call_later(loop, 10.0, after_stop, NULL, NULL));
  ASSERT_OK(weft_loop_run_forever(loop));
  ASSERT_EQ(2, stop_calls);
  ASSERT(weft_time() - t0 >= 0.019);
  ASSERT_EQ(0, after_stop_ran);
  /* Pending callbacks are dropped by close, without leaking. */
  ASSERT_OK(weft_loop_close(loop));
  ASSERT_EQ(0, after_stop_ran);
  weft_loop_free(loop);
  return 0;
}

static void *short_task(void *arg) {
  ASSERT_OK(weft_sleep(0.005));
  return arg;
}

static void stop_when_done(weft_task *t, void *arg) {
  ASSERT(weft_task_done(t));
  *(int *)arg += 1;
  weft_loop_stop(weft_task_loop(t));
}

TEST_IMPL(loop_run_forever_stop_from_done_callback) {
  weft_loop *loop;
  weft_task *t;
  int calls = 0;
  void *res = NULL;

  ASSERT_OK(weft_loop_new(&loop));
  ASSERT_OK(weft_spawn(&t, short_task, "r", &(weft_spawn_opts){.loop = loop}));
  ASSERT_OK(weft_task_add_done_callback(t, stop_when_done, &calls));
  ASSERT_OK(weft_loop_run_forever(loop));
  ASSERT_EQ(1, calls);
  ASSERT_OK(weft_task_result(t, &res));
  ASSERT_STR_EQ("r", res);
  weft_task_release(t);
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}

static void *close_while_running(void *arg) {
  weft_loop *loop = weft_loop_current();

  (void)arg;
  ASSERT_EQ(-EBUSY, weft_loop_close(loop));
  ASSERT_EQ(-EBUSY, weft_loop_run_forever(loop));
  ASSERT_EQ(0, weft_loop_is_closed(loop));
  return NULL;
}

TEST_IMPL(loop_close_busy) {
  weft_loop *loop;
  weft_task *t;
  uv_timer_t timer;

  ASSERT_OK(weft_loop_new(&loop));
  ASSERT_OK(weft_spawn(&t, close_while_running, NULL, &(weft_spawn_opts){.loop = loop}));
  ASSERT_EQ(-EBUSY, weft_loop_close(loop)); /* a task is alive */
  ASSERT_OK(weft_loop_run_until_complete(loop, t, NULL));
  weft_task_release(t);
  /* A libuv handle the user opened and did not close keeps it open. */
  ASSERT_OK(uv_timer_init(weft_loop_uv(loop), &timer));
  ASSERT_EQ(-EBUSY, weft_loop_close(loop));
  uv_close((uv_handle_t *)&timer, NULL);
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}

TEST_IMPL(loop_current_and_set_current) {
  weft_loop *a, *b;
  weft_task *t;

  ASSERT_NULL(weft_loop_current());
  ASSERT_OK(weft_loop_new(&a));
  ASSERT_OK(weft_loop_new(&b));
  weft_loop_set_current(a);
  ASSERT_EQ(a, weft_loop_current());
  /* spawn without opts.loop uses the current loop */
  ASSERT_OK(weft_spawn(&t, loop_probe, NULL, NULL));
  ASSERT_EQ(a, weft_task_loop(t));
  weft_loop_set_current(b);
  ASSERT_OK(weft_loop_run_until_complete(a, t, NULL));
  ASSERT_EQ(a, seen_loop); /* the running loop wins over the set one */
  ASSERT_EQ(b, weft_loop_current());
  weft_task_release(t);
  weft_loop_free(a);
  ASSERT_EQ(b, weft_loop_current());
  weft_loop_free(b); /* freeing the current loop unsets it */
  ASSERT_NULL(weft_loop_current());
  return 0;
}

/* ---- weft_run ------------------------------------------------------- */

static void *main_returns(void *arg) {
  ASSERT_STR_EQ("main", weft_task_name(weft_current_task()));
  ASSERT_NOT_NULL(weft_loop_current());
  return arg;
}

TEST_IMPL(loop_weft_run_result_and_code) {
  void *res = NULL;

  ASSERT_OK(weft_test_run(main_returns, (void *)42, &res));
  ASSERT_EQ(42, (long)res);
  ASSERT_NULL(weft_loop_current()); /* the loop is gone */
  res = (void *)1;
  ASSERT_EQ(-EDOM, weft_test_run(fails_edom, NULL, &res));
  ASSERT_EQ(1, (long)res);
  ASSERT_OK(weft_test_run(main_returns, NULL, NULL)); /* result may be NULL */
  return 0;
}

static void *nested_run(void *arg) {
  void *res = NULL;

  (void)arg;
  ASSERT_EQ(-EBUSY, weft_run(main_returns, NULL, &res));
  ASSERT_NULL(res);
  return (void *)3;
}

TEST_IMPL(loop_weft_run_inside_task_is_ebusy) {
  void *res = NULL;

  ASSERT_OK(weft_test_run(nested_run, NULL, &res));
  ASSERT_EQ(3, (long)res);
  return 0;
}

static int leftover_cancelled, leftover_cleaned, leftover_other_rc;

static void *leftover(void *arg) {
  int rc = weft_sleep(100.0);

  (void)arg;
  if (rc == -ECANCELED)
    leftover_cancelled++;
  else
    leftover_other_rc = rc;
  /* Cleanup may suspend, but every suspension point now fails at once. */
  ASSERT_EQ(-ECANCELED, weft_sleep(0.001));
  leftover_cleaned++;
  return NULL;
}

static void *main_leaves_tasks(void *arg) {
  weft_task *kept;

  (void)arg;
  for (int i = 0; i < 3; i++)
    ASSERT_OK(weft_spawn(NULL, leftover, NULL, NULL));
  ASSERT_OK(weft_spawn(&kept, leftover, NULL, NULL));
  ASSERT_OK(weft_yield()); /* let them start sleeping */
  ASSERT_EQ(5, weft_all_tasks(NULL, NULL, 0));
  weft_task_release(kept);
  return (void *)9;
}

TEST_IMPL(loop_weft_run_cancels_leftover_tasks) {
  void *res = NULL;

  ASSERT_OK(weft_test_run(main_leaves_tasks, NULL, &res));
  ASSERT_EQ(9, (long)res);
  ASSERT_EQ(0, leftover_other_rc);
  ASSERT_EQ(4, leftover_cancelled);
  ASSERT_EQ(4, leftover_cleaned);
  return 0;
}
