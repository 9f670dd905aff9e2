/* call_soon / call_later / call_at: order, timing, handles, bad input. */
#include <uv.h>

#include "test.h"

static char order[64];
static int order_len;
static double fired_at[8];

static void note(void *arg) {
  char c = *(const char *)arg;

  if (c >= 'a' && c < 'a' + 8)
    fired_at[c - 'a'] = weft_time();
  order[order_len++] = c;
}

static void stop_cb(void *arg) {
  weft_loop_stop(arg);
}

static void reset(void) {
  memset(order, 0, sizeof(order));
  order_len = 0;
}

TEST_IMPL(callbacks_call_soon_fifo) {
  weft_loop *loop;
  static const char *chars[] = {"a", "b", "c", "d", "e"};

  reset();
  ASSERT_OK(weft_loop_new(&loop));
  for (int i = 0; i < 5; i++)
    ASSERT_OK(weft_call_soon(loop, note, (void *)chars[i], NULL));
  ASSERT_OK(weft_call_soon(loop, stop_cb, loop, NULL));
  ASSERT_EQ(0, order_len); /* nothing runs before the loop does */
  ASSERT_OK(weft_loop_run_forever(loop));
  ASSERT_STR_EQ("abcde", order);
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}

TEST_IMPL(callbacks_call_later_and_call_at_order) {
  weft_loop *loop;
  weft_handle *h;
  double t0;

  reset();
  ASSERT_OK(weft_loop_new(&loop));
  t0 = weft_time();
  ASSERT_OK(weft_call_at(loop, t0 + 0.06, note, "d", NULL));
  ASSERT_OK(weft_call_later(loop, 0.02, note, "b", NULL));
  ASSERT_OK(weft_call_at(loop, t0 + 0.04, note, "c", &h));
  ASSERT_NEAR(t0 + 0.04, weft_handle_when(h), 1e-9);
  ASSERT_OK(weft_call_soon(loop, note, "a", NULL));
  /* Equal deadlines keep their scheduling order. */
  ASSERT_OK(weft_call_at(loop, t0 + 0.06, note, "e", NULL));
  ASSERT_OK(weft_call_later(loop, 0.08, stop_cb, loop, NULL));
  ASSERT_OK(weft_loop_run_forever(loop));
  ASSERT_STR_EQ("abcde", order);
  /* Never early; late only by scheduling noise (loose bound). */
  ASSERT(fired_at[1] - t0 >= 0.02);
  ASSERT(fired_at[2] - t0 >= 0.04);
  ASSERT(fired_at[3] - t0 >= 0.06);
  ASSERT(fired_at[3] - t0 < 0.06 + 0.5);
  ASSERT_EQ(0, weft_handle_cancel(h)); /* it already ran */
  ASSERT_EQ(0, weft_handle_cancelled(h));
  weft_handle_release(h);
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}

TEST_IMPL(callbacks_handle_cancel) {
  weft_loop *loop;
  weft_handle *soon, *later, *ran;

  reset();
  ASSERT_OK(weft_loop_new(&loop));
  ASSERT_OK(weft_call_soon(loop, note, "x", &soon));
  ASSERT_OK(weft_call_later(loop, 0.01, note, "y", &later));
  ASSERT_OK(weft_call_soon(loop, note, "a", &ran));
  ASSERT_EQ(1, weft_handle_cancel(soon));
  ASSERT_EQ(1, weft_handle_cancelled(soon));
  ASSERT_EQ(0, weft_handle_cancel(soon)); /* cancelled before */
  ASSERT_EQ(1, weft_handle_cancel(later));
  ASSERT_EQ(1, weft_handle_cancelled(later));
  ASSERT_OK(weft_call_later(loop, 0.03, stop_cb, loop, NULL));
  ASSERT_OK(weft_loop_run_forever(loop));
  ASSERT_STR_EQ("a", order); /* neither cancelled callback ran */
  ASSERT_EQ(0, weft_handle_cancel(ran));
  ASSERT_EQ(0, weft_handle_cancelled(ran));
  ASSERT_EQ(0, weft_handle_cancel(NULL));
  weft_handle_release(soon);
  weft_handle_release(later);
  weft_handle_release(ran);
  weft_handle_release(NULL);
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}

TEST_IMPL(callbacks_call_at_past_runs_soon) {
  weft_loop *loop;
  weft_handle *h;
  double t0;

  reset();
  ASSERT_OK(weft_loop_new(&loop));
  t0 = weft_time();
  ASSERT_OK(weft_call_later(loop, 0.05, note, "b", NULL));
  ASSERT_OK(weft_call_at(loop, t0 - 10.0, note, "a", &h));
  ASSERT_NEAR(t0 - 10.0, weft_handle_when(h), 1e-9);
  ASSERT_OK(weft_call_later(loop, -1.0, note, "c", NULL)); /* negative delay: now */
  ASSERT_OK(weft_call_later(loop, 0.06, stop_cb, loop, NULL));
  ASSERT_OK(weft_loop_run_forever(loop));
  ASSERT_STR_EQ("acb", order);
  ASSERT(fired_at[0] - t0 < 0.04);
  ASSERT(fired_at[2] - t0 < 0.04); /* well before the 0.05 s timer */
  weft_handle_release(h);
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}

