/*
 * Port of seed 002, worker_1 (1 s) and worker_2 (2 s): awaited one after
 * the other they run in turn (3 s), made into tasks with
 * asyncio.create_task first they overlap (2 s). Awaiting a coroutine is a
 * plain call in a C task; awaiting a task is weft_await.
 */
#include <stdio.h>
#include <weft.h>

/* async def worker_N(): the coroutine body, awaited by a plain call. */
static int worker(int n, double seconds) {
  int rc;

  printf("worker_%d start\n", n);
  if ((rc = weft_sleep(seconds)) != 0)
    return rc;
  printf("worker_%d done\n", n);
  return 0;
}

/* The same coroutines wrapped for asyncio.create_task. */
static void *worker_1(void *arg) {
  int rc = worker(1, 1);

  (void)arg;
  return rc ? weft_fail(rc, NULL) : NULL;
}

static void *worker_2(void *arg) {
  int rc = worker(2, 2);

  (void)arg;
  return rc ? weft_fail(rc, NULL) : NULL;
}

/* await worker_1(); await worker_2(): synchronous calls. */
static void *main_await(void *arg) {
  int rc;

  (void)arg;
  printf("before await\n");
  if ((rc = worker(1, 1)) != 0)
    return weft_fail(rc, NULL);
  printf("awaited worker_1\n");
  if ((rc = worker(2, 2)) != 0)
    return weft_fail(rc, NULL);
  printf("awaited worker_2\n");
  return NULL;
}

static void *main_tasks(void *arg) {
  weft_task *task1 = NULL, *task2 = NULL;
  int rc = weft_spawn(&task1, worker_1, NULL, NULL);

  (void)arg;
  if (rc == 0)
    rc = weft_spawn(&task2, worker_2, NULL, NULL);
  if (rc == 0) {
    printf("before await\n");
    rc = weft_await(task1, NULL);
  }
  if (rc == 0) {
    printf("awaited worker_1\n");
    rc = weft_await(task2, NULL);
  }
  if (rc == 0)
    printf("awaited worker_2\n");
  weft_task_release(task1);
  weft_task_release(task2);
  return rc ? weft_fail(rc, NULL) : NULL;
}

static int timed_run(weft_task_fn fn) {
  double start = weft_time();
  int rc = weft_run(fn, NULL, NULL);

  if (rc == 0)
    printf("Wall time: %.2f s\n", weft_time() - start);
  return rc;
}

int main(void) {
  int rc;

  printf("--- await worker_1(); await worker_2() ---\n");
  rc = timed_run(main_await);
  if (rc == 0) {
    printf("--- asyncio.create_task ---\n");
    rc = timed_run(main_tasks);
  }
  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
