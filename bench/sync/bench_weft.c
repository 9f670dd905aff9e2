/*
 * weft's side of the coordination benchmarks. One figure per process:
 *   weft-bench-sync lock N       two tasks take one lock N times each,
 *                                yielding while they hold it
 *   weft-bench-sync queue N M W  a producer puts N items into a FIFO queue
 *                                of maxsize M (0: unbounded), a consumer
 *                                gets them; W = 1: after one untimed round
 *                                through the same queue
 * Prints "RESULT <figure> <value> <unit>".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weft/core.h>
#include <weft/queue.h>
#include <weft/sync.h>

static long n_ops;
static long maxsize;
static long warm;

static uint64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "weft-bench-sync: %s: %s\n", what, weft_strerror(rc));
    exit(1);
  }
  return rc;
}

/* Spawn two tasks, time them to completion; returns the elapsed ns. */
static uint64_t run_pair(weft_task_fn a, weft_task_fn b, void *arg) {
  weft_task *t[2];
  uint64_t t0, t1;

  check(weft_spawn(&t[0], a, arg, NULL), "weft_spawn");
  check(weft_spawn(&t[1], b, arg, NULL), "weft_spawn");
  t0 = now_ns();
  check(weft_gather(t, 2, 0, NULL, NULL), "weft_gather");
  t1 = now_ns();
  weft_task_release(t[0]);
  weft_task_release(t[1]);
  return t1 - t0;
}

/* ---- lock handoff ------------------------------------------------------- */

/* The yield inside the critical section lets the other task run and queue
 * on the lock, so every release hands the lock over to a parked waiter. */
static void *locker(void *arg) {
  weft_lock *lock = arg;

  for (long i = 0; i < n_ops; i++) {
    check(weft_lock_acquire(lock), "weft_lock_acquire");
    check(weft_yield(), "weft_yield");
    check(weft_lock_release(lock), "weft_lock_release");
  }
  return NULL;
}

static void *bench_lock(void *arg) {
  weft_lock lock = WEFT_LOCK_INIT;
  uint64_t ns;

  (void)arg;
  ns = run_pair(locker, locker, &lock);
  check(weft_lock_destroy(&lock), "weft_lock_destroy");
  printf("RESULT lock-handoff %.2f ns/handoff\n", (double)ns / (2.0 * (double)n_ops));
  return NULL;
}

/* ---- queue put + get ---------------------------------------------------- */

static void *producer(void *arg) {
  for (long i = 0; i < n_ops; i++)
    check(weft_queue_put(arg, (void *)(intptr_t)(i + 1)), "weft_queue_put");
  return NULL;
}

static void *consumer(void *arg) {
  void *item;

  for (long i = 0; i < n_ops; i++) {
    check(weft_queue_get(arg, &item), "weft_queue_get");
    if ((intptr_t)item != i + 1)
      check(-EPROTO, "items out of order");
  }
  return NULL;
}

static void *bench_queue(void *arg) {
  weft_queue q;
  uint64_t ns;

  (void)arg;
  check(weft_queue_init(&q, WEFT_QUEUE_FIFO, (size_t)maxsize, NULL), "weft_queue_init");
  /* The warm round leaves the buffer grown and its pages touched (in every
   * implementation): the steady state, not the first touch of fresh memory,
   * which costs microseconds per page on some VMs. */
  if (warm)
    run_pair(producer, consumer, &q);
  ns = run_pair(producer, consumer, &q);
  check(weft_queue_destroy(&q, NULL, NULL), "weft_queue_destroy");
  printf("RESULT queue %.2f ns/item\n", (double)ns / (double)n_ops);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 5 || (n_ops = atol(argv[2])) <= 0)
    goto usage;
  if (strcmp(argv[1], "lock") == 0 && argc == 3)
    return check(weft_run(bench_lock, NULL, NULL), "weft_run") == 0 ? 0 : 1;
  if (strcmp(argv[1], "queue") == 0 && argc == 5 && (maxsize = atol(argv[3])) >= 0 &&
      (warm = atol(argv[4])) >= 0)
    return check(weft_run(bench_queue, NULL, NULL), "weft_run") == 0 ? 0 : 1;
usage:
  fprintf(stderr, "usage: weft-bench-sync lock N | queue N MAXSIZE WARM\n");
  return 2;
}
