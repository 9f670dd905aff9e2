/* Condition: notify(n), notify_all, wait_for, cancellation, shared locks. */
#include "tasks.h"

static weft_cond cond = WEFT_COND_INIT;
static char order[32];
static int order_len;
static int items;

/* Wait once; the lock must be held again on return, whatever happened. */
static void *waiter(void *arg) {
  int rc;

  ASSERT_OK(weft_cond_acquire(&cond));
  rc = weft_cond_wait(&cond);
  ASSERT_EQ(1, weft_cond_locked(&cond));
  if (rc == 0)
    order[order_len++] = *(const char *)arg;
  ASSERT_OK(weft_cond_release(&cond)); /* fails unless this task holds it */
  return (void *)(intptr_t)rc;
}

static void notify(size_t n) {
  ASSERT_OK(weft_cond_acquire(&cond));
  ASSERT_OK(weft_cond_notify(&cond, n));
  ASSERT_OK(weft_cond_release(&cond));
}

static void *notify_main(void *arg) {
  weft_task *t[4];

  (void)arg;
  weft_cond_init(&cond, NULL);
  order_len = 0;
  for (int i = 0; i < 4; i++)
    t[i] = spawn_named(waiter, (void *)("abcd" + i), "waiter");
  ASSERT_OK(weft_sleep(0.005));
  notify(1);
  ASSERT_OK(weft_sleep(0.005));
  order[order_len] = 0;
  ASSERT_STR_EQ("a", order);
  notify(2);
  ASSERT_OK(weft_sleep(0.005));
  order[order_len] = 0;
  ASSERT_STR_EQ("abc", order);
  ASSERT_OK(weft_cond_acquire(&cond));
  ASSERT_OK(weft_cond_notify_all(&cond));
  ASSERT_OK(weft_cond_release(&cond));
  for (int i = 0; i < 4; i++)
    ASSERT_EQ(0, await_rc(t[i]));
  order[order_len] = 0;
  ASSERT_STR_EQ("abcd", order);
  ASSERT_OK(weft_cond_destroy(&cond));
  return NULL;
}

TEST_IMPL(sync_cond_notify_n_and_all) {
  ASSERT_OK(weft_test_run(notify_main, NULL, NULL));
  return 0;
}

static void *misuse_main(void *arg) {
  weft_task *t;

  (void)arg;
  weft_cond_init(&cond, NULL);
  ASSERT_EQ(-EPERM, weft_cond_wait(&cond));      /* lock not held */
  ASSERT_EQ(-EPERM, weft_cond_notify(&cond, 1)); /* idem */
  ASSERT_EQ(-EPERM, weft_cond_notify_all(&cond));
  ASSERT_EQ(-EPERM, weft_cond_release(&cond));
  t = spawn_named(waiter, "a", "a");
  ASSERT_OK(weft_yield());
  ASSERT_EQ(-EBUSY, weft_cond_destroy(&cond));
  ASSERT_OK(weft_cond_acquire(&cond));
  ASSERT_EQ(-EINVAL, weft_cond_wait_for(&cond, NULL, NULL));
  ASSERT_OK(weft_cond_notify(&cond, 1));
  ASSERT_OK(weft_cond_release(&cond));
  ASSERT_EQ(0, await_rc(t));
  ASSERT_OK(weft_cond_destroy(&cond));
  return NULL;
}

TEST_IMPL(sync_cond_misuse) {
  ASSERT_OK(weft_test_run(misuse_main, NULL, NULL));
  ASSERT_EQ(-EPERM, weft_cond_wait(&cond)); /* outside a task */
  return 0;
}

static int have_items(void *arg) {
  return *(int *)arg > 0;
}

static void *consumer(void *arg) {
  int rc;

  (void)arg;
  ASSERT_OK(weft_cond_acquire(&cond));
  rc = weft_cond_wait_for(&cond, have_items, &items);
  if (rc == 0)
    items--;
  ASSERT_OK(weft_cond_release(&cond));
  return (void *)(intptr_t)rc;
}

