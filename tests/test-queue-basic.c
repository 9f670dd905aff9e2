/* Queues: order, bounds, suspension, task_done/join, shutdown, misuse. */
#include "tasks.h"

static weft_queue q;

#define I(n) ((void *)(intptr_t)(n))

static long get_now(void) {
  void *item = NULL;

  ASSERT_OK(weft_queue_get_nowait(&q, &item));
  return (long)(intptr_t)item;
}

static int cmp_long(const void *a, const void *b) {
  intptr_t x = (intptr_t)a, y = (intptr_t)b;

  return (x > y) - (x < y);
}

/* Equal priorities (same tens) come out in put order. */
static int cmp_tens(const void *a, const void *b) {
  return cmp_long(I((intptr_t)a / 10), I((intptr_t)b / 10));
}

static void *order_main(void *arg) {
  static const long prio_in[] = {52, 11, 33, 12, 91, 51, 13, 0};
  static const long prio_out[] = {0, 11, 12, 13, 33, 52, 51, 91};
  void *item;

  (void)arg;
  /* FIFO, through several wrap-arounds and growths of the ring */
  ASSERT_OK(weft_queue_init(&q, WEFT_QUEUE_FIFO, 0, NULL));
  for (long round = 0, next = 0, out = 0; round < 50; round++) {
    for (int i = 0; i < 7; i++)
      ASSERT_OK(weft_queue_put_nowait(&q, I(next++)));
    for (int i = 0; i < 5; i++)
      ASSERT_EQ(out++, get_now());
  }
  ASSERT_EQ(100, weft_queue_qsize(&q));
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  ASSERT_EQ(1, weft_queue_empty(&q));
  ASSERT_EQ(-EAGAIN, weft_queue_get_nowait(&q, &item));
  /* LIFO */
  ASSERT_OK(weft_queue_init(&q, WEFT_QUEUE_LIFO, 0, NULL));
  for (long i = 0; i < 20; i++)
    ASSERT_OK(weft_queue_put_nowait(&q, I(i)));
  for (long i = 19; i >= 0; i--)
    ASSERT_EQ(i, get_now());
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  /* priority, stable among equals */
  ASSERT_OK(weft_queue_init(&q, WEFT_QUEUE_PRIORITY, 0, cmp_tens));
  for (int i = 0; i < 8; i++)
    ASSERT_OK(weft_queue_put_nowait(&q, I(prio_in[i])));
  for (int i = 0; i < 8; i++)
    ASSERT_EQ(prio_out[i], get_now());
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  /* a bigger heap against sorted order */
  ASSERT_OK(weft_queue_init(&q, WEFT_QUEUE_PRIORITY, 0, cmp_long));
  for (long i = 0; i < 500; i++)
    ASSERT_OK(weft_queue_put_nowait(&q, I((i * 7919) % 500)));
  for (long i = 0; i < 500; i++)
    ASSERT_EQ(i, get_now());
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  return NULL;
}

TEST_IMPL(queue_order_fifo_lifo_priority) {
  ASSERT_OK(weft_test_run(order_main, NULL, NULL));
  ASSERT_EQ(-EINVAL, weft_queue_init(&q, WEFT_QUEUE_PRIORITY, 0, NULL));
  ASSERT_EQ(-EINVAL, weft_queue_init(&q, (weft_queue_kind)7, 0, NULL));
  return 0;
}

static void *bounded_main(void *arg) {
  weft_queue zq = WEFT_QUEUE_INIT;
  void *item;

  (void)arg;
  ASSERT_OK(weft_queue_put_nowait(&zq, I(1))); /* static init: unbounded FIFO */
  ASSERT_OK(weft_queue_destroy(&zq, NULL, NULL));
  ASSERT_OK(weft_queue_init(&q, WEFT_QUEUE_FIFO, 2, NULL));
  ASSERT_EQ(2, weft_queue_maxsize(&q));
  ASSERT_EQ(1, weft_queue_empty(&q));
  ASSERT_EQ(0, weft_queue_full(&q));
  ASSERT_OK(weft_queue_put(&q, I(1)));
  ASSERT_OK(weft_queue_put_nowait(&q, I(2)));
  ASSERT_EQ(1, weft_queue_full(&q));
  ASSERT_EQ(-EAGAIN, weft_queue_put_nowait(&q, I(3)));
  ASSERT_EQ(2, weft_queue_qsize(&q));
  ASSERT_OK(weft_queue_get(&q, &item));
  ASSERT_EQ(1, (intptr_t)item);
  ASSERT_EQ(2, get_now());
  ASSERT_EQ(-EAGAIN, weft_queue_get_nowait(&q, &item));
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  return NULL;
}

