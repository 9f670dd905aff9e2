/*
 * weft's side of the core benchmarks. One figure per process:
 *   weft-bench-core yield N        two tasks weft_yield N times each
 *   weft-bench-core spawn N [B]    spawn N tasks, B (1000) at a time, gather
 *                                  (after one untimed batch)
 *   weft-bench-core timer-cancel N call_later with a handle, then cancel
 *   weft-bench-core timer-fire N   call_later, wait until every one fired
 *   weft-bench-core park N         RSS growth of N tasks blocked on a future
 * Prints "RESULT <figure> <value> <unit>".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weft/core.h>

#define SPAWN_BATCH_MAX 100000

static long n_ops;
static long spawn_batch = 1000;

static uint64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Resident set size in KiB, as the kernel accounts it. */
static long vm_rss_kib(void) {
  char line[256];
  long kib = -1;
  FILE *f = fopen("/proc/self/status", "r");

  if (!f)
    return -1;
  while (fgets(line, sizeof(line), f))
    if (strncmp(line, "VmRSS:", 6) == 0)
      kib = atol(line + 6);
  fclose(f);
  return kib;
}

static int check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "weft-bench-core: %s: %s\n", what, weft_strerror(rc));
    exit(1);
  }
  return rc;
}

/* ---- yield ping-pong ---------------------------------------------------- */

static void *yielder(void *arg) {
  (void)arg;
  for (long i = 0; i < n_ops; i++)
    check(weft_yield(), "weft_yield");
  return NULL;
}

static void *bench_yield(void *arg) {
  weft_task *t[2];
  uint64_t t0, t1;

  (void)arg;
  check(weft_spawn(&t[0], yielder, NULL, NULL), "weft_spawn");
  check(weft_spawn(&t[1], yielder, NULL, NULL), "weft_spawn");
  t0 = now_ns();
  check(weft_gather(t, 2, 0, NULL, NULL), "weft_gather");
  t1 = now_ns();
  weft_task_release(t[0]);
  weft_task_release(t[1]);
  /* Each yield hands the thread from one task to the other. */
  printf("RESULT yield %.2f ns/switch\n", (double)(t1 - t0) / (2.0 * (double)n_ops));
  return NULL;
}

/* ---- spawn + complete --------------------------------------------------- */

static void *nothing(void *arg) {
  return arg;
}

/* Spawn n tasks, spawn_batch at a time, and collect them. */
static void spawn_batches(weft_task **batch, long n) {
  for (long done = 0; done < n;) {
    long k = n - done < spawn_batch ? n - done : spawn_batch;

    for (long i = 0; i < k; i++)
      check(weft_spawn(&batch[i], nothing, NULL, NULL), "weft_spawn");
    check(weft_gather(batch, (size_t)k, 0, NULL, NULL), "weft_gather");
    for (long i = 0; i < k; i++)
      weft_task_release(batch[i]);
    done += k;
  }
}

static void *bench_spawn(void *arg) {
  weft_task **batch = malloc((size_t)spawn_batch * sizeof(*batch));
  uint64_t t0, t1;

  (void)arg;
  if (!batch)
    check(-ENOMEM, "malloc");
  spawn_batches(batch, spawn_batch); /* untimed warm-up: steady state */
  t0 = now_ns();
  spawn_batches(batch, n_ops);
  t1 = now_ns();
  free(batch);
  printf("RESULT spawn %.2f ns/task\n", (double)(t1 - t0) / (double)n_ops);
  return NULL;
}

/* ---- timers ------------------------------------------------------------- */

static void never(void *arg) {
  (void)arg;
  fprintf(stderr, "weft-bench-core: a cancelled timer fired\n");
  exit(1);
}

/* Delays spread over 1 ms so that the timer queue has real ordering work. */
static double spread_delay(long i) {
  return 0.001 + (double)(i % 1000) * 1e-6;
}

/* Cancelled timers are set 10 s out (in every implementation): none can come
 * due before it is cancelled, even when the process is preempted. */
