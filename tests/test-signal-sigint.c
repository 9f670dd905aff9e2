/*
 * SIGINT and weft_run's Ctrl-C handling: while a user handler or waiter
 * watches SIGINT on the loop, SIGINT goes to it alone and no task is
 * cancelled; once it is removed, SIGINT cancels every task again. Each test
 * runs in its own process, so raising SIGINT here is safe.
 */
#include <signal.h>

#include "test.h"

static int hits;

static void on_sigint(int signo, void *arg) {
  (void)arg;
  ASSERT_EQ(SIGINT, signo);
  hits++;
}

static void *sigint_raiser(void *arg) {
  (void)arg;
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_OK(raise(SIGINT));
  return NULL;
}

static void *handler_takes_precedence_main(void *arg) {
  weft_signal *h;
  weft_task *t;
  int rc;

  (void)arg;
  ASSERT_OK(weft_signal_add(SIGINT, on_sigint, NULL, &h));
  ASSERT_OK(raise(SIGINT));
  for (int i = 0; i < 2000 && hits < 1; i++)
    ASSERT_OK(weft_sleep(0.001)); /* not cancelled */
  ASSERT_EQ(1, hits);
  ASSERT_OK(weft_sleep(0.02));
  /* a waiter too, alongside the handler */
  ASSERT_OK(weft_spawn(&t, sigint_raiser, NULL, NULL));
  ASSERT_OK(weft_signal_wait(SIGINT));
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_EQ(2, hits);
  /* removed: weft_run's handling is back, SIGINT cancels every task */
  ASSERT_OK(weft_signal_remove(h));
  ASSERT_OK(raise(SIGINT));
  rc = weft_sleep(5.0);
  ASSERT_EQ(-ECANCELED, rc);
  return weft_fail(rc, "interrupted");
}

TEST_IMPL(signal_sigint_handler_precedes_run) {
  ASSERT_EQ(-ECANCELED, weft_test_run(handler_takes_precedence_main, NULL, NULL));
  ASSERT_EQ(2, hits);
  return 0;
}

/* A waiter alone also holds SIGINT back from weft_run, and only while it
 * waits. */
static void *waiter_main(void *arg) {
  weft_task *t;
  int rc;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, sigint_raiser, NULL, NULL));
  ASSERT_OK(weft_signal_wait(SIGINT));
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_OK(weft_sleep(0.01)); /* the wait's watcher is gone */
  ASSERT_OK(raise(SIGINT));
  rc = weft_sleep(5.0);
  ASSERT_EQ(-ECANCELED, rc);
  return weft_fail(rc, "interrupted");
}

TEST_IMPL(signal_sigint_wait_then_run_handling) {
  ASSERT_EQ(-ECANCELED, weft_test_run(waiter_main, NULL, NULL));
  return 0;
}
