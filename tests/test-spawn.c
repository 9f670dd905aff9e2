/* Spawning, results and the order tasks start in. */
#include "test.h"

static char order[16];
static int order_len;

static void *note(void *arg) {
  order[order_len++] = *(const char *)arg;
  return (void *)arg;
}

static void *spawn_main(void *arg) {
  weft_task *a, *b;
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_spawn(&a, note, "a", NULL));
  ASSERT_OK(weft_spawn(&b, note, "b", NULL));
  ASSERT_EQ(0, order_len); /* a new task starts when its creator suspends */
  ASSERT_OK(weft_await(b, &res));
  ASSERT_STR_EQ("ab", order);
  ASSERT_STR_EQ("b", res);
  ASSERT_OK(weft_task_result(a, &res));
  ASSERT_STR_EQ("a", res);
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(a));
  weft_task_release(a);
  weft_task_release(b);
  return (void *)7;
}

TEST_IMPL(spawn_order_and_result) {
  void *res = NULL;

  ASSERT_OK(weft_test_run(spawn_main, NULL, &res));
  ASSERT_EQ(7, (long)res);
  return 0;
}

static void *fails(void *arg) {
  (void)arg;
  return weft_fail(-EDOM, "division by zero");
}

static void *fail_main(void *arg) {
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, fails, NULL, NULL));
  ASSERT_EQ(-EDOM, weft_await(t, NULL));
  ASSERT_STR_EQ("division by zero", weft_task_error(t));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(spawn_fail_reports_code_and_message) {
  ASSERT_OK(weft_test_run(fail_main, NULL, NULL));
  return 0;
}