static void *bench_timer_cancel(void *arg) {
  weft_handle *h;
  uint64_t t0, t1;

  (void)arg;
  t0 = now_ns();
  for (long i = 0; i < n_ops; i++) {
    check(weft_call_later(NULL, 10.0 + spread_delay(i), never, NULL, &h), "weft_call_later");
    weft_handle_cancel(h);
    weft_handle_release(h);
  }
  t1 = now_ns();
  printf("RESULT timer-cancel %.2f ns/timer\n", (double)(t1 - t0) / (double)n_ops);
  return NULL;
}

typedef struct fire_state {
  long fired;
  weft_future *all_fired;
} fire_state;

static void fired(void *arg) {
  fire_state *st = arg;

  if (++st->fired == n_ops)
    weft_future_set_result(st->all_fired, NULL);
}

static uint64_t timer_fire_round(void) {
  fire_state st = {0, NULL};
  uint64_t t0, t1;

  check(weft_future_new(&st.all_fired, NULL), "weft_future_new");
  t0 = now_ns();
  for (long i = 0; i < n_ops; i++)
    check(weft_call_later(NULL, spread_delay(i), fired, &st, NULL), "weft_call_later");
  check(weft_future_await(st.all_fired, NULL), "weft_future_await");
  t1 = now_ns();
  weft_future_release(st.all_fired);
  return t1 - t0;
}

/* One untimed round first (in every implementation): the steady state, not
 * the first touch of a million fresh timer objects (page faults cost tens
 * of microseconds on some VMs). */
static void *bench_timer_fire(void *arg) {
  uint64_t ns;

  (void)arg;
  timer_fire_round();
  ns = timer_fire_round();
  printf("RESULT timer-fire %.2f ns/timer\n", (double)ns / (double)n_ops);
  return NULL;
}

/* ---- memory per parked task --------------------------------------------- */

static void *parked(void *arg) {
  check(weft_future_await(arg, NULL), "weft_future_await");
  return NULL;
}

static void *bench_park(void *arg) {
  weft_task **tasks = calloc((size_t)n_ops, sizeof(*tasks));
  weft_future *ev;
  long before, after;

  (void)arg;
  if (!tasks)
    check(-ENOMEM, "calloc");
  memset(tasks, 0xff, (size_t)n_ops * sizeof(*tasks)); /* commit it now */
  check(weft_future_new(&ev, NULL), "weft_future_new");
  before = vm_rss_kib();
  for (long i = 0; i < n_ops; i++)
    check(weft_spawn(&tasks[i], parked, ev, NULL), "weft_spawn");
  check(weft_yield(), "weft_yield"); /* every task runs and parks */
  after = vm_rss_kib();
  for (long i = 0; i < n_ops; i++)
    if (weft_task_done(tasks[i]))
      check(-EINVAL, "a parked task finished early");
  printf("RESULT park %.1f bytes/task\n", (double)(after - before) * 1024.0 / (double)n_ops);
  fflush(stdout);
  weft_future_set_result(ev, NULL);
  check(weft_gather(tasks, (size_t)n_ops, 0, NULL, NULL), "weft_gather");
  for (long i = 0; i < n_ops; i++)
    weft_task_release(tasks[i]);
  weft_future_release(ev);
  free(tasks);
  return NULL;
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    weft_task_fn fn;
  } benches[] = {
      {"yield", bench_yield},
      {"spawn", bench_spawn},
      {"timer-cancel", bench_timer_cancel},
      {"timer-fire", bench_timer_fire},
      {"park", bench_park},
  };

  if (argc > 3)
    spawn_batch = atol(argv[3]);
  if (argc < 3 || argc > 4 || (n_ops = atol(argv[2])) <= 0 || spawn_batch <= 0 ||
      spawn_batch > SPAWN_BATCH_MAX) {
    fprintf(stderr, "usage: weft-bench-core yield|spawn|timer-cancel|timer-fire|park N [B]\n");
    return 2;
  }
  for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
    if (strcmp(argv[1], benches[i].name) == 0)
      return check(weft_run(benches[i].fn, NULL, NULL), "weft_run") == 0 ? 0 : 1;
  fprintf(stderr, "weft-bench-core: unknown benchmark %s\n", argv[1]);
  return 2;
}
