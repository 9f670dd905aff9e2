/* Thread bridges: run_threadsafe, weft_run_threads, the janus queue. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "test.h"

/* ---- run_threadsafe -------------------------------------------------- */

static atomic_int ready;
static weft_loop *target_loop;

static void *doubler(void *arg) {
  int rc = weft_sleep(0.01);

  if (rc)
    return weft_fail(rc, NULL);
  return (void *)((intptr_t)arg * 2);
}

static void *forever(void *arg) {
  (void)arg;
  int rc = weft_sleep(100);
  return weft_fail(rc ? rc : -EINVAL, "woke");
}

static void *failing(void *arg) {
  (void)arg;
  return weft_fail(-EDOM, "bad %d", 42);
}

static void *client_thread(void *arg) {
  weft_tsfuture *f;
  void *res = NULL;

  (void)arg;
  while (!atomic_load(&ready))
    usleep(1000);
  ASSERT_OK(weft_run_threadsafe(target_loop, doubler, (void *)21, &f));
  ASSERT_OK(weft_tsfuture_wait(f, INFINITY, &res));
  ASSERT_EQ(42, (intptr_t)res);
  ASSERT(weft_tsfuture_done(f));
  weft_tsfuture_release(f);

  ASSERT_OK(weft_run_threadsafe(target_loop, forever, NULL, &f));
  ASSERT_EQ(-ETIMEDOUT, weft_tsfuture_wait(f, 0.02, NULL));
  ASSERT_EQ(1, weft_tsfuture_cancel(f));
  ASSERT_EQ(-ECANCELED, weft_tsfuture_wait(f, INFINITY, NULL));
  ASSERT_EQ(0, weft_tsfuture_cancel(f));
  weft_tsfuture_release(f);

  ASSERT_OK(weft_run_threadsafe(target_loop, failing, NULL, &f));
  ASSERT_EQ(-EDOM, weft_tsfuture_wait(f, 5.0, NULL));
  ASSERT_STR_EQ("bad 42", weft_tsfuture_error(f));
  ASSERT_EQ(-EINVAL, weft_tsfuture_wait(f, NAN, NULL));
  weft_tsfuture_release(f);
  return NULL;
}

static void *job_wait_thread(void *arg) {
  pthread_t *th = arg;

  pthread_join(*th, NULL);
  return NULL;
}

static void *threadsafe_main(void *arg) {
  pthread_t th;
  weft_tsfuture *f;
  void *dummy;

  (void)arg;
  target_loop = weft_loop_current();
  ASSERT_OK(pthread_create(&th, NULL, client_thread, NULL));
  atomic_store(&ready, 1);
  /* wait for the client without blocking the loop */
  ASSERT_OK(weft_to_thread(job_wait_thread, &th, &dummy));
  ASSERT_EQ(-EINVAL, weft_run_threadsafe(NULL, doubler, NULL, &f));
  return NULL;
}

TEST_IMPL(thread_run_threadsafe) {
  ASSERT_OK(weft_test_run(threadsafe_main, NULL, NULL));
  return 0;
}

/* ---- one loop per thread, exchanging messages ------------------------ */

enum { MSGS = 100000 };

typedef struct mesh {
  size_t n;
  weft_loop *loops[8];
  atomic_int published;
  atomic_long received[8];
  weft_future *all_in[8];
} mesh;

typedef struct msg_ctx {
  mesh *m;
  size_t to;
} msg_ctx;

static mesh the_mesh;
static msg_ctx ctxs[8];

static void deliver(void *arg) {
  msg_ctx *c = arg;
  mesh *m = c->m;

  if (atomic_fetch_add(&m->received[c->to], 1) + 1 == MSGS)
    weft_future_set_result(m->all_in[c->to], NULL);
}

static void *mesh_main(size_t index, void *arg) {
  mesh *m = arg;
  size_t next = (index + 1) % m->n;

  ASSERT_OK(weft_future_new(&m->all_in[index], NULL));
  m->loops[index] = weft_loop_current();
  atomic_fetch_add(&m->published, 1);
  while (atomic_load(&m->published) < (int)m->n)
    ASSERT_OK(weft_sleep(0.001));
  ctxs[next].m = m;
  ctxs[next].to = next;
  /* each loop sends MSGS messages to the next one in the ring */
  for (long i = 0; i < MSGS; i++)
    ASSERT_OK(weft_call_soon_threadsafe(m->loops[next], deliver, &ctxs[next]));
  ASSERT_OK(weft_future_await(m->all_in[index], NULL));
  weft_future_release(m->all_in[index]);
  return (void *)index;
}

