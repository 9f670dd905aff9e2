/* Futures: results, errors, cancellation, awaiters, done callbacks. */
#include "test.h"

int core_test_capture_begin(FILE **tmp);
void core_test_capture_end(FILE *tmp, int saved, char *buf, size_t len);

typedef struct waiter_arg {
  weft_future *f;
  int rc;
  void *res;
} waiter_arg;

static void *awaiter(void *arg) {
  waiter_arg *w = arg;

  w->rc = weft_future_await(w->f, &w->res);
  return NULL;
}

static void *result_main(void *arg) {
  weft_future *f;
  weft_task *t[3];
  waiter_arg w[3];
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_future_new(&f, NULL));
  ASSERT_EQ(0, weft_future_done(f));
  ASSERT_EQ(-EAGAIN, weft_future_result(f, &res)); /* InvalidStateError */
  for (int i = 0; i < 3; i++) {
    w[i] = (waiter_arg){f, 1, NULL};
    ASSERT_OK(weft_spawn(&t[i], awaiter, &w[i], NULL));
  }
  ASSERT_OK(weft_yield());
  for (int i = 0; i < 3; i++) {
    ASSERT_STR_EQ("future", weft_task_waiting_on(t[i]));
    ASSERT_EQ(1, w[i].rc);
  }
  ASSERT_OK(weft_future_set_result(f, "value"));
  ASSERT_EQ(1, weft_future_done(f));
  ASSERT_EQ(0, weft_future_cancelled(f));
  for (int i = 0; i < 3; i++) {
    ASSERT_OK(weft_await(t[i], NULL));
    ASSERT_OK(w[i].rc);
    ASSERT_STR_EQ("value", w[i].res);
    weft_task_release(t[i]);
  }
  ASSERT_OK(weft_future_result(f, &res));
  ASSERT_STR_EQ("value", res);
  /* Awaiting a done future returns at once. */
  res = NULL;
  ASSERT_OK(weft_future_await(f, &res));
  ASSERT_STR_EQ("value", res);
  ASSERT_NULL(weft_future_error(f));
  weft_future_release(f);
  return NULL;
}

TEST_IMPL(future_result_to_many_awaiters) {
  ASSERT_OK(weft_test_run(result_main, NULL, NULL));
  return 0;
}

static void *error_main(void *arg) {
  weft_future *f;
  weft_task *t;
  waiter_arg w;
  void *res = (void *)1;

  (void)arg;
  ASSERT_OK(weft_future_new(&f, weft_loop_current()));
  w = (waiter_arg){f, 1, NULL};
  ASSERT_OK(weft_spawn(&t, awaiter, &w, NULL));
  ASSERT_OK(weft_yield());
  ASSERT_EQ(-EINVAL, weft_future_set_error(f, 5, "positive code"));
  ASSERT_EQ(-EINVAL, weft_future_set_error(f, 0, "zero code"));
  ASSERT_EQ(0, weft_future_done(f));
  ASSERT_OK(weft_future_set_error(f, -ECONNRESET, "peer %s", "went away"));
  ASSERT_OK(weft_await(t, NULL));
  ASSERT_EQ(-ECONNRESET, w.rc);
  ASSERT_EQ(-ECONNRESET, weft_future_result(f, &res));
  ASSERT_EQ(1, (long)res);
  ASSERT_STR_EQ("peer went away", weft_future_error(f));
  ASSERT_EQ(1, weft_future_done(f));
  ASSERT_EQ(0, weft_future_cancelled(f));
  weft_task_release(t);
  weft_future_release(f);
  return NULL;
}

TEST_IMPL(future_set_error_code_and_message) {
  ASSERT_OK(weft_test_run(error_main, NULL, NULL));
  return 0;
}