TEST_IMPL(queue_bounded_nowait) {
  void *item;

  ASSERT_OK(weft_test_run(bounded_main, NULL, NULL));
  ASSERT_EQ(-EPERM, weft_queue_get(&q, &item));
  ASSERT_EQ(-EPERM, weft_queue_put(&q, I(1)));
  ASSERT_EQ(-EPERM, weft_queue_join(&q));
  return 0;
}

static void *putter(void *arg) {
  return (void *)(intptr_t)weft_queue_put(&q, arg);
}

static intptr_t got[16];
static int ngot;

static void *getter(void *arg) {
  void *item;
  int rc = weft_queue_get(&q, &item);

  (void)arg;
  if (rc == 0)
    got[ngot++] = (intptr_t)item;
  return (void *)(intptr_t)rc;
}

static void *suspend_main(void *arg) {
  weft_task *t[3];

  (void)arg;
  ASSERT_OK(weft_queue_init(&q, WEFT_QUEUE_FIFO, 1, NULL));
  ngot = 0;
  /* getters wait on an empty queue, in order, and are handed items */
  for (int i = 0; i < 3; i++)
    t[i] = spawn_named(getter, NULL, "getter");
  ASSERT_OK(weft_yield());
  ASSERT_STR_EQ("queue get", weft_task_waiting_on(t[0]));
  for (long i = 1; i <= 3; i++)
    ASSERT_OK(weft_queue_put(&q, I(i))); /* never full: each goes to a getter */
  ASSERT_EQ(0, weft_queue_qsize(&q));
  for (int i = 0; i < 3; i++)
    ASSERT_EQ(0, await_rc(t[i]));
  ASSERT_EQ(3, ngot);
  ASSERT_EQ(1, got[0]);
  ASSERT_EQ(3, got[2]);
  /* putters wait on a full queue, in order */
  ASSERT_OK(weft_queue_put(&q, I(10)));
  for (int i = 0; i < 3; i++)
    t[i] = spawn_named(putter, I(11 + i), "putter");
  ASSERT_OK(weft_yield());
  ASSERT_STR_EQ("queue put", weft_task_waiting_on(t[0]));
  for (long i = 10; i <= 13; i++) {
    void *item;
    ASSERT_OK(weft_queue_get(&q, &item));
    ASSERT_EQ(i, (intptr_t)item);
    ASSERT_LE(weft_queue_qsize(&q), 1);
  }
  for (int i = 0; i < 3; i++)
    ASSERT_EQ(0, await_rc(t[i]));
  ASSERT_EQ(7, 7);
  for (int i = 0; i < 7; i++)
    ASSERT_OK(weft_queue_task_done(&q));
  ASSERT_EQ(-EINVAL, weft_queue_task_done(&q)); /* more than were put */
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  return NULL;
}

TEST_IMPL(queue_put_get_suspend) {
  ASSERT_OK(weft_test_run(suspend_main, NULL, NULL));
  return 0;
}

static void *worker(void *arg) {
  void *item;

  (void)arg;
  while (weft_queue_get(&q, &item) == 0) {
    got[ngot++] = (intptr_t)item;
    weft_sleep(0.001);
    ASSERT_OK(weft_queue_task_done(&q));
  }
  return NULL;
}

static void *join_main(void *arg) {
  weft_task *w;

  (void)arg;
  ASSERT_OK(weft_queue_init(&q, WEFT_QUEUE_FIFO, 0, NULL));
  ngot = 0;
  ASSERT_OK(weft_queue_join(&q)); /* nothing unfinished: at once */
  for (long i = 0; i < 5; i++)
    ASSERT_OK(weft_queue_put(&q, I(i)));
  w = spawn_named(worker, NULL, "worker");
  ASSERT_OK(weft_queue_join(&q));
  ASSERT_EQ(5, ngot);
  ASSERT_EQ(-EINVAL, weft_queue_task_done(&q));
  weft_task_cancel(w);
  ASSERT_EQ(0, await_rc(w));
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  return NULL;
}

TEST_IMPL(queue_task_done_join) {
  ASSERT_OK(weft_test_run(join_main, NULL, NULL));
  return 0;
}

