/*
 * Thread-layer benchmarks (bench/thread/run compares them with asyncio and
 * uvloop):
 *   weft-bench-thread executor-seq N     N sequential to_thread round trips
 *   weft-bench-thread executor-par N     N jobs from 64 tasks at once
 *   weft-bench-thread threadsafe N       N call_soon_threadsafe from a thread
 * Each prints `RESULT <name> <value> <unit>`.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <weft.h>

static long n_ops;

static double now(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void check(int rc, const char *what) {
  if (rc) {
    fprintf(stderr, "weft-bench-thread: %s: %s\n", what, weft_strerror(rc));
    exit(1);
  }
}

static void *noop_job(void *arg) {
  return arg;
}

static void *bench_seq(void *arg) {
  double t0;

  (void)arg;
  check(weft_to_thread(noop_job, NULL, NULL), "warm-up");
  t0 = now();
  for (long i = 0; i < n_ops; i++)
    check(weft_to_thread(noop_job, NULL, NULL), "weft_to_thread");
  printf("RESULT executor-seq %.2f us/job\n", (now() - t0) * 1e6 / n_ops);
  return NULL;
}

enum { PAR = 64 };

static void *par_worker(void *arg) {
  long n = (long)arg;

  for (long i = 0; i < n; i++)
    check(weft_to_thread(noop_job, NULL, NULL), "weft_to_thread");
  return NULL;
}

static void *bench_par(void *arg) {
  weft_task *t[PAR];
  double t0;

  (void)arg;
  check(weft_to_thread(noop_job, NULL, NULL), "warm-up");
  t0 = now();
  for (int i = 0; i < PAR; i++)
    check(weft_spawn(&t[i], par_worker, (void *)(n_ops / PAR), NULL), "spawn");
  check(weft_gather(t, PAR, 0, NULL, NULL), "gather");
  printf("RESULT executor-par %.0f jobs/s\n", (double)(n_ops / PAR * PAR) / (now() - t0));
  for (int i = 0; i < PAR; i++)
    weft_task_release(t[i]);
  return NULL;
}

typedef struct ts_state {
  weft_loop *loop;
  long seen;
  weft_future *done;
} ts_state;

static void ts_cb(void *arg) {
  ts_state *st = arg;

  if (++st->seen == n_ops)
    weft_future_set_result(st->done, NULL);
}

static void *ts_poster(void *arg) {
  ts_state *st = arg;

  for (long i = 0; i < n_ops; i++)
    check(weft_call_soon_threadsafe(st->loop, ts_cb, st), "call_soon_threadsafe");
  return NULL;
}

static void *bench_threadsafe(void *arg) {
  ts_state st = {weft_loop_current(), 0, NULL};
  pthread_t th;
  double t0;

  (void)arg;
  check(weft_future_new(&st.done, NULL), "future");
  t0 = now();
  pthread_create(&th, NULL, ts_poster, &st);
  check(weft_future_await(st.done, NULL), "await");
  printf("RESULT threadsafe %.0f calls/s\n", n_ops / (now() - t0));
  pthread_join(th, NULL);
  weft_future_release(st.done);
  return NULL;
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    weft_task_fn fn;
  } modes[] = {
      {"executor-seq", bench_seq}, {"executor-par", bench_par}, {"threadsafe", bench_threadsafe}};

  if (argc != 3) {
    fprintf(stderr, "usage: weft-bench-thread executor-seq|executor-par|threadsafe N\n");
    return 2;
  }
  n_ops = atol(argv[2]);
  for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
    if (strcmp(argv[1], modes[i].name) == 0)
      return weft_run(modes[i].fn, NULL, NULL) ? 1 : 0;
  return 2;
}