static void *cancel_main(void *arg) {
  weft_future *f;
  weft_task *t;
  waiter_arg w;

  (void)arg;
  ASSERT_OK(weft_future_new(&f, NULL));
  w = (waiter_arg){f, 1, NULL};
  ASSERT_OK(weft_spawn(&t, awaiter, &w, NULL));
  ASSERT_OK(weft_yield());
  ASSERT_EQ(1, weft_future_cancel(f));
  ASSERT_EQ(0, weft_future_cancel(f));
  ASSERT_OK(weft_await(t, NULL)); /* the awaiter returned normally */
  ASSERT_EQ(-ECANCELED, w.rc);
  ASSERT_EQ(1, weft_future_cancelled(f));
  ASSERT_EQ(1, weft_future_done(f));
  ASSERT_EQ(-ECANCELED, weft_future_result(f, NULL));
  ASSERT_EQ(-EINVAL, weft_future_set_result(f, NULL));
  ASSERT_EQ(-EINVAL, weft_future_set_error(f, -EIO, NULL));
  weft_task_release(t);
  weft_future_release(f);
  return NULL;
}

TEST_IMPL(future_cancel) {
  ASSERT_OK(weft_test_run(cancel_main, NULL, NULL));
  return 0;
}

static void *double_set_main(void *arg) {
  weft_future *f;
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_future_new(&f, NULL));
  ASSERT_OK(weft_future_set_result(f, "first"));
  ASSERT_EQ(-EINVAL, weft_future_set_result(f, "second"));
  ASSERT_EQ(-EINVAL, weft_future_set_error(f, -EIO, "late"));
  ASSERT_EQ(0, weft_future_cancel(f));
  ASSERT_OK(weft_future_result(f, &res));
  ASSERT_STR_EQ("first", res);
  weft_future_release(f);
  /* set_error(-ECANCELED) is a cancellation. */
  ASSERT_OK(weft_future_new(&f, NULL));
  ASSERT_OK(weft_future_set_error(f, -ECANCELED, NULL));
  ASSERT_EQ(1, weft_future_cancelled(f));
  ASSERT_EQ(-EINVAL, weft_future_set_result(f, "x"));
  weft_future_release(f);
  return NULL;
}

TEST_IMPL(future_double_set_is_einval) {
  ASSERT_OK(weft_test_run(double_set_main, NULL, NULL));
  return 0;
}

static char cb_order[16];
static int cb_len;

static void record_done(weft_future *f, void *arg) {
  ASSERT(weft_future_done(f));
  cb_order[cb_len++] = *(const char *)arg;
}

static void *callbacks_main(void *arg) {
  weft_future *f;

  (void)arg;
  ASSERT_OK(weft_future_new(&f, NULL));
  ASSERT_OK(weft_future_add_done_callback(f, record_done, "a"));
  ASSERT_OK(weft_future_add_done_callback(f, record_done, "x"));
  ASSERT_OK(weft_future_add_done_callback(f, record_done, "b"));
  ASSERT_OK(weft_future_add_done_callback(f, record_done, "x"));
  ASSERT_EQ(2, weft_future_remove_done_callback(f, record_done, "x"));
  ASSERT_EQ(0, weft_future_remove_done_callback(f, record_done, "nope"));
  ASSERT_EQ(-EINVAL, weft_future_add_done_callback(f, NULL, NULL));
  ASSERT_OK(weft_future_add_done_callback(f, record_done, "c"));
  ASSERT_OK(weft_future_set_result(f, NULL));
  ASSERT_EQ(0, cb_len); /* scheduled, not called synchronously */
  ASSERT_OK(weft_yield());
  ASSERT_STR_EQ("abc", cb_order);
  ASSERT_OK(weft_future_add_done_callback(f, record_done, "d"));
  ASSERT_STR_EQ("abc", cb_order);
  ASSERT_OK(weft_yield());
  ASSERT_STR_EQ("abcd", cb_order);
  /* The callbacks keep the future alive after its last release. */
  ASSERT_OK(weft_future_add_done_callback(f, record_done, "e"));
  weft_future_release(f);
  ASSERT_OK(weft_yield());
  ASSERT_STR_EQ("abcde", cb_order);
  return NULL;
}