static void drop_count(void *item, void *arg) {
  *(long *)arg += (long)(intptr_t)item;
}

static void *joiner(void *arg) {
  (void)arg;
  return (void *)(intptr_t)weft_queue_join(&q);
}

static void *shutdown_main(void *arg) {
  weft_task *g, *p, *j;
  void *item;
  long dropped = 0;

  (void)arg;
  /* graceful: gets drain, then -ESHUTDOWN; puts fail at once */
  ASSERT_OK(weft_queue_init(&q, WEFT_QUEUE_FIFO, 2, NULL));
  ASSERT_OK(weft_queue_put(&q, I(1)));
  ASSERT_OK(weft_queue_put(&q, I(2)));
  p = spawn_named(putter, I(3), "putter");
  ASSERT_OK(weft_yield());
  ASSERT_OK(weft_queue_shutdown(&q, 0, NULL, NULL));
  ASSERT_EQ(1, weft_queue_is_shutdown(&q));
  ASSERT_EQ(-ESHUTDOWN, await_rc(p)); /* blocked putter woken, item not added */
  ASSERT_EQ(-ESHUTDOWN, weft_queue_put(&q, I(4)));
  ASSERT_EQ(-ESHUTDOWN, weft_queue_put_nowait(&q, I(4)));
  ASSERT_EQ(1, get_now());
  ASSERT_OK(weft_queue_get(&q, &item));
  ASSERT_EQ(-ESHUTDOWN, weft_queue_get(&q, &item));
  ASSERT_EQ(-ESHUTDOWN, weft_queue_get_nowait(&q, &item));
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  ASSERT_EQ(0, weft_queue_is_shutdown(&q)); /* destroy leaves it reusable */
  /* graceful with a blocked getter on an empty queue */
  g = spawn_named(getter, NULL, "getter");
  ASSERT_OK(weft_yield());
  ASSERT_OK(weft_queue_shutdown(&q, 0, NULL, NULL));
  ASSERT_EQ(-ESHUTDOWN, await_rc(g));
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  /* immediate: items dropped, counted done, join returns */
  ASSERT_OK(weft_queue_put(&q, I(5)));
  ASSERT_OK(weft_queue_put(&q, I(6)));
  j = spawn_named(joiner, NULL, "joiner");
  ASSERT_OK(weft_yield());
  ASSERT_OK(weft_queue_shutdown(&q, 1, drop_count, &dropped));
  ASSERT_EQ(11, dropped);
  ASSERT_EQ(0, weft_queue_qsize(&q));
  ASSERT_EQ(0, await_rc(j));
  ASSERT_EQ(-ESHUTDOWN, weft_queue_get(&q, &item));
  ASSERT_EQ(-EINVAL, weft_queue_task_done(&q));
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  /* destroy hands remaining items to drop */
  dropped = 0;
  ASSERT_OK(weft_queue_put(&q, I(7)));
  ASSERT_OK(weft_queue_destroy(&q, drop_count, &dropped));
  ASSERT_EQ(7, dropped);
  return NULL;
}

TEST_IMPL(queue_shutdown) {
  ASSERT_OK(weft_test_run(shutdown_main, NULL, NULL));
  return 0;
}

