/* Semaphore, BoundedSemaphore and Barrier. */
#include "tasks.h"

static weft_sem sem = WEFT_SEM_INIT(2);
static char order[32];
static int order_len;
static int ran;

static void *set_ran(void *arg) {
  (void)arg;
  ran = 1;
  return NULL;
}

static void *holder(void *arg) {
  int rc = weft_sem_acquire(&sem);

  if (rc)
    return (void *)(intptr_t)rc;
  order[order_len++] = *(const char *)arg;
  weft_yield();
  return (void *)(intptr_t)weft_sem_release(&sem);
}

static void *sem_basic_main(void *arg) {
  weft_task *t[4];

  (void)arg;
  ASSERT_EQ(2, weft_sem_value(&sem)); /* static initialiser */
  ran = 0;
  t[0] = spawn_named(set_ran, NULL, "other");
  ASSERT_OK(weft_sem_acquire(&sem));
  ASSERT_OK(weft_sem_acquire(&sem));
  ASSERT_EQ(0, ran); /* free units are taken without suspending */
  ASSERT_EQ(1, weft_sem_locked(&sem));
  ASSERT_EQ(-EAGAIN, weft_sem_try_acquire(&sem));
  ASSERT_EQ(0, await_rc(t[0]));
  order_len = 0;
  for (int i = 0; i < 4; i++)
    t[i] = spawn_named(holder, (void *)("abcd" + i), "holder");
  ASSERT_OK(weft_sleep(0.005));
  ASSERT_EQ(0, order_len);
  ASSERT_OK(weft_sem_release(&sem));
  ASSERT_OK(weft_sem_release(&sem));
  ASSERT_EQ(0, weft_sem_value(&sem)); /* handed straight to waiters */
  for (int i = 0; i < 4; i++)
    ASSERT_EQ(0, await_rc(t[i]));
  order[order_len] = 0;
  ASSERT_STR_EQ("abcd", order);
  ASSERT_EQ(2, weft_sem_value(&sem));
  ASSERT_OK(weft_sem_release(&sem)); /* unbounded: may exceed */
  ASSERT_EQ(3, weft_sem_value(&sem));
  ASSERT_OK(weft_sem_destroy(&sem));
  return NULL;
}

TEST_IMPL(sync_sem_basic) {
  ASSERT_OK(weft_test_run(sem_basic_main, NULL, NULL));
  ASSERT_EQ(-EPERM, weft_sem_acquire(&sem));
  ASSERT_EQ(-EINVAL, weft_sem_init(&sem, -1));
  ASSERT_EQ(-EINVAL, weft_bounded_sem_init(&sem, -1));
  ASSERT_OK(weft_sem_init(&sem, 0));
  ASSERT_EQ(1, weft_sem_locked(&sem));
  return 0;
}

static void *bounded_main(void *arg) {
  weft_sem b = WEFT_BOUNDED_SEM_INIT(2);

  (void)arg;
  ASSERT_EQ(-EOVERFLOW, weft_sem_release(&b));
  ASSERT_OK(weft_sem_acquire(&b));
  ASSERT_OK(weft_sem_release(&b));
  ASSERT_EQ(-EOVERFLOW, weft_sem_release(&b));
  ASSERT_EQ(2, weft_sem_value(&b));
  ASSERT_OK(weft_bounded_sem_init(&b, 0));
  ASSERT_EQ(-EOVERFLOW, weft_sem_release(&b));
  return NULL;
}

TEST_IMPL(sync_sem_bounded_overflow) {
  ASSERT_OK(weft_test_run(bounded_main, NULL, NULL));
  return 0;
}

static void *sem_cancel_main(void *arg) {
  weft_task *a, *b, *c;
  weft_scope sc;

  (void)arg;
  ASSERT_OK(weft_sem_init(&sem, 0));
  order_len = 0;
  a = spawn_named(holder, "a", "a");
  b = spawn_named(holder, "b", "b");
  c = spawn_named(holder, "c", "c");
  ASSERT_OK(weft_yield());
  ASSERT_EQ(-EBUSY, weft_sem_destroy(&sem));
  weft_task_cancel(a);               /* cancelled while waiting */
  ASSERT_OK(weft_sem_release(&sem)); /* handed to b ... */
  weft_task_cancel(b);               /* ... cancelled before it runs: c gets it */
  ASSERT_EQ(-ECANCELED, await_rc(a));
  ASSERT_EQ(-ECANCELED, await_rc(b));
  ASSERT_EQ(0, await_rc(c));
  ASSERT_EQ(1, order_len);
  ASSERT_EQ('c', order[0]);
  ASSERT_EQ(1, weft_sem_value(&sem));
  ASSERT_OK(weft_sem_acquire(&sem));
  ASSERT_OK(weft_timeout_enter(&sc, 0.01));
  ASSERT_EQ(-ETIMEDOUT, weft_sem_acquire(&sem));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_OK(weft_sem_destroy(&sem));
  return NULL;
}