TEST_IMPL(callbacks_handle_when) {
  weft_loop *loop;
  weft_handle *soon, *later;
  double t0 = weft_time();

  ASSERT_OK(weft_loop_new(&loop));
  ASSERT_OK(weft_call_soon(loop, note, "s", &soon));
  ASSERT_OK(weft_call_later(loop, 0.5, note, "l", &later));
  ASSERT_NEAR(t0, weft_handle_when(soon), 0.1);
  ASSERT_NEAR(t0 + 0.5, weft_handle_when(later), 0.1);
  ASSERT(weft_handle_when(later) > weft_handle_when(soon));
  ASSERT(isnan(weft_handle_when(NULL)));
  ASSERT_EQ(1, weft_handle_cancel(soon));
  ASSERT_EQ(1, weft_handle_cancel(later));
  weft_handle_release(soon);
  weft_handle_release(later);
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}

TEST_IMPL(callbacks_bad_arguments) {
  weft_loop *loop;
  weft_handle *h = NULL;

  ASSERT_EQ(-EINVAL, weft_call_soon(NULL, note, "a", NULL)); /* no current loop */
  ASSERT_EQ(-EINVAL, weft_call_later(NULL, 0.1, note, "a", NULL));
  ASSERT_EQ(-EINVAL, weft_call_soon_threadsafe(NULL, note, "a"));
  ASSERT_OK(weft_loop_new(&loop));
  ASSERT_EQ(-EINVAL, weft_call_later(loop, NAN, note, "a", &h));
  ASSERT_EQ(-EINVAL, weft_call_at(loop, NAN, note, "a", &h));
  ASSERT_EQ(-EINVAL, weft_call_soon(loop, NULL, NULL, &h));
  ASSERT_EQ(-EINVAL, weft_call_later(loop, 1.0, NULL, NULL, &h));
  ASSERT_EQ(-EINVAL, weft_call_soon_threadsafe(loop, NULL, NULL));
  ASSERT_NULL(h);
  ASSERT_OK(weft_loop_close(loop));
  ASSERT_EQ(-EINVAL, weft_call_soon(loop, note, "a", &h));
  ASSERT_EQ(-EINVAL, weft_call_at(loop, 1.0, note, "a", &h));
  ASSERT_EQ(-EINVAL, weft_call_soon_threadsafe(loop, note, "a"));
  ASSERT_NULL(h);
  weft_loop_free(loop);
  return 0;
}

/* ---- FIFO between tasks and callbacks ---------------------------------- */

static void *task_note(void *arg) {
  note(arg);
  return NULL;
}

static void note_then_schedule(void *arg) {
  note(arg);
  ASSERT_OK(weft_call_soon(NULL, note, "z", NULL));
}

static void *mixed_main(void *arg) {
  (void)arg;
  reset();
  ASSERT_OK(weft_spawn(NULL, task_note, "A", NULL));
  ASSERT_OK(weft_call_soon(NULL, note_then_schedule, "c", NULL));
  ASSERT_OK(weft_spawn(NULL, task_note, "B", NULL));
  ASSERT_OK(weft_call_soon(NULL, note, "d", NULL));
  /* Everything ready runs in FIFO order; what the batch schedules ("z")
   * comes after what was already waiting, including this task. */
  ASSERT_OK(weft_yield());
  ASSERT_STR_EQ("AcBd", order);
  ASSERT_OK(weft_yield());
  ASSERT_STR_EQ("AcBdz", order);
  return NULL;
}

TEST_IMPL(callbacks_tasks_and_callbacks_fifo) {
  ASSERT_OK(weft_test_run(mixed_main, NULL, NULL));
  return 0;
}

/* A uv_check handle runs right after each I/O poll: it marks where polls
 * fall between callbacks. */
static void check_cb(uv_check_t *c) {
  (void)c;
  order[order_len++] = '|';
}

static void stop_later(void *arg) {
  note("s");
  ASSERT_OK(weft_call_later(arg, 0.01, stop_cb, arg, NULL)); /* nothing ready: poll */
}

TEST_IMPL(callbacks_batch_runs_before_next_poll) {
  weft_loop *loop;
  uv_check_t check;
  static const char *chars[] = {"a", "b", "c", "d"};

  reset();
  ASSERT_OK(weft_loop_new(&loop));
  weft_loop_set_poll_interval(loop, 0); /* poll after every iteration */
  ASSERT_OK(uv_check_init(weft_loop_uv(loop), &check));
  ASSERT_OK(uv_check_start(&check, check_cb));
  for (int i = 0; i < 4; i++)
    ASSERT_OK(weft_call_soon(loop, note, (void *)chars[i], NULL));
  ASSERT_OK(weft_call_soon(loop, stop_later, loop, NULL));
  ASSERT_OK(weft_loop_run_forever(loop));
  /* The whole first batch ran before any poll; stop ran in a later one. */
  ASSERT_EQ(0, strncmp(order, "abcds", 5));
  ASSERT_NOT_NULL(strchr(order, '|'));
  uv_close((uv_handle_t *)&check, NULL);
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}
