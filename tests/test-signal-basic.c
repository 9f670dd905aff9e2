/*
 * Signals: handlers (add/remove), signal waits, bad input, several loops.
 */
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include "test.h"

static int calls, last_signo;
static weft_loop *called_on;

static void on_signal(int signo, void *arg) {
  calls++;
  last_signo = signo;
  called_on = weft_loop_current();
  ASSERT_EQ((void *)&calls, arg);
}

/* Let the loop pick up a raised signal (it arrives through a pipe). */
static void settle(int *counter, int want) {
  for (int i = 0; i < 2000 && *counter < want; i++)
    ASSERT_OK(weft_sleep(0.001));
}

static void *handler_main(void *arg) {
  weft_signal *h;

  (void)arg;
  ASSERT_OK(weft_signal_add(SIGUSR1, on_signal, &calls, &h));
  ASSERT_EQ(SIGUSR1, weft_signal_signo(h));
  ASSERT_OK(raise(SIGUSR1));
  settle(&calls, 1);
  ASSERT_EQ(1, calls);
  ASSERT_EQ(SIGUSR1, last_signo);
  ASSERT_EQ(weft_loop_current(), called_on);
  ASSERT_OK(raise(SIGUSR1));
  settle(&calls, 2);
  ASSERT_EQ(2, calls);
  ASSERT_OK(weft_signal_remove(h));
  return NULL;
}

TEST_IMPL(signal_handler_called) {
  ASSERT_OK(weft_test_run(handler_main, NULL, NULL));
  return 0;
}

static int calls_b;
static void on_signal_b(int signo, void *arg) {
  (void)signo;
  (void)arg;
  calls_b++;
}

static void *remove_main(void *arg) {
  weft_signal *a, *b;

  (void)arg;
  ASSERT_OK(weft_signal_add(SIGUSR2, on_signal, &calls, &a));
  ASSERT_OK(weft_signal_add(SIGUSR2, on_signal_b, NULL, &b));
  ASSERT_OK(raise(SIGUSR2));
  settle(&calls_b, 1);
  settle(&calls, 1);
  ASSERT_EQ(1, calls);
  ASSERT_EQ(1, calls_b);
  ASSERT_OK(weft_signal_remove(a));
  ASSERT_OK(raise(SIGUSR2));
  settle(&calls_b, 2);
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_EQ(1, calls); /* removed: not called again */
  ASSERT_EQ(2, calls_b);
  ASSERT_OK(weft_signal_remove(b));
  return NULL;
}

TEST_IMPL(signal_remove_stops_delivery) {
  ASSERT_OK(weft_test_run(remove_main, NULL, NULL));
  return 0;
}

static void *bad_main(void *arg) {
  weft_signal *h = NULL;

  (void)arg;
  ASSERT_EQ(-EINVAL, weft_signal_add(0, on_signal, NULL, &h));
  ASSERT_EQ(-EINVAL, weft_signal_add(-3, on_signal, NULL, &h));
  ASSERT_EQ(-EINVAL, weft_signal_add(NSIG, on_signal, NULL, &h));
  ASSERT_EQ(-EINVAL, weft_signal_add(100000, on_signal, NULL, &h));
  ASSERT_EQ(-EINVAL, weft_signal_add(SIGKILL, on_signal, NULL, &h));
  ASSERT_EQ(-EINVAL, weft_signal_add(SIGSTOP, on_signal, NULL, &h));
  ASSERT_EQ(-EINVAL, weft_signal_add(SIGUSR1, NULL, NULL, &h));
  ASSERT_EQ(-EINVAL, weft_signal_add(SIGUSR1, on_signal, NULL, NULL));
  ASSERT_NULL(h);
  ASSERT_EQ(-EINVAL, weft_signal_wait(SIGKILL));
  ASSERT_EQ(-EINVAL, weft_signal_wait(SIGSTOP));
  ASSERT_EQ(-EINVAL, weft_signal_wait(0));
  ASSERT_EQ(-EINVAL, weft_signal_wait(-1));
  ASSERT_EQ(-EINVAL, weft_signal_remove(NULL));
  ASSERT_EQ(-EINVAL, weft_signal_signo(NULL));
  return NULL;
}

