/* Lock and Event: behaviour, fairness, cancellation, timeouts, misuse. */
#include <sys/wait.h>
#include <unistd.h>

#include "tasks.h"

static weft_lock lock = WEFT_LOCK_INIT;
static char order[32];
static int order_len;
static int ran;

static void *set_ran(void *arg) {
  (void)arg;
  ran = 1;
  return NULL;
}

static void *lock_basic_main(void *arg) {
  weft_task *t;

  (void)arg;
  weft_lock_init(&lock);
  t = spawn_named(set_ran, NULL, "other");
  ASSERT_EQ(0, weft_lock_locked(&lock));
  ASSERT_OK(weft_lock_acquire(&lock));
  ASSERT_EQ(0, ran); /* a free lock is taken without suspending */
  ASSERT_EQ(1, weft_lock_locked(&lock));
  ASSERT_EQ(-EDEADLK, weft_lock_acquire(&lock));
  ASSERT_EQ(-EBUSY, weft_lock_try_acquire(&lock));
  ASSERT_OK(weft_lock_release(&lock));
  ASSERT_EQ(-EPERM, weft_lock_release(&lock)); /* not acquired */
  ASSERT_OK(weft_lock_try_acquire(&lock));
  ASSERT_OK(weft_lock_release(&lock));
  ASSERT_EQ(0, await_rc(t));
  ASSERT_OK(weft_lock_destroy(&lock));
  return NULL;
}

TEST_IMPL(sync_lock_basic) {
  ASSERT_OK(weft_test_run(lock_basic_main, NULL, NULL));
  ASSERT_EQ(-EPERM, weft_lock_acquire(&lock)); /* outside a task */
  return 0;
}

static void *locker(void *arg) {
  int rc = weft_lock_acquire(&lock);

  if (rc)
    return (void *)(intptr_t)rc;
  order[order_len++] = *(const char *)arg;
  weft_yield(); /* hold it across a suspension */
  return (void *)(intptr_t)weft_lock_release(&lock);
}

static void *lock_fifo_main(void *arg) {
  weft_task *t[4];
  const char *names = "abcd";

  (void)arg;
  weft_lock_init(&lock);
  order_len = 0;
  ASSERT_OK(weft_lock_acquire(&lock));
  for (int i = 0; i < 4; i++)
    t[i] = spawn_named(locker, (void *)(names + i), "locker");
  ASSERT_OK(weft_sleep(0.01));
  ASSERT_OK(weft_lock_release(&lock));
  /* Handed over: the lock is never seen free while tasks wait. */
  ASSERT_EQ(1, weft_lock_locked(&lock));
  ASSERT_EQ(-EPERM, weft_lock_release(&lock)); /* held by "a" now */
  for (int i = 0; i < 4; i++)
    ASSERT_EQ(0, await_rc(t[i]));
  order[order_len] = 0;
  ASSERT_STR_EQ("abcd", order);
  ASSERT_EQ(0, weft_lock_locked(&lock));
  return NULL;
}

TEST_IMPL(sync_lock_fifo) {
  ASSERT_OK(weft_test_run(lock_fifo_main, NULL, NULL));
  return 0;
}

static void unlock_cb(void *arg) {
  ASSERT_OK(weft_lock_release(arg));
}

static void *lock_callback_main(void *arg) {
  weft_task *t;
  double t0;

  (void)arg;
  weft_lock_init(&lock);
  order_len = 0;
  ASSERT_OK(weft_lock_acquire(&lock));
  /* asyncio's seed: a call_later callback releases on the holder's behalf */
  ASSERT_OK(weft_call_later(NULL, 0.05, unlock_cb, &lock, NULL));
  t = spawn_named(locker, "x", "x");
  t0 = weft_time();
  ASSERT_EQ(0, await_rc(t));
  ASSERT_GE(weft_time() - t0, 0.04);
  ASSERT_EQ(1, order_len);
  return NULL;
}

TEST_IMPL(sync_lock_release_from_callback) {
  ASSERT_OK(weft_test_run(lock_callback_main, NULL, NULL));
  return 0;
}

static void *releaser(void *arg) {
  return (void *)(intptr_t)weft_lock_release(arg);
}

static void *lock_wrong_owner_main(void *arg) {
  (void)arg;
  weft_lock_init(&lock);
  ASSERT_OK(weft_lock_acquire(&lock));
  ASSERT_EQ(-EPERM, await_rc(spawn_named(releaser, &lock, "thief")));
  ASSERT_EQ(1, weft_lock_locked(&lock));
  ASSERT_OK(weft_lock_release(&lock));
  return NULL;
}

TEST_IMPL(sync_lock_release_by_other_task) {
  ASSERT_OK(weft_test_run(lock_wrong_owner_main, NULL, NULL));
  return 0;
}

