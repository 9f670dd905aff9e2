/* weft's client for the HTTP client benchmark (bench/http-client/run).
 *
 *   bench-http-client-weft URL CONC DURATION WARMUP SIZE
 *
 * One session (limit = max(CONC, 100), keep-alive) and CONC tasks, each
 * looping GET URL -> check the status -> weft_http_response_read (the whole
 * body) -> free, first for WARMUP seconds (connections opened, nothing
 * counted), then for DURATION seconds measured: requests/s and the
 * process's CPU time (getrusage) per 1000 requests over that period. A
 * request counts as an error if it fails, its status is not 200 or its
 * body is not SIZE bytes. Prints "START" when the measured period begins,
 * then at its end:
 *
 *   RESULT reqs=<req/s> cpu_ms=<ms/1000 req> user_ms=<..> n=<requests>
 *          errors=<n> secs=<measured seconds>
 *
 * and the first error's message on stderr.
 */
#include <weft.h>
#include <weft/http.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static struct {
  const char *url;
  int conc;
  double duration, warmup;
  size_t size;
  weft_http_session *session;
  int reported; /* the first error was printed */
} g;

typedef struct phase {
  double end;  /* loop time after which no request starts */
  long done;   /* requests finished */
  long errors; /* of which failed */
} phase;

static void report_error(int err, const char *what) {
  if (g.reported++)
    return;
  fprintf(stderr, "bench-http-client-weft: %s: %s (%s)\n", what, weft_http_strerror(err),
          weft_http_last_error());
}

/* One GET, its body read to the end. Returns 0 or an error code. */
static int one_request(void) {
  weft_http_response *r = NULL;
  const void *data;
  size_t len = 0;
  int err = weft_http_get(g.session, g.url, NULL, &r);
  if (err) {
    report_error(err, "request");
    return err;
  }
  err = weft_http_response_read(r, 0, &data, &len);
  if (err)
    report_error(err, "read");
  else if (weft_http_response_status(r) != 200 || len != g.size)
    err = -EPROTO;
  if (err == -EPROTO && !g.reported++)
    fprintf(stderr, "bench-http-client-weft: status %d, %zu bytes (expected 200, %zu)\n",
            weft_http_response_status(r), len, g.size);
  weft_http_response_free(r);
  return err;
}

static void *worker(void *arg) {
  phase *ph = arg;
  while (weft_time() < ph->end) {
    if (one_request() != 0)
      ph->errors++;
    ph->done++;
  }
  return NULL;
}

/* Run CONC workers until seconds have passed; they finish their request
 * in flight at the deadline. */
static int run_phase(phase *ph, double seconds) {
  weft_task **tasks = calloc((size_t)g.conc, sizeof *tasks);
  int n = 0, err = tasks ? 0 : -ENOMEM;
  ph->end = weft_time() + seconds;
  for (; !err && n < g.conc; n++)
    err = weft_spawn(&tasks[n], worker, ph, NULL);
  if (err)
    n--;
  if (n > 0) {
    int gerr = weft_gather(tasks, (size_t)n, 0, NULL, NULL);
    err = err ? err : gerr;
  }
  for (int i = 0; i < n; i++)
    weft_task_release(tasks[i]);
  free(tasks);
  return err;
}

static double cpu_ms(const struct rusage *ru, int user_only) {
  double ms = ru->ru_utime.tv_sec * 1e3 + ru->ru_utime.tv_usec / 1e3;
  if (!user_only)
    ms += ru->ru_stime.tv_sec * 1e3 + ru->ru_stime.tv_usec / 1e3;
  return ms;
}

static int measure(void) {
  phase warm = {0}, ph = {0};
  struct rusage ru0, ru1;
  int err = run_phase(&warm, g.warmup);
  if (err)
    return err;
  printf("START\n");
  fflush(stdout);
  getrusage(RUSAGE_SELF, &ru0);
  double t0 = weft_time();
  err = run_phase(&ph, g.duration);
  double secs = weft_time() - t0;
  getrusage(RUSAGE_SELF, &ru1);
  if (err)
    return err;
  double per = ph.done ? 1000.0 / (double)ph.done : 0;
  printf("RESULT reqs=%.1f cpu_ms=%.3f user_ms=%.3f n=%ld errors=%ld secs=%.3f\n",
         (double)ph.done / secs, (cpu_ms(&ru1, 0) - cpu_ms(&ru0, 0)) * per,
         (cpu_ms(&ru1, 1) - cpu_ms(&ru0, 1)) * per, ph.done, ph.errors + warm.errors, secs);
  fflush(stdout);
  return 0;
}

static void *bench_main(void *arg) {
  (void)arg;
  weft_http_session_opts o = {.limit = g.conc > 100 ? g.conc : 100};
  int err = weft_http_session_new(&g.session, &o);
  if (err) {
    report_error(err, "session");
    return weft_fail(err, "session");
  }
  err = measure();
  if (err)
    fprintf(stderr, "bench-http-client-weft: %s\n", weft_strerror(err));
  weft_http_session_close(g.session);
  weft_http_session_free(g.session);
  return err ? weft_fail(err, "benchmark") : NULL;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: bench-http-client-weft URL CONC DURATION WARMUP SIZE\n");
    return 2;
  }
  g.url = argv[1];
  g.conc = atoi(argv[2]);
  g.duration = atof(argv[3]);
  g.warmup = atof(argv[4]);
  g.size = (size_t)strtoull(argv[5], NULL, 10);
  if (g.conc < 1 || g.duration <= 0 || g.warmup < 0) {
    fprintf(stderr, "bench-http-client-weft: bad CONC, DURATION or WARMUP\n");
    return 2;
  }
  void *res = NULL;
  int err = weft_run(bench_main, NULL, &res);
  return err ? 1 : 0;
}