static void run_mesh(size_t n) {
  void *results[8];
  int codes[8];

  memset(&the_mesh, 0, sizeof(the_mesh));
  the_mesh.n = n;
  ASSERT_OK(weft_run_threads(n, mesh_main, &the_mesh, results, codes));
  for (size_t i = 0; i < n; i++) {
    ASSERT_OK(codes[i]);
    ASSERT_EQ(i, (intptr_t)results[i]);
    ASSERT_EQ(MSGS, atomic_load(&the_mesh.received[i]));
  }
}

TEST_IMPL(thread_run_threads_two_and_eight_loops) {
  run_mesh(2);
  run_mesh(8);
  ASSERT_EQ(-EINVAL, weft_run_threads(0, mesh_main, NULL, NULL, NULL));
  return 0;
}

/* ---- janus ----------------------------------------------------------- */

static weft_tsqueue *jq;

/* The seed's janus example: a thread puts 0..9, a task gets them. */
static void *threaded_producer(void *arg) {
  (void)arg;
  for (intptr_t i = 0; i < 10; i++)
    ASSERT_OK(weft_tsqueue_sync_put(jq, (void *)i, INFINITY));
  ASSERT_OK(weft_tsqueue_sync_join(jq, 5.0));
  return NULL;
}

static void *janus_main(void *arg) {
  pthread_t th;
  void *item;

  (void)arg;
  ASSERT_OK(weft_tsqueue_new(&jq, 2));
  ASSERT_OK(pthread_create(&th, NULL, threaded_producer, NULL));
  for (intptr_t i = 0; i < 10; i++) {
    ASSERT_OK(weft_tsqueue_get(jq, &item));
    ASSERT_EQ(i, (intptr_t)item);
    ASSERT_OK(weft_tsqueue_task_done(jq));
  }
  ASSERT_OK(weft_tsqueue_join(jq));
  ASSERT_EQ(-EINVAL, weft_tsqueue_task_done(jq));
  ASSERT_OK(weft_to_thread(job_wait_thread, &th, &item));
  /* nowait on both ends, timeouts on the thread side */
  ASSERT_EQ(-EAGAIN, weft_tsqueue_get_nowait(jq, &item));
  ASSERT_EQ(-ETIMEDOUT, weft_tsqueue_sync_get(jq, &item, 0.01));
  ASSERT_OK(weft_tsqueue_put_nowait(jq, (void *)1));
  ASSERT_OK(weft_tsqueue_put_nowait(jq, (void *)2));
  ASSERT_EQ(-EAGAIN, weft_tsqueue_put_nowait(jq, (void *)3));
  ASSERT_EQ(-ETIMEDOUT, weft_tsqueue_sync_put(jq, (void *)3, 0.01));
  ASSERT_EQ(-EINVAL, weft_tsqueue_sync_put(jq, (void *)3, -1));
  ASSERT_EQ(2, weft_tsqueue_qsize(jq));
  /* close: puts fail, gets drain then fail */
  weft_tsqueue_close(jq);
  ASSERT_EQ(-ESHUTDOWN, weft_tsqueue_put(jq, (void *)3));
  ASSERT_OK(weft_tsqueue_get(jq, &item));
  ASSERT_EQ(1, (intptr_t)item);
  ASSERT_OK(weft_tsqueue_sync_get(jq, &item, 0));
  ASSERT_EQ(-ESHUTDOWN, weft_tsqueue_get(jq, &item));
  ASSERT_EQ(-ESHUTDOWN, weft_tsqueue_sync_get(jq, &item, INFINITY));
  weft_tsqueue_free(jq, NULL, NULL);
  return NULL;
}

TEST_IMPL(tsqueue_janus_thread_to_task) {
  ASSERT_OK(weft_test_run(janus_main, NULL, NULL));
  return 0;
}

static void *blocked_getter(void *arg) {
  void *item;
  int rc = weft_tsqueue_get(arg, &item);

  return rc ? weft_fail(rc, NULL) : item;
}