TEST_IMPL(future_done_callbacks) {
  ASSERT_OK(weft_test_run(callbacks_main, NULL, NULL));
  return 0;
}

static void *cancelled_awaiter_main(void *arg) {
  weft_future *f;
  weft_task *t1, *t2;
  waiter_arg w1, w2;

  (void)arg;
  ASSERT_OK(weft_future_new(&f, NULL));
  w1 = (waiter_arg){f, 1, NULL};
  w2 = (waiter_arg){f, 1, NULL};
  ASSERT_OK(weft_spawn(&t1, awaiter, &w1, NULL));
  ASSERT_OK(weft_spawn(&t2, awaiter, &w2, NULL));
  ASSERT_OK(weft_yield());
  ASSERT_EQ(1, weft_task_cancel(t1));
  ASSERT_OK(weft_await(t1, NULL)); /* saw -ECANCELED, returned normally */
  ASSERT_EQ(-ECANCELED, w1.rc);
  ASSERT_EQ(0, weft_future_done(f)); /* the future itself is untouched */
  ASSERT_EQ(0, weft_future_cancelled(f));
  ASSERT_OK(weft_future_set_result(f, "late"));
  ASSERT_OK(weft_await(t2, NULL));
  ASSERT_OK(w2.rc);
  ASSERT_STR_EQ("late", w2.res);
  weft_task_release(t1);
  weft_task_release(t2);
  weft_future_release(f);
  return NULL;
}

TEST_IMPL(future_cancelled_awaiter_does_not_cancel_future) {
  ASSERT_OK(weft_test_run(cancelled_awaiter_main, NULL, NULL));
  return 0;
}

static void *unretrieved_main(void *arg) {
  weft_future *f;

  (void)arg;
  ASSERT_OK(weft_future_new(&f, NULL));
  ASSERT_OK(weft_future_set_error(f, -EPIPE, "nobody listened"));
  weft_future_release(f);
  ASSERT_OK(weft_future_new(&f, NULL));
  ASSERT_OK(weft_future_set_error(f, -EIO, "looked at"));
  ASSERT_EQ(-EIO, weft_future_result(f, NULL));
  weft_future_release(f);
  return NULL;
}

TEST_IMPL(future_exception_never_retrieved_reported) {
  char err[4096];
  FILE *tmp;
  int saved = core_test_capture_begin(&tmp);
  int rc = weft_test_run(unretrieved_main, NULL, NULL);

  core_test_capture_end(tmp, saved, err, sizeof(err));
  ASSERT_OK(rc);
  ASSERT_NOT_NULL(strstr(err, "Future exception was never retrieved: "));
  ASSERT_NOT_NULL(strstr(err, "(EPIPE)"));
  if (!strstr(err, "nobody listened") && weft_test_torture)
    weft_test_enomem_exit(); /* the message was lost to a failed allocation */
  ASSERT_NOT_NULL(strstr(err, "nobody listened (EPIPE)"));
  ASSERT_NULL(strstr(err, "looked at"));
  return 0;
}

TEST_IMPL(future_bad_arguments) {
  weft_loop *loop;
  weft_future *f = NULL;

  ASSERT_EQ(-EINVAL, weft_future_new(&f, NULL)); /* no loop */
  ASSERT_NULL(f);
  ASSERT_EQ(-EINVAL, weft_future_set_result(NULL, NULL));
  ASSERT_EQ(0, weft_future_cancel(NULL));
  ASSERT_EQ(0, weft_future_done(NULL));
  ASSERT_EQ(-EINVAL, weft_future_result(NULL, NULL));
  ASSERT_EQ(-EINVAL, weft_future_await(NULL, NULL));
  weft_future_release(NULL);
  ASSERT_OK(weft_loop_new(&loop));
  ASSERT_OK(weft_future_new(&f, loop));
  ASSERT_EQ(-EPERM, weft_future_await(f, NULL)); /* not in a task */
  weft_future_release(f);
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}