TEST_IMPL(signal_bad_input) {
  ASSERT_OK(weft_test_run(bad_main, NULL, NULL));
  ASSERT_EQ(-EPERM, weft_signal_wait(SIGUSR1));
  return 0;
}

static void *raiser(void *arg) {
  (void)arg;
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_OK(raise(SIGUSR1));
  return NULL;
}

static void *wait_main(void *arg) {
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, raiser, NULL, NULL));
  ASSERT_OK(weft_signal_wait(SIGUSR1));
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(signal_wait_returns_when_raised) {
  ASSERT_OK(weft_test_run(wait_main, NULL, NULL));
  return 0;
}

static void *waiter(void *arg) {
  (void)arg;
  return weft_fail(weft_signal_wait(SIGUSR2), "wait");
}

static void *wait_cancel_main(void *arg) {
  weft_scope sc;
  weft_task *t;
  int cancelled;

  (void)arg;
  /* timeout */
  ASSERT_OK(weft_timeout_enter(&sc, 0.02));
  ASSERT_EQ(-ETIMEDOUT, weft_signal_wait(SIGUSR2));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  /* cancellation of a waiting task */
  ASSERT_OK(weft_spawn(&t, waiter, NULL, NULL));
  ASSERT_OK(weft_sleep(0.01));
  cancelled = weft_task_cancel(t); /* 0: the wait ended first (out of memory) */
  ASSERT_EQ(-ECANCELED, weft_await(t, NULL));
  ASSERT_EQ(1, cancelled);
  weft_task_release(t);
  /* a pending cancellation returns at once, without waiting */
  ASSERT_OK(weft_timeout_enter(&sc, 0));
  ASSERT_EQ(-ETIMEDOUT, weft_signal_wait(SIGUSR2));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  /* the layer still works afterwards */
  ASSERT_OK(weft_spawn(&t, raiser, NULL, NULL));
  ASSERT_OK(weft_signal_wait(SIGUSR1));
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(signal_wait_cancel_and_timeout) {
  ASSERT_OK(weft_test_run(wait_cancel_main, NULL, NULL));
  return 0;
}

/* Two loops on two threads, each with its own handler: one raise reaches
 * both, each on its own thread and loop. */
static atomic_int ready, got[2];
static weft_loop *loops[2], *seen[2];

static void on_thread_signal(int signo, void *arg) {
  size_t i = (size_t)(uintptr_t)arg;

  (void)signo;
  seen[i] = weft_loop_current();
  atomic_fetch_add(&got[i], 1);
}

static void *thread_main(size_t index, void *arg) {
  weft_signal *h;

  (void)arg;
  loops[index] = weft_loop_current();
  ASSERT_OK(weft_signal_add(SIGUSR1, on_thread_signal, (void *)(uintptr_t)index, &h));
  atomic_fetch_add(&ready, 1);
  for (int i = 0; i < 5000 && atomic_load(&ready) < 2; i++)
    ASSERT_OK(weft_sleep(0.001));
  if (index == 0)
    ASSERT_OK(raise(SIGUSR1));
  for (int i = 0; i < 5000 && atomic_load(&got[index]) < 1; i++)
    ASSERT_OK(weft_sleep(0.001));
  ASSERT_OK(weft_signal_remove(h));
  return NULL;
}

TEST_IMPL(signal_two_loops) {
  int codes[2] = {-1, -1};

  ASSERT_OK(weft_run_threads(2, thread_main, NULL, NULL, codes));
  ASSERT_OK(codes[0]);
  ASSERT_OK(codes[1]);
  ASSERT_EQ(1, atomic_load(&got[0]));
  ASSERT_EQ(1, atomic_load(&got[1]));
  ASSERT(loops[0] != loops[1]);
  ASSERT_EQ(loops[0], seen[0]);
  ASSERT_EQ(loops[1], seen[1]);
  return 0;
}