static void *lock_cancel_main(void *arg) {
  weft_task *a, *b;

  (void)arg;
  weft_lock_init(&lock);
  order_len = 0;
  ASSERT_OK(weft_lock_acquire(&lock));
  a = spawn_named(locker, "a", "a");
  b = spawn_named(locker, "b", "b");
  ASSERT_OK(weft_yield());
  ASSERT_STR_EQ("lock", weft_task_waiting_on(a));
  ASSERT_EQ(1, weft_task_cancel(a));
  ASSERT_OK(weft_lock_release(&lock));
  ASSERT_EQ(-ECANCELED, await_rc(a));
  ASSERT_EQ(0, await_rc(b));
  ASSERT_EQ(1, order_len);
  ASSERT_EQ('b', order[0]);
  ASSERT_EQ(0, weft_lock_locked(&lock));
  return NULL;
}

TEST_IMPL(sync_lock_cancel_waiter) {
  ASSERT_OK(weft_test_run(lock_cancel_main, NULL, NULL));
  return 0;
}

static void *lock_handoff_cancel_main(void *arg) {
  weft_task *a, *b;

  (void)arg;
  weft_lock_init(&lock);
  order_len = 0;
  ASSERT_OK(weft_lock_acquire(&lock));
  a = spawn_named(locker, "a", "a");
  b = spawn_named(locker, "b", "b");
  ASSERT_OK(weft_yield());
  ASSERT_OK(weft_lock_release(&lock)); /* handed to a ... */
  ASSERT_EQ(1, weft_task_cancel(a));   /* ... which is cancelled before it runs */
  ASSERT_EQ(-ECANCELED, await_rc(a));
  ASSERT_EQ(0, await_rc(b)); /* so b gets it */
  ASSERT_EQ(1, order_len);
  ASSERT_EQ('b', order[0]);
  ASSERT_EQ(0, weft_lock_locked(&lock));
  return NULL;
}

TEST_IMPL(sync_lock_handoff_to_cancelled_waiter) {
  ASSERT_OK(weft_test_run(lock_handoff_cancel_main, NULL, NULL));
  return 0;
}

static void *timed_locker(void *arg) {
  weft_scope sc;
  int rc;

  ASSERT_OK(weft_timeout_enter(&sc, *(double *)arg));
  rc = weft_lock_acquire(&lock);
  ASSERT_EQ(rc == -ETIMEDOUT ? -ETIMEDOUT : 0, weft_timeout_leave(&sc));
  if (rc == 0)
    ASSERT_OK(weft_lock_release(&lock));
  return (void *)(intptr_t)rc;
}

static void *lock_timeout_main(void *arg) {
  double d = 0.02;

  (void)arg;
  weft_lock_init(&lock);
  ASSERT_OK(weft_lock_acquire(&lock));
  ASSERT_EQ(-ETIMEDOUT, await_rc(spawn_named(timed_locker, &d, "timed")));
  ASSERT_OK(weft_lock_destroy(&lock)); /* nobody left waiting */
  ASSERT_OK(weft_lock_release(&lock));
  d = 10;
  ASSERT_EQ(0, await_rc(spawn_named(timed_locker, &d, "timed")));
  return NULL;
}

TEST_IMPL(sync_lock_timeout) {
  ASSERT_OK(weft_test_run(lock_timeout_main, NULL, NULL));
  return 0;
}

static void *use_lock(void *arg) {
  int rc = weft_lock_acquire(arg);

  if (rc == 0)
    weft_lock_release(arg);
  return (void *)(intptr_t)rc;
}

static void *hold_lock(void *arg) {
  return (void *)(intptr_t)weft_lock_acquire(arg);
}

static intptr_t run_on(weft_loop *loop, weft_task_fn fn) {
  weft_task *t;
  void *res;

  ASSERT_OK(weft_spawn(&t, fn, &lock, &(weft_spawn_opts){.loop = loop}));
  ASSERT_OK(weft_loop_run_until_complete(loop, t, &res));
  weft_task_release(t);
  return (intptr_t)res;
}

TEST_IMPL(sync_lock_other_loop) {
  weft_loop *l1, *l2;

  weft_lock_init(&lock);
  ASSERT_OK(weft_loop_new(&l1));
  ASSERT_OK(weft_loop_new(&l2));
  ASSERT_EQ(0, run_on(l1, use_lock));
  ASSERT_EQ(0, run_on(l2, use_lock)); /* an idle lock may move to another loop */
  ASSERT_EQ(0, run_on(l1, hold_lock));
  ASSERT_EQ(-EINVAL, run_on(l2, use_lock)); /* held by a task of l1 */
  ASSERT_EQ(-EINVAL, run_on(l2, hold_lock));
  weft_loop_free(l1);
  weft_loop_free(l2);
  return 0;
}

