/*
 * Process-pool benchmarks (bench/process/run compares them with Python's
 * multiprocessing.Pool and ProcessPoolExecutor):
 *   weft-bench-process map-small N        Pool.map of N 8-byte items (echo),
 *                                         results in one arena
 *                                         (weft_pool_map_arena)
 *   weft-bench-process map-small-owned N  the same with one owned buffer
 *                                         per result (weft_pool_map)
 *   weft-bench-process primes P LIMIT     count primes below LIMIT in 64
 *                                         ranges with P processes
 * Each prints `RESULT <name> <value> <unit>`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <weft.h>

static long n_ops, limit;
static size_t nproc;

static double now(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void check(int rc, const char *what) {
  if (rc) {
    fprintf(stderr, "weft-bench-process: %s: %s\n", what, weft_strerror(rc));
    exit(1);
  }
}

/* Small results go to the scratch space the runtime provides. */
static void *echo(const weft_buf *arg, weft_buf *out) {
  if (arg->len > WEFT_POOL_SCRATCH && !(out->data = weft_malloc(arg->len)))
    return weft_fail(-ENOMEM, "echo");
  memcpy(out->data, arg->data, arg->len);
  out->len = arg->len;
  return NULL;
}

static int owned;

static void map_owned(weft_pool *pool, const weft_buf *items) {
  weft_pool_result *res = calloc((size_t)n_ops, sizeof(*res));
  double t0 = now();

  check(weft_pool_map(pool, echo, items, (size_t)n_ops, res), "map");
  printf("RESULT map-small-owned %.0f items/s\n", n_ops / (now() - t0));
  for (long i = 0; i < n_ops; i++) {
    if (res[i].buf.len != sizeof(long) || *(long *)res[i].buf.data != i)
      check(-EINVAL, "wrong result");
    weft_pool_result_clear(&res[i]);
  }
  free(res);
}

static void map_arena(weft_pool *pool, const weft_buf *items) {
  weft_pool_results res = {0};
  double t0 = now();

  check(weft_pool_map_arena(pool, echo, items, (size_t)n_ops, &res), "map");
  printf("RESULT map-small %.0f items/s\n", n_ops / (now() - t0));
  for (long i = 0; i < n_ops; i++) {
    weft_buf b = weft_pool_results_buf(&res, (size_t)i);

    if (b.len != sizeof(long) || memcmp(b.data, &i, sizeof i) != 0)
      check(-EINVAL, "wrong result");
  }
  weft_pool_results_free(&res);
}

static void *bench_map_small(void *arg) {
  weft_buf *items = calloc((size_t)n_ops, sizeof(*items));
  long *vals = calloc((size_t)n_ops, sizeof(*vals));
  weft_pool *pool;

  (void)arg;
  for (long i = 0; i < n_ops; i++) {
    vals[i] = i;
    items[i] = (weft_buf){&vals[i], sizeof(long)};
  }
  check(weft_pool_new(&pool, NULL), "pool");
  if (owned)
    map_owned(pool, items);
  else
    map_arena(pool, items);
  weft_pool_close(pool);
  check(weft_pool_join(pool), "join");
  weft_pool_free(pool);
  free(items);
  free(vals);
  return NULL;
}

enum { RANGES = 64 };

static long count_primes(long lo, long hi) {
  long n = 0;

  for (long x = lo < 2 ? 2 : lo; x < hi; x++) {
    int prime = 1;
    for (long d = 2; d * d <= x; d++)
      if (x % d == 0) {
        prime = 0;
        break;
      }
    n += prime;
  }
  return n;
}

static void *primes_job(const weft_buf *arg, weft_buf *out) {
  long r[2], *n = weft_malloc(sizeof(long));

  if (!n)
    return weft_fail(-ENOMEM, "primes");
  memcpy(r, arg->data, sizeof(r));
  *n = count_primes(r[0], r[1]);
  *out = (weft_buf){n, sizeof(long)};
  return NULL;
}

static void *bench_primes(void *arg) {
  long ranges[RANGES][2], total = 0;
  weft_buf items[RANGES];
  weft_pool_result res[RANGES];
  weft_pool *pool;
  double t0;

  (void)arg;
  for (int i = 0; i < RANGES; i++) {
    ranges[i][0] = limit / RANGES * i;
    ranges[i][1] = limit / RANGES * (i + 1);
    items[i] = (weft_buf){ranges[i], sizeof(ranges[i])};
  }
  check(weft_pool_new(&pool,
                      &(weft_pool_opts){.processes = nproc, .childconcurrency = 1, .chunksize = 1}),
        "pool");
  t0 = now();
  check(weft_pool_map(pool, primes_job, items, RANGES, res), "map");
  double s = now() - t0;
  for (int i = 0; i < RANGES; i++) {
    total += *(long *)res[i].buf.data;
    weft_pool_result_clear(&res[i]);
  }
  printf("RESULT primes-%zu %.3f s (%ld primes)\n", nproc, s, total);
  weft_pool_close(pool);
  check(weft_pool_join(pool), "join");
  weft_pool_free(pool);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc == 3 && (strcmp(argv[1], "map-small") == 0 || strcmp(argv[1], "map-small-owned") == 0)) {
    owned = strcmp(argv[1], "map-small-owned") == 0;
    n_ops = atol(argv[2]);
    return weft_run(bench_map_small, NULL, NULL) ? 1 : 0;
  }
  if (argc == 4 && strcmp(argv[1], "primes") == 0) {
    nproc = (size_t)atol(argv[2]);
    limit = atol(argv[3]);
    return weft_run(bench_primes, NULL, NULL) ? 1 : 0;
  }
  fprintf(stderr, "usage: weft-bench-process map-small[-owned] N | primes P LIMIT\n");
  return 2;
}