TEST_IMPL(sync_sem_cancel_and_timeout) {
  ASSERT_OK(weft_test_run(sem_cancel_main, NULL, NULL));
  return 0;
}

/* ---- Barrier ----------------------------------------------------------- */

static weft_barrier barrier = WEFT_BARRIER_INIT(3);

static void *party(void *arg) {
  (void)arg;
  return (void *)(intptr_t)weft_barrier_wait(&barrier);
}

static void *barrier_main(void *arg) {
  weft_task *a, *b;
  int seen = 0;

  (void)arg;
  ASSERT_EQ(3, weft_barrier_parties(&barrier));
  for (int cycle = 0; cycle < 2; cycle++) {
    a = spawn_named(party, NULL, "a");
    b = spawn_named(party, NULL, "b");
    ASSERT_OK(weft_yield());
    ASSERT_EQ(2, weft_barrier_n_waiting(&barrier));
    ASSERT_EQ(2, weft_barrier_wait(&barrier)); /* last: passes without waiting */
    ASSERT_EQ(0, weft_barrier_n_waiting(&barrier));
    seen = (1 << await_rc(a)) | (1 << await_rc(b));
    ASSERT_EQ(3, seen); /* indexes 0 and 1 */
  }
  ASSERT_OK(weft_barrier_destroy(&barrier));
  return NULL;
}

TEST_IMPL(sync_barrier_basic) {
  ASSERT_OK(weft_test_run(barrier_main, NULL, NULL));
  ASSERT_EQ(-EPERM, weft_barrier_wait(&barrier));
  ASSERT_EQ(-EINVAL, weft_barrier_init(&barrier, 0));
  return 0;
}

static void *barrier_break_main(void *arg) {
  weft_task *a, *b;
  weft_barrier zero = {{0}, 0, 0, 0};
  weft_scope sc;

  (void)arg;
  ASSERT_EQ(-EINVAL, weft_barrier_wait(&zero));
  ASSERT_OK(weft_barrier_init(&barrier, 3));
  /* a waiter that times out leaves; the count goes back down */
  ASSERT_OK(weft_timeout_enter(&sc, 0.005));
  ASSERT_EQ(-ETIMEDOUT, weft_barrier_wait(&barrier));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_EQ(0, weft_barrier_n_waiting(&barrier));
  /* a cancelled one too */
  a = spawn_named(party, NULL, "a");
  ASSERT_OK(weft_yield());
  ASSERT_EQ(1, weft_barrier_n_waiting(&barrier));
  ASSERT_EQ(-EBUSY, weft_barrier_destroy(&barrier));
  weft_task_cancel(a);
  ASSERT_EQ(-ECANCELED, await_rc(a));
  ASSERT_EQ(0, weft_barrier_n_waiting(&barrier));
  /* reset: waiters get -EPIPE, the barrier is usable again */
  a = spawn_named(party, NULL, "a");
  ASSERT_OK(weft_yield());
  ASSERT_OK(weft_barrier_reset(&barrier));
  ASSERT_EQ(-EPIPE, await_rc(a));
  ASSERT_EQ(0, weft_barrier_broken(&barrier));
  /* abort: broken until reset */
  a = spawn_named(party, NULL, "a");
  b = spawn_named(party, NULL, "b");
  ASSERT_OK(weft_yield());
  ASSERT_OK(weft_barrier_abort(&barrier));
  ASSERT_EQ(1, weft_barrier_broken(&barrier));
  ASSERT_EQ(-EPIPE, await_rc(a));
  ASSERT_EQ(-EPIPE, await_rc(b));
  ASSERT_EQ(-EPIPE, weft_barrier_wait(&barrier));
  ASSERT_OK(weft_barrier_reset(&barrier));
  ASSERT_EQ(0, weft_barrier_broken(&barrier));
  ASSERT_OK(weft_barrier_init(&barrier, 1));
  ASSERT_EQ(0, weft_barrier_wait(&barrier));
  return NULL;
}

