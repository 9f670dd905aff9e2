/*
 * Task stacks: overflow is reported with the task's name (guard page and
 * software check), and many parked tasks fit.
 */
#include <signal.h>
#include <sys/wait.h>

#include "test.h"

int core_test_child(void (*fn)(void *), void *arg, int *status, char *err, size_t errlen);

static volatile int stop_recursing; /* never set: keeps the compiler honest */

/* Each frame keeps a buffer live across the call, so the recursion cannot
 * become a loop. */
static long recurse(long depth) {
  volatile char buf[128];

  buf[0] = (char)depth;
  buf[sizeof(buf) - 1] = (char)depth;
  if (stop_recursing)
    return depth;
  return recurse(depth + 1) + buf[0] + buf[sizeof(buf) - 1];
}

static void *deep(void *arg) {
  (void)arg;
  return (void *)recurse(0);
}

static void *overflow_main(void *arg) {
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, deep, NULL, &(weft_spawn_opts){.name = "bottomless"}));
  weft_await(t, NULL);
  weft_task_release(t);
  return NULL;
}

static void overflow_child(void *arg) {
  (void)arg;
  weft_run(overflow_main, NULL, NULL);
  fprintf(stderr, "survived\n");
}

TEST_IMPL(stack_overflow_guard_page_reported) {
  char err[4096];
  int status;

  ASSERT_OK(core_test_child(overflow_child, NULL, &status, err, sizeof(err)));
  ASSERT(WIFSIGNALED(status));
  ASSERT_EQ(SIGABRT, WTERMSIG(status));
  ASSERT_NOT_NULL(strstr(err, "weft: stack overflow in task 'bottomless'"));
  ASSERT_NULL(strstr(err, "survived"));
  return 0;
}

/* Deep recursion that suspends at every level: with no guard page the
 * software check at each switch must catch it. */
static long recurse_yielding(long depth) {
  volatile char buf[64];

  buf[0] = (char)depth;
  if (weft_yield() != 0 || stop_recursing)
    return depth;
  return recurse_yielding(depth + 1) + buf[0];
}

static void *deep_yielding(void *arg) {
  (void)arg;
  return (void *)recurse_yielding(0);
}

static void *slab_main(void *arg) {
  weft_task *t;

  ASSERT_OK(weft_spawn(&t, deep_yielding, NULL,
                       &(weft_spawn_opts){.name = "sunk-in-slab", .stack_size = *(size_t *)arg}));
  weft_await(t, NULL);
  weft_task_release(t);
  return NULL;
}

static void slab_overflow_child(void *arg) {
  setenv("WEFT_STACK_GUARD_BUDGET", "0", 1); /* before the first stack */
  weft_run(slab_main, arg, NULL);
  fprintf(stderr, "survived\n");
}

static int slab_overflow(size_t stack_size) {
  char err[4096];
  int status;

  ASSERT_OK(core_test_child(slab_overflow_child, &stack_size, &status, err, sizeof(err)));
  ASSERT(WIFSIGNALED(status));
  ASSERT_EQ(SIGABRT, WTERMSIG(status));
  ASSERT_NOT_NULL(strstr(err, "weft: stack overflow in task 'sunk-in-slab'"));
  ASSERT_NULL(strstr(err, "survived"));
  return 0;
}

/* The default size shares a slab with the main task's stack. */
TEST_IMPL(stack_overflow_software_check_reported) {
  return slab_overflow(0);
}

/* Its own size: the first slot of a new slab, with no neighbour below. */
TEST_IMPL(stack_overflow_software_check_first_slot) {
  return slab_overflow(65536);
}

/* ---- many parked tasks ----------------------------------------------- */

/* Each parked task commits one stack page: where page faults are slow (tens
 * of microseconds under some hypervisors) this takes several seconds. */
#define NPARKED 100000
TEST_TIMEOUT(stack_many_parked_tasks, 40);

static long woken;

static void *park_on(void *arg) {
  void *res = NULL;

  ASSERT_OK(weft_future_await(arg, &res));
  ASSERT_STR_EQ("go", res);
  woken++;
  return NULL;
}

static void *many_main(void *arg) {
  weft_future *f;
  weft_task *last = NULL;

  (void)arg;
  ASSERT_OK(weft_future_new(&f, NULL));
  for (long i = 0; i < NPARKED; i++)
    ASSERT_OK(weft_spawn(i == NPARKED - 1 ? &last : NULL, park_on, f, NULL));
  ASSERT_OK(weft_yield()); /* every task starts and parks */
  ASSERT_EQ(NPARKED + 1, weft_all_tasks(NULL, NULL, 0));
  ASSERT_EQ(0, woken);
  ASSERT_STR_EQ("future", weft_task_waiting_on(last));
  ASSERT_OK(weft_future_set_result(f, "go"));
  ASSERT_OK(weft_await(last, NULL)); /* woken in FIFO order: the last is last */
  ASSERT_EQ(NPARKED, woken);
  ASSERT_EQ(1, weft_all_tasks(NULL, NULL, 0));
  weft_task_release(last);
  weft_future_release(f);
  return NULL;
}

TEST_IMPL(stack_many_parked_tasks) {
  ASSERT_OK(weft_test_run(many_main, NULL, NULL));
  return 0;
}
