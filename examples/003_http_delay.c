/*
 * Port of seed 003's "案例引入" and "使用aiohttp": /delay/5 answers after 5
 * seconds. Fetched one after the other (for _ in range(1, TOTAL_NUMBER))
 * the nine requests take 45 s; five requests made by five tasks, each
 * with its own session, take 5 s together.
 *
 *   usage: 003_http_delay [SECONDS]   (the delay, 5 by default)
 *
 * The base URL comes from WEFT_HTTPBIN (default https://www.httpbin.org).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <weft.h>

#define TOTAL_NUMBER 10

static char url[512];

/* logging.basicConfig(format='%(asctime)s %(levelname)s: %(message)s'): the asctime */
static const char *asctime_now(void) {
  static char when[48];
  struct timespec ts;
  size_t n;

  clock_gettime(CLOCK_REALTIME, &ts);
  n = strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&ts.tv_sec));
  snprintf(when + n, sizeof when - n, ",%03ld", ts.tv_nsec / 1000000);
  return when;
}

/* for _ in range(1, TOTAL_NUMBER): logging.info(...); requests.get(URL) */
static int sequential(void) {
  weft_http_session *s;
  weft_http_response *r;
  double start = weft_time();
  int rc;

  if ((rc = weft_http_session_new(&s, NULL)) != 0)
    return rc;
  for (int i = 1; i < TOTAL_NUMBER && rc == 0; i++) {
    printf("%s INFO: scraping %s\n", asctime_now(), url);
    if ((rc = weft_http_get(s, url, NULL, &r)) == 0)
      rc = weft_http_response_read(r, 0, &(const void *){0}, &(size_t){0});
    weft_http_response_free(r);
  }
  if (rc == 0)
    printf("%s INFO: total time %f\n", asctime_now(), weft_time() - start);
  weft_http_session_free(s);
  return rc;
}

/* async def get(url): session = aiohttp.ClientSession(); ... await session.close() */
static int get(weft_http_response **r) {
  weft_http_session *s;
  int rc;

  if ((rc = weft_http_session_new(&s, NULL)) != 0)
    return rc;
  if ((rc = weft_http_get(s, url, NULL, r)) == 0)
    rc = weft_http_response_text(*r, NULL, 0, &(const char *){0}, NULL);
  weft_http_session_close(s);
  weft_http_session_free(s);
  return rc;
}

/* async def request(): print(f"Waiting for {url}") ... print(f"Response: ...") */
static void *request(void *arg) {
  weft_http_response *r = NULL;
  int rc;

  (void)arg;
  printf("Waiting for %s\n", url);
  if ((rc = get(&r)) == 0)
    printf("Response: <ClientResponse(%s) [%d %s]> from %s\n", weft_http_response_url(r),
           weft_http_response_status(r), weft_http_response_reason(r), url);
  weft_http_response_free(r);
  return rc ? weft_fail(rc, "%s", weft_http_last_error()) : NULL;
}

static void *amain(void *arg) {
  weft_task *tasks[5] = {0};
  int done[5], rc;
  size_t ndone;
  double start;

  (void)arg;
  printf("--- one after the other ---\n");
  if ((rc = sequential()) != 0)
    return weft_fail(rc, "%s", weft_http_last_error());
  printf("--- five tasks ---\n");
  start = weft_time();
  for (int i = 0; i < 5 && rc == 0; i++) /* tasks = [asyncio.ensure_future(request()) ...] */
    rc = weft_spawn(&tasks[i], request, NULL, NULL);
  if (rc == 0)
    rc = weft_wait(tasks, 5, WEFT_ALL_COMPLETED, INFINITY, done, &ndone);
  for (int i = 0; i < 5; i++) {
    if (rc == 0)
      rc = weft_task_result(tasks[i], NULL);
    weft_task_release(tasks[i]);
  }
  if (rc == 0)
    printf("Cost time: %f\n", weft_time() - start);
  return rc ? weft_fail(rc, "request") : NULL;
}

int main(int argc, char **argv) {
  const char *b = getenv("WEFT_HTTPBIN");
  int rc;

  snprintf(url, sizeof url, "%s/delay/%s", b && *b ? b : "https://www.httpbin.org",
           argc > 1 ? argv[1] : "5");
  if ((rc = weft_run(amain, NULL, NULL)) != 0)
    printf("error: %s\n", weft_http_strerror(rc));
  return rc ? 1 : 0;
}