TEST_IMPL(sync_barrier_abort_reset_cancel) {
  ASSERT_OK(weft_test_run(barrier_break_main, NULL, NULL));
  return 0;
}

/* ---- loops ------------------------------------------------------------- */

static weft_event ev = WEFT_EVENT_INIT;
static weft_cond gcond = WEFT_COND_INIT;

static void *use_all(void *arg) {
  (void)arg;
  ASSERT_OK(weft_sem_acquire(&sem));
  ASSERT_OK(weft_sem_release(&sem));
  ASSERT_OK(weft_event_set(&ev));
  ASSERT_OK(weft_event_wait(&ev));
  ASSERT_OK(weft_event_clear(&ev));
  ASSERT_OK(weft_cond_acquire(&gcond));
  ASSERT_OK(weft_cond_notify_all(&gcond));
  ASSERT_OK(weft_cond_release(&gcond));
  ASSERT_OK(weft_barrier_init(&barrier, 1));
  ASSERT_EQ(0, weft_barrier_wait(&barrier));
  return NULL;
}

TEST_IMPL(sync_idle_objects_follow_sequential_runs) {
  ASSERT_OK(weft_sem_init(&sem, 1));
  ASSERT_OK(weft_test_run(use_all, NULL, NULL));
  ASSERT_OK(weft_test_run(use_all, NULL, NULL)); /* a new loop: still usable */
  return 0;
}

static void *park_on_all(void *arg) {
  (void)arg;
  if (weft_sem_acquire(&sem) != -ECANCELED)
    return (void *)1;
  return NULL;
}

static void *park_on_event(void *arg) {
  (void)arg;
  return weft_event_wait(&ev) == -ECANCELED ? NULL : (void *)1;
}

static void *park_on_barrier(void *arg) {
  (void)arg;
  return weft_barrier_wait(&barrier) == -ECANCELED ? NULL : (void *)1;
}

static void *from_other_loop(void *arg) {
  (void)arg;
  ASSERT_EQ(-EINVAL, weft_sem_release(&sem));
  ASSERT_EQ(-EINVAL, weft_sem_acquire(&sem));
  ASSERT_EQ(-EINVAL, weft_event_set(&ev));
  ASSERT_EQ(-EINVAL, weft_event_wait(&ev));
  ASSERT_EQ(-EINVAL, weft_barrier_wait(&barrier));
  ASSERT_EQ(-EINVAL, weft_barrier_abort(&barrier));
  return NULL;
}

static void *noop(void *arg) {
  (void)arg;
  return NULL;
}

/* Run fn on loop to completion. */
static void run_on(weft_loop *loop, weft_task_fn fn) {
  weft_task *t;
  void *res = (void *)1;

  ASSERT_OK(weft_spawn(&t, fn, NULL, &(weft_spawn_opts){.loop = loop}));
  ASSERT_OK(weft_loop_run_until_complete(loop, t, &res));
  ASSERT_NULL(res);
  weft_task_release(t);
}

TEST_IMPL(sync_busy_objects_refuse_other_loop) {
  weft_task_fn parkers[] = {park_on_all, park_on_event, park_on_barrier};
  weft_task *w[3];
  weft_loop *l1, *l2;

  ASSERT_OK(weft_sem_init(&sem, 0));
  weft_event_init(&ev);
  ASSERT_OK(weft_barrier_init(&barrier, 2));
  ASSERT_OK(weft_loop_new(&l1));
  ASSERT_OK(weft_loop_new(&l2));
  for (int i = 0; i < 3; i++) /* tasks of l1 left waiting on each object */
    ASSERT_OK(weft_spawn(&w[i], parkers[i], NULL, &(weft_spawn_opts){.loop = l1}));
  run_on(l1, noop);
  run_on(l2, from_other_loop);
  for (int i = 0; i < 3; i++) {
    void *res = (void *)1;
    weft_task_cancel(w[i]);
    weft_loop_run_until_complete(l1, w[i], &res);
    ASSERT_NULL(res);
    weft_task_release(w[i]);
  }
  weft_loop_free(l1);
  weft_loop_free(l2);
  return 0;
}