static void *cancel_main(void *arg) {
  weft_task *g1, *g2, *p;
  weft_scope sc;
  void *item;

  (void)arg;
  ASSERT_OK(weft_queue_init(&q, WEFT_QUEUE_FIFO, 1, NULL));
  ngot = 0;
  /* a cancelled getter takes nothing; the next one gets the item */
  g1 = spawn_named(getter, NULL, "g1");
  g2 = spawn_named(getter, NULL, "g2");
  ASSERT_OK(weft_yield());
  ASSERT_EQ(-EBUSY, weft_queue_destroy(&q, NULL, NULL));
  weft_task_cancel(g1);
  ASSERT_OK(weft_queue_put(&q, I(1)));
  ASSERT_EQ(-ECANCELED, await_rc(g1));
  ASSERT_EQ(0, await_rc(g2));
  ASSERT_EQ(1, ngot);
  ASSERT_EQ(1, got[0]);
  /* a getter handed an item and cancelled before it runs keeps the item */
  g1 = spawn_named(getter, NULL, "g1");
  ASSERT_OK(weft_yield());
  ASSERT_OK(weft_queue_put(&q, I(2)));
  weft_task_cancel(g1);
  /* it got the item, then ended cancelled without seeing -ECANCELED */
  ASSERT_EQ(-ECANCELED, weft_await(g1, NULL));
  weft_task_release(g1);
  ASSERT_EQ(2, ngot);
  ASSERT_EQ(2, got[1]);
  ASSERT_EQ(0, weft_queue_qsize(&q));
  /* a cancelled putter adds nothing */
  ASSERT_OK(weft_queue_put(&q, I(3)));
  p = spawn_named(putter, I(4), "p");
  ASSERT_OK(weft_yield());
  weft_task_cancel(p);
  ASSERT_EQ(-ECANCELED, await_rc(p));
  ASSERT_EQ(1, weft_queue_qsize(&q));
  /* timeouts on put, get and join */
  ASSERT_OK(weft_timeout_enter(&sc, 0.005));
  ASSERT_EQ(-ETIMEDOUT, weft_queue_put(&q, I(5)));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_EQ(3, get_now());
  ASSERT_OK(weft_timeout_enter(&sc, 0.005));
  ASSERT_EQ(-ETIMEDOUT, weft_queue_get(&q, &item));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_OK(weft_timeout_enter(&sc, 0.005));
  ASSERT_EQ(-ETIMEDOUT, weft_queue_join(&q));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_EQ(0, weft_queue_qsize(&q));
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  return NULL;
}

TEST_IMPL(queue_cancel_and_timeout) {
  ASSERT_OK(weft_test_run(cancel_main, NULL, NULL));
  return 0;
}

static void *use_queue(void *arg) {
  return (void *)(intptr_t)weft_queue_put_nowait(arg, I(1));
}

TEST_IMPL(queue_other_loop) {
  weft_loop *l1, *l2;
  weft_task *t;
  void *res;

  ASSERT_OK(weft_queue_init(&q, WEFT_QUEUE_LIFO, 0, NULL));
  ASSERT_OK(weft_loop_new(&l1));
  ASSERT_OK(weft_loop_new(&l2));
  ASSERT_OK(weft_spawn(&t, use_queue, &q, &(weft_spawn_opts){.loop = l1}));
  ASSERT_OK(weft_loop_run_until_complete(l1, t, &res));
  ASSERT_EQ(0, (intptr_t)res);
  weft_task_release(t);
  ASSERT_OK(weft_spawn(&t, use_queue, &q, &(weft_spawn_opts){.loop = l2}));
  ASSERT_OK(weft_loop_run_until_complete(l2, t, &res));
  ASSERT_EQ(-EINVAL, (intptr_t)res);
  weft_task_release(t);
  ASSERT_EQ(1, weft_queue_qsize(&q));
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  weft_loop_free(l1);
  weft_loop_free(l2);
  return 0;
}

/* The allocator of the test runner can be told to fail the next block. */
extern long weft_test_alloc_fail_at, weft_test_alloc_count;

static void *nomem_main(void *arg) {
  (void)arg;
  ASSERT_OK(weft_queue_init(&q, WEFT_QUEUE_FIFO, 0, NULL));
  weft_test_alloc_fail_at = weft_test_alloc_count + 1;
  ASSERT_EQ(-ENOMEM, weft_queue_put(&q, I(0))); /* the first buffer */
  weft_test_alloc_fail_at = 0;
  ASSERT_EQ(0, weft_queue_qsize(&q));
  ASSERT_EQ(-EINVAL, weft_queue_task_done(&q)); /* nothing counted */
  for (long i = 0; i < 8; i++)
    ASSERT_OK(weft_queue_put(&q, I(i)));
  weft_test_alloc_fail_at = weft_test_alloc_count + 1;
  ASSERT_EQ(-ENOMEM, weft_queue_put_nowait(&q, I(8))); /* growing */
  weft_test_alloc_fail_at = 0;
  ASSERT_EQ(8, weft_queue_qsize(&q));
  ASSERT_OK(weft_queue_put(&q, I(8)));
  for (long i = 0; i <= 8; i++)
    ASSERT_EQ(i, get_now());
  for (int i = 0; i < 9; i++)
    ASSERT_OK(weft_queue_task_done(&q));
  ASSERT_EQ(-EINVAL, weft_queue_task_done(&q));
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  return NULL;
}

TEST_IMPL(queue_put_nomem) {
  ASSERT_OK(weft_test_run(nomem_main, NULL, NULL));
  return 0;
}