static void *wait_for_main(void *arg) {
  weft_task *a, *b;

  (void)arg;
  weft_cond_init(&cond, NULL);
  items = 1;
  a = spawn_named(consumer, NULL, "a"); /* predicate already true */
  b = spawn_named(consumer, NULL, "b");
  ASSERT_EQ(0, await_rc(a));
  ASSERT_OK(weft_sleep(0.005));
  ASSERT_EQ(0, weft_task_done(b));
  ASSERT_OK(weft_cond_acquire(&cond));
  ASSERT_OK(weft_cond_notify_all(&cond)); /* spurious: predicate still false */
  ASSERT_OK(weft_cond_release(&cond));
  ASSERT_OK(weft_sleep(0.005));
  ASSERT_EQ(0, weft_task_done(b));
  ASSERT_OK(weft_cond_acquire(&cond));
  items = 1;
  ASSERT_OK(weft_cond_notify(&cond, 1));
  ASSERT_OK(weft_cond_release(&cond));
  ASSERT_EQ(0, await_rc(b));
  ASSERT_EQ(0, items);
  return NULL;
}

TEST_IMPL(sync_cond_wait_for) {
  ASSERT_OK(weft_test_run(wait_for_main, NULL, NULL));
  return 0;
}

static void *cancel_main(void *arg) {
  weft_task *a;

  (void)arg;
  weft_cond_init(&cond, NULL);
  order_len = 0;
  a = spawn_named(waiter, "a", "a");
  ASSERT_OK(weft_yield());
  /* Hold the lock while cancelling: the waiter must wait for it before
   * returning -ECANCELED. */
  ASSERT_OK(weft_cond_acquire(&cond));
  weft_task_cancel(a);
  ASSERT_OK(weft_sleep(0.005));
  ASSERT_EQ(0, weft_task_done(a));
  ASSERT_STR_EQ("lock", weft_task_waiting_on(a));
  ASSERT_OK(weft_cond_release(&cond));
  ASSERT_EQ(-ECANCELED, await_rc(a)); /* and it released the lock it got back */
  ASSERT_EQ(0, weft_cond_locked(&cond));
  return NULL;
}

TEST_IMPL(sync_cond_cancel_reacquires_lock) {
  ASSERT_OK(weft_test_run(cancel_main, NULL, NULL));
  return 0;
}

static void *notified_cancel_main(void *arg) {
  weft_task *a, *b;

  (void)arg;
  weft_cond_init(&cond, NULL);
  order_len = 0;
  a = spawn_named(waiter, "a", "a");
  b = spawn_named(waiter, "b", "b");
  ASSERT_OK(weft_yield());
  notify(1);           /* meant for a ... */
  weft_task_cancel(a); /* ... which is cancelled before it runs */
  ASSERT_EQ(-ECANCELED, await_rc(a));
  ASSERT_EQ(0, await_rc(b)); /* the notification reached b */
  ASSERT_EQ(1, order_len);
  ASSERT_EQ('b', order[0]);
  return NULL;
}

TEST_IMPL(sync_cond_notify_passes_over_cancelled) {
  ASSERT_OK(weft_test_run(notified_cancel_main, NULL, NULL));
  return 0;
}

static void *timeout_main(void *arg) {
  weft_scope sc;
  weft_task *a;

  (void)arg;
  weft_cond_init(&cond, NULL);
  order_len = 0;
  a = spawn_named(waiter, "a", "a");
  ASSERT_OK(weft_cond_acquire(&cond));
  ASSERT_OK(weft_timeout_enter(&sc, 0.01));
  ASSERT_EQ(-ETIMEDOUT, weft_cond_wait(&cond));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_EQ(1, weft_cond_locked(&cond)); /* held again */
  ASSERT_OK(weft_cond_notify(&cond, 1)); /* "a" is the only waiter left */
  ASSERT_OK(weft_cond_release(&cond));
  ASSERT_EQ(0, await_rc(a));
  ASSERT_EQ(1, order_len);
  return NULL;
}

TEST_IMPL(sync_cond_timeout) {
  ASSERT_OK(weft_test_run(timeout_main, NULL, NULL));
  return 0;
}

static weft_lock shared = WEFT_LOCK_INIT;
static weft_cond cond2 = WEFT_COND_INIT_LOCK(&shared);

static void *shared_main(void *arg) {
  (void)arg;
  weft_cond_init(&cond, &shared);
  ASSERT(weft_cond_lock(&cond) == &shared);
  ASSERT(weft_cond_lock(&cond2) == &shared);
  ASSERT_OK(weft_lock_acquire(&shared));
  ASSERT_EQ(1, weft_cond_locked(&cond));
  ASSERT_EQ(1, weft_cond_locked(&cond2));
  ASSERT_OK(weft_cond_notify(&cond2, 1));
  ASSERT_OK(weft_cond_release(&cond));
  ASSERT_EQ(0, weft_lock_locked(&shared));
  return NULL;
}

TEST_IMPL(sync_cond_shared_lock) {
  ASSERT_OK(weft_test_run(shared_main, NULL, NULL));
  return 0;
}