/* ---- destroying with waiters ----------------------------------------- */

static void *destroy_busy_main(void *arg) {
  weft_task *t;

  if (arg)
    weft_loop_set_debug(weft_loop_current(), 1);
  weft_lock_init(&lock);
  ASSERT_OK(weft_lock_acquire(&lock));
  t = spawn_named(locker, "w", "waiting-worker");
  ASSERT_OK(weft_yield());
  ASSERT_EQ(-EBUSY, weft_lock_destroy(&lock)); /* debug mode aborts here */
  ASSERT_OK(weft_lock_release(&lock));
  ASSERT_EQ(0, await_rc(t));
  ASSERT_OK(weft_lock_destroy(&lock));
  return NULL;
}

TEST_IMPL(sync_lock_destroy_busy) {
  int fds[2], status;
  char buf[512] = {0};
  pid_t pid;

  ASSERT_OK(weft_test_run(destroy_busy_main, NULL, NULL));
  /* In debug mode the same misuse aborts and names the waiting task. */
  ASSERT_OK(pipe(fds));
  pid = fork();
  if (pid == 0) {
    dup2(fds[1], 2);
    weft_test_run(destroy_busy_main, (void *)1, NULL);
    _exit(0);
  }
  close(fds[1]);
  for (size_t len = 0, n; len < sizeof(buf) - 1; len += n)
    if ((n = (size_t)read(fds[0], buf + len, sizeof(buf) - 1 - len)) == 0 || n == (size_t)-1)
      break;
  close(fds[0]);
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
  ASSERT_NOT_NULL(strstr(buf, "lock destroyed"));
  ASSERT_NOT_NULL(strstr(buf, "'waiting-worker'"));
  return 0;
}

/* ---- Event ------------------------------------------------------------ */

static weft_event event = WEFT_EVENT_INIT;

static void *event_waiter(void *arg) {
  int rc = weft_event_wait(&event);

  if (rc == 0)
    order[order_len++] = *(const char *)arg;
  return (void *)(intptr_t)rc;
}

static void set_cb(void *arg) {
  ASSERT_OK(weft_event_set(arg));
}

static void *event_main(void *arg) {
  weft_task *t[3];

  (void)arg;
  weft_event_init(&event);
  order_len = 0;
  ASSERT_EQ(0, weft_event_is_set(&event));
  for (int i = 0; i < 3; i++)
    t[i] = spawn_named(event_waiter, (void *)("abc" + i), "waiter");
  ASSERT_OK(weft_call_later(NULL, 0.01, set_cb, &event, NULL));
  ASSERT_OK(weft_event_wait(&event));
  for (int i = 0; i < 3; i++)
    ASSERT_EQ(0, await_rc(t[i]));
  order[order_len] = 0;
  ASSERT_STR_EQ("abc", order);
  ASSERT_EQ(1, weft_event_is_set(&event));
  ASSERT_OK(weft_event_set(&event)); /* setting twice is harmless */
  ran = 0;
  t[0] = spawn_named(set_ran, NULL, "other");
  ASSERT_OK(weft_event_wait(&event)); /* set: returns without suspending */
  ASSERT_EQ(0, ran);
  ASSERT_EQ(0, await_rc(t[0]));
  ASSERT_OK(weft_event_clear(&event));
  ASSERT_EQ(0, weft_event_is_set(&event));
  ASSERT_OK(weft_event_destroy(&event));
  return NULL;
}

TEST_IMPL(sync_event_basic) {
  ASSERT_OK(weft_test_run(event_main, NULL, NULL));
  ASSERT_EQ(-EPERM, weft_event_wait(&event));
  return 0;
}

static void *event_cancel_main(void *arg) {
  weft_task *a, *b;
  weft_scope sc;

  (void)arg;
  weft_event_init(&event);
  order_len = 0;
  a = spawn_named(event_waiter, "a", "a");
  b = spawn_named(event_waiter, "b", "b");
  ASSERT_OK(weft_yield());
  ASSERT_EQ(-EBUSY, weft_event_destroy(&event));
  weft_task_cancel(a);
  ASSERT_EQ(-ECANCELED, await_rc(a));
  ASSERT_OK(weft_timeout_enter(&sc, 0.01));
  ASSERT_EQ(-ETIMEDOUT, weft_event_wait(&event));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_OK(weft_event_set(&event));
  ASSERT_EQ(0, await_rc(b));
  ASSERT_EQ(1, order_len);
  ASSERT_OK(weft_event_destroy(&event));
  return NULL;
}

TEST_IMPL(sync_event_cancel_and_timeout) {
  ASSERT_OK(weft_test_run(event_cancel_main, NULL, NULL));
  return 0;
}