static void *close_wakes_main(void *arg) {
  weft_tsqueue *q;
  weft_task *g[3];
  int errs[3];

  (void)arg;
  ASSERT_OK(weft_tsqueue_new(&q, 0));
  for (int i = 0; i < 3; i++)
    ASSERT_OK(weft_spawn(&g[i], blocked_getter, q, NULL));
  ASSERT_OK(weft_sleep(0.01));
  ASSERT_OK(weft_tsqueue_put(q, (void *)7)); /* handed to the first getter */
  weft_task_cancel(g[1]);                    /* cancelled while parked */
  weft_tsqueue_close(q);                     /* the third wakes -ESHUTDOWN */
  ASSERT_OK(weft_gather(g, 3, WEFT_RETURN_EXCEPTIONS, NULL, errs));
  ASSERT_OK(errs[0]);
  ASSERT_EQ(-ECANCELED, errs[1]);
  ASSERT_EQ(-ESHUTDOWN, errs[2]);
  for (int i = 0; i < 3; i++)
    weft_task_release(g[i]);
  ASSERT_OK(weft_tsqueue_task_done(q));
  weft_tsqueue_free(q, NULL, NULL);
  return NULL;
}

TEST_IMPL(tsqueue_close_cancel_and_handoff) {
  ASSERT_OK(weft_test_run(close_wakes_main, NULL, NULL));
  return 0;
}

/* 4 threads and 4 tasks on both ends: every item exactly once. */
enum { PER_PRODUCER = 20000, PRODUCERS = 8 };
static atomic_int seen[PRODUCERS * PER_PRODUCER];
static weft_tsqueue *mq;

static void *thread_producer(void *arg) {
  intptr_t base = (intptr_t)arg * PER_PRODUCER;

  for (intptr_t i = 0; i < PER_PRODUCER; i++)
    ASSERT_OK(weft_tsqueue_sync_put(mq, (void *)(base + i), INFINITY));
  return NULL;
}

static void *thread_consumer(void *arg) {
  void *item;

  (void)arg;
  while (weft_tsqueue_sync_get(mq, &item, INFINITY) == 0) {
    atomic_fetch_add(&seen[(intptr_t)item], 1);
    weft_tsqueue_task_done(mq);
  }
  return NULL;
}

static void *task_producer(void *arg) {
  intptr_t base = (intptr_t)arg * PER_PRODUCER;

  for (intptr_t i = 0; i < PER_PRODUCER; i++)
    ASSERT_OK(weft_tsqueue_put(mq, (void *)(base + i)));
  return NULL;
}

static void *task_consumer(void *arg) {
  void *item;

  (void)arg;
  while (weft_tsqueue_get(mq, &item) == 0) {
    atomic_fetch_add(&seen[(intptr_t)item], 1);
    weft_tsqueue_task_done(mq);
  }
  return NULL;
}

static void *join_four(void *arg) {
  pthread_t *th = arg;

  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  return NULL;
}

static void *many_main(void *arg) {
  pthread_t th[8];
  weft_task *t[8];
  void *dummy;

  (void)arg;
  ASSERT_OK(weft_tsqueue_new(&mq, 64));
  for (intptr_t i = 0; i < 4; i++) {
    ASSERT_OK(pthread_create(&th[i], NULL, thread_producer, (void *)i));
    ASSERT_OK(pthread_create(&th[4 + i], NULL, thread_consumer, NULL));
    ASSERT_OK(weft_spawn(&t[i], task_producer, (void *)(4 + i), NULL));
    ASSERT_OK(weft_spawn(&t[4 + i], task_consumer, NULL, NULL));
  }
  ASSERT_OK(weft_gather(t, 4, 0, NULL, NULL));      /* task producers */
  ASSERT_OK(weft_to_thread(join_four, th, &dummy)); /* thread producers */
  ASSERT_OK(weft_tsqueue_join(mq));                 /* every item processed */
  weft_tsqueue_close(mq);
  ASSERT_OK(weft_gather(t + 4, 4, 0, NULL, NULL));
  ASSERT_OK(weft_to_thread(join_four, th + 4, &dummy)); /* thread consumers */
  for (int i = 0; i < PRODUCERS * PER_PRODUCER; i++)
    ASSERT_EQ(1, atomic_load(&seen[i]));
  for (int i = 0; i < 8; i++)
    weft_task_release(t[i]);
  weft_tsqueue_free(mq, NULL, NULL);
  return NULL;
}

TEST_IMPL(tsqueue_threads_and_tasks_both_ends) {
  ASSERT_OK(weft_test_run(many_main, NULL, NULL));
  return 0;
}
