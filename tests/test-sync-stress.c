/*
 * Stress: 10,000 tasks contend one Lock, one Semaphore(10), one bounded
 * Queue, while some of them are cancelled at random and others wait under
 * short timeouts. A fixed-seed PRNG keeps every run the same.
 */
#include "test.h"

#define NTASKS 10000

static uint64_t rng_state;

static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static weft_task *tasks[NTASKS];
static int errors[NTASKS];
static long ok_count, interrupted;

static void spawn_all(weft_task_fn fn) {
  for (intptr_t i = 0; i < NTASKS; i++)
    ASSERT_OK(
        weft_spawn(&tasks[i], fn, (void *)i, &(weft_spawn_opts){.stack_size = WEFT_STACK_MIN}));
}

/* Cancel random tasks while the others run, then wait for all of them. */
static void chaos_and_gather(int rounds) {
  for (int r = 0; r < rounds; r++) {
    for (int k = 0; k < 20; k++)
      weft_task_cancel(tasks[rng() % NTASKS]);
    ASSERT_OK(weft_sleep(0.0005));
  }
  ASSERT_OK(weft_gather(tasks, NTASKS, WEFT_RETURN_EXCEPTIONS, NULL, errors));
  for (int i = 0; i < NTASKS; i++) {
    ASSERT(errors[i] == 0 || errors[i] == -ECANCELED);
    weft_task_release(tasks[i]);
  }
}

/* Enter a short timeout scope for about half of the waits. */
static int maybe_timeout(weft_scope *sc, intptr_t i) {
  if (i % 2)
    return 0;
  ASSERT_OK(weft_timeout_enter(sc, (double)(rng() % 2000) / 1e6));
  return 1;
}

static void note(int rc) {
  if (rc == 0)
    ok_count++;
  else if (rc == -ECANCELED || rc == -ETIMEDOUT)
    interrupted++;
  else
    ASSERT_EQ(0, rc);
}

/* ---- Lock ------------------------------------------------------------ */

static weft_lock lock = WEFT_LOCK_INIT;
static weft_task *holder;

static void *lock_task(void *arg) {
  weft_task *self = weft_current_task();
  weft_scope sc;
  int scoped = maybe_timeout(&sc, (intptr_t)arg);
  int rc = weft_lock_acquire(&lock);

  if (rc == 0) {
    ASSERT_NULL(holder); /* mutual exclusion */
    holder = self;
    for (uint64_t n = rng() % 3; n > 0; n--)
      weft_yield(); /* may fail once cancelled: we still hold the lock */
    ASSERT(holder == self);
    holder = NULL;
    ASSERT_OK(weft_lock_release(&lock));
  }
  if (scoped)
    weft_timeout_leave(&sc);
  note(rc);
  return NULL;
}

static void *lock_main(void *arg) {
  (void)arg;
  rng_state = 0x9e3779b97f4a7c15ull;
  spawn_all(lock_task);
  chaos_and_gather(40);
  ASSERT_EQ(0, weft_lock_locked(&lock));
  ASSERT_OK(weft_lock_destroy(&lock)); /* nobody left waiting */
  ASSERT_GT(ok_count, NTASKS / 4);
  ASSERT_GT(interrupted, 0);
  return NULL;
}

TEST_IMPL(sync_stress_lock) {
  ASSERT_OK(weft_test_run(lock_main, NULL, NULL));
  return 0;
}

/* ---- Semaphore(10) ----------------------------------------------------- */

static weft_sem sem = WEFT_BOUNDED_SEM_INIT(10);
static long inside, max_inside;

static void *sem_task(void *arg) {
  weft_scope sc;
  int scoped = maybe_timeout(&sc, (intptr_t)arg);
  int rc = weft_sem_acquire(&sem);

  if (rc == 0) {
    inside++;
    ASSERT_LE(inside, 10);
    if (inside > max_inside)
      max_inside = inside;
    for (uint64_t n = rng() % 3; n > 0; n--)
      weft_yield();
    inside--;
    ASSERT_OK(weft_sem_release(&sem));
  }
  if (scoped)
    weft_timeout_leave(&sc);
  note(rc);
  return NULL;
}

