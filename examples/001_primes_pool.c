/*
 * CPU-bound work on every core: count the primes below 2,000,000 in 32
 * ranges, first with one process, then with a pool of one process per core
 * (aiomultiprocess Pool.map), and print the speed-up. Also the seed's ten
 * blocking "fetches" (a blocking 1 s call each) through a pool of 5
 * processes: two waves, about 2 s.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <weft.h>

enum { RANGES = 32 };
static const long LIMIT = 2000000;

static long count_primes(long lo, long hi) {
  long n = 0;

  for (long x = lo < 2 ? 2 : lo; x < hi; x++) {
    int prime = 1;
    for (long d = 2; d * d <= x && prime; d++)
      prime = x % d != 0;
    n += prime;
  }
  return n;
}

/* Runs in a child: arg holds a range, the result is the count. */
static void *primes_in(const weft_buf *arg, weft_buf *out) {
  long r[2], *n = weft_malloc(sizeof(*n));

  if (!n)
    return weft_fail(-ENOMEM, "out of memory");
  memcpy(r, arg->data, sizeof(r));
  *n = count_primes(r[0], r[1]);
  *out = (weft_buf){n, sizeof(*n)};
  return NULL;
}

static int count_with(size_t processes, long *total, double *seconds) {
  long ranges[RANGES][2];
  weft_buf items[RANGES];
  weft_pool_result res[RANGES] = {0};
  weft_pool *pool;
  double t0 = weft_time();
  int rc = weft_pool_new(&pool, &(weft_pool_opts){.processes = processes, .childconcurrency = 1});

  if (rc)
    return rc;
  for (int i = 0; i < RANGES; i++) {
    ranges[i][0] = LIMIT / RANGES * i;
    ranges[i][1] = LIMIT / RANGES * (i + 1);
    items[i] = (weft_buf){ranges[i], sizeof(ranges[i])};
  }
  rc = weft_pool_map(pool, primes_in, items, RANGES, res);
  *total = 0;
  for (int i = 0; i < RANGES; i++) {
    if (rc == 0)
      *total += *(long *)res[i].buf.data;
    weft_pool_result_clear(&res[i]);
  }
  *seconds = weft_time() - t0;
  weft_pool_close(pool);
  if (rc == 0)
    rc = weft_pool_join(pool);
  weft_pool_free(pool);
  return rc;
}

/* The seed's blocking get_url_title, run in a child process. */
static void *get_url_title(const weft_buf *url, weft_buf *out) {
  (void)url;
  (void)out;
  sleep(1);
  printf(" Langzi - Never Setter 永不将就 - 致力于Python开发网络安全工具\n");
  fflush(stdout);
  return NULL;
}

static int fetch_ten(void) {
  static const char url[] = "http://www.langzi.fun";
  weft_buf items[10];
  weft_pool_result res[10] = {0};
  weft_pool *pool;
  double t0 = weft_time();
  int rc = weft_pool_new(&pool, &(weft_pool_opts){.processes = 5, .childconcurrency = 1});

  if (rc)
    return rc;
  for (int i = 0; i < 10; i++)
    items[i] = (weft_buf){(void *)url, sizeof(url)};
  rc = weft_pool_map(pool, get_url_title, items, 10, res);
  for (int i = 0; i < 10; i++)
    weft_pool_result_clear(&res[i]);
  weft_pool_close(pool);
  if (rc == 0)
    rc = weft_pool_join(pool);
  weft_pool_free(pool);
  printf("ProcessPool(5): %.2f\n", weft_time() - t0);
  return rc;
}

static void *main_task(void *arg) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN), one_total, all_total;
  double one, all;
  int rc;

  (void)arg;
  if ((rc = fetch_ten()) != 0 || (rc = count_with(1, &one_total, &one)) != 0 ||
      (rc = count_with((size_t)cores, &all_total, &all)) != 0)
    return weft_fail(rc, "pool");
  printf("primes below %ld: %ld with 1 process in %.2f s\n", LIMIT, one_total, one);
  printf("primes below %ld: %ld with %ld processes in %.2f s\n", LIMIT, all_total, cores, all);
  printf("speed-up: %.2fx on %ld cores\n", one / all, cores);
  return NULL;
}

int main(void) {
  int rc = weft_run(main_task, NULL, NULL);

  if (rc)
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return rc ? 1 : 0;
}
