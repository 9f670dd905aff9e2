/* Timer order across the FIFO lane and the heap: by deadline, then by the
 * order the timers were started. */
#include "test.h"

static char order[32];
static int order_len;

static void note(void *arg) {
  order[order_len++] = *(const char *)arg;
}

static void stop_cb(void *arg) {
  weft_loop_stop(arg);
}

TEST_IMPL(timer_order_lane_and_heap) {
  weft_loop *loop;
  weft_handle *c;
  double t0;

  order_len = 0;
  memset(order, 0, sizeof(order));
  ASSERT_OK(weft_loop_new(&loop));
  t0 = weft_time() + 0.02;
  /* increasing deadlines go to the lane, earlier ones to the heap */
  ASSERT_OK(weft_call_at(loop, t0 + 0.003, note, "d", NULL));
  ASSERT_OK(weft_call_at(loop, t0 + 0.005, note, "f", NULL));
  ASSERT_OK(weft_call_at(loop, t0 + 0.001, note, "b", NULL));
  ASSERT_OK(weft_call_at(loop, t0 + 0.003, note, "e", NULL)); /* ties with d: after it */
  ASSERT_OK(weft_call_at(loop, t0, note, "a", NULL));
  ASSERT_OK(weft_call_at(loop, t0 + 0.002, note, "c", &c));
  ASSERT_OK(weft_call_at(loop, t0 + 0.005, note, "g", NULL)); /* ties with f */
  ASSERT_OK(weft_call_at(loop, t0 + 0.002, note, "x", NULL));
  ASSERT_EQ(1, weft_handle_cancel(c)); /* a heap entry */
  ASSERT_OK(weft_call_at(loop, t0 + 0.010, stop_cb, loop, NULL));
  ASSERT_OK(weft_loop_run_forever(loop));
  ASSERT_STR_EQ("abxdefg", order);
  weft_handle_release(c);
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}

static void *sleeper(void *arg) {
  int rc = weft_sleep(*(const double *)arg);

  return rc ? weft_fail(rc, NULL) : (void *)arg;
}

/* Sleeps of one length use the lane; a shorter one started later must still
 * finish first, and cancelling lane timers leaves the rest in order. */
static void *sleeps_main(void *arg) {
  static const double d[] = {0.03, 0.03, 0.01, 0.03, 0.02};
  weft_task *t[5];
  weft_as_completed *ac;
  weft_task *next;
  const double *got[5];
  int n = 0;

  (void)arg;
  for (int i = 0; i < 5; i++)
    ASSERT_OK(weft_spawn(&t[i], sleeper, (void *)&d[i], NULL));
  ASSERT_OK(weft_yield());
  weft_task_cancel(t[1]);
  ASSERT_OK(weft_as_completed_new(&ac, t, 5, INFINITY));
  while (weft_as_completed_next(ac, &next) == 0) {
    void *res = NULL;
    if (weft_task_result(next, &res) == 0)
      got[n++] = res;
  }
  weft_as_completed_free(ac);
  ASSERT_EQ(4, n);
  ASSERT(got[0] == &d[2] && got[1] == &d[4]);
  ASSERT(got[2] == &d[0] && got[3] == &d[3]);
  for (int i = 0; i < 5; i++)
    weft_task_release(t[i]);
  return NULL;
}

TEST_IMPL(timer_order_sleeps) {
  ASSERT_OK(weft_test_run(sleeps_main, NULL, NULL));
  return 0;
}