static void *sem_main(void *arg) {
  (void)arg;
  rng_state = 0x2545f4914f6cdd1dull;
  spawn_all(sem_task);
  chaos_and_gather(40);
  ASSERT_EQ(10, max_inside);
  ASSERT_EQ(10, weft_sem_value(&sem)); /* every unit came back */
  ASSERT_OK(weft_sem_destroy(&sem));
  ASSERT_GT(interrupted, 0);
  return NULL;
}

TEST_IMPL(sync_stress_semaphore) {
  ASSERT_OK(weft_test_run(sem_main, NULL, NULL));
  return 0;
}

/* ---- bounded Queue ------------------------------------------------------ */

/* Half the tasks put one item each (item i+1 for task i), half get until
 * the queue is shut down. Item states: 0 never put, 1 put (or being put),
 * 2 consumed. */
static weft_queue queue;
static uint8_t state[NTASKS];
static long consumed;

static void consume(intptr_t item) {
  ASSERT_EQ(1, state[item - 1]); /* put, and not consumed before */
  state[item - 1] = 2;
  consumed++;
}

static void *producer(intptr_t i) {
  weft_scope sc;
  int scoped = maybe_timeout(&sc, i / 2);
  int rc;

  state[i] = 1;
  rc = weft_queue_put(&queue, (void *)(i + 1));
  if (rc) {
    ASSERT_EQ(1, state[i]); /* a failed put delivered nothing */
    state[i] = 0;
  }
  if (scoped)
    weft_timeout_leave(&sc);
  note(rc);
  return NULL;
}

static void *consumer(intptr_t i) {
  void *item;
  int rc;

  for (;;) {
    weft_scope sc;
    int scoped = maybe_timeout(&sc, i / 2 + (intptr_t)(rng() % 2));
    rc = weft_queue_get(&queue, &item);
    if (scoped)
      weft_timeout_leave(&sc);
    if (rc == -ETIMEDOUT)
      continue;
    if (rc)
      break;
    consume((intptr_t)item);
    if (rng() % 4 == 0 && weft_yield() != 0)
      break;
  }
  ASSERT(rc == -ESHUTDOWN || rc == -ECANCELED || rc == 0);
  return NULL;
}

static void *queue_task(void *arg) {
  intptr_t i = (intptr_t)arg;

  return i % 2 ? consumer(i) : producer(i);
}

static void *queue_main(void *arg) {
  void *item;
  long put_ok = 0;

  (void)arg;
  rng_state = 0xd1b54a32d192ed03ull;
  ASSERT_OK(weft_queue_init(&queue, WEFT_QUEUE_FIFO, 16, NULL));
  spawn_all(queue_task);
  for (int r = 0; r < 30; r++) {
    for (int k = 0; k < 20; k++)
      weft_task_cancel(tasks[rng() % NTASKS]);
    ASSERT_OK(weft_sleep(0.0005));
  }
  for (int i = 0; i < NTASKS; i += 2) /* the producers */
    ASSERT_OK(weft_gather(&tasks[i], 1, WEFT_RETURN_EXCEPTIONS, NULL, errors));
  ASSERT_OK(weft_queue_shutdown(&queue, 0, NULL, NULL));
  ASSERT_OK(weft_gather(tasks, NTASKS, WEFT_RETURN_EXCEPTIONS, NULL, errors));
  for (int i = 0; i < NTASKS; i++)
    weft_task_release(tasks[i]);
  while (weft_queue_get_nowait(&queue, &item) == 0) /* all consumers cancelled? */
    consume((intptr_t)item);
  for (int i = 0; i < NTASKS; i++) {
    ASSERT(state[i] != 1); /* every item put was consumed exactly once */
    put_ok += state[i] == 2;
  }
  ASSERT_EQ(put_ok, consumed);
  ASSERT_GT(consumed, NTASKS / 8);
  ASSERT_OK(weft_queue_destroy(&queue, NULL, NULL)); /* nobody left waiting */
  return NULL;
}

TEST_IMPL(queue_stress_bounded) {
  ASSERT_OK(weft_test_run(queue_main, NULL, NULL));
  return 0;
}
