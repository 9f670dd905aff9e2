/*
 * Port of seed 001's "限制同时请求数量" / "控制同时连接的数量": the connector's
 * limit (TCPConnector(limit=30); default 100, 0 = unlimited) and
 * limit_per_host cap the connections a session opens at once. 60 requests
 * to /delay/0.5 take 0.5 s with the default, 1 s with limit=30 and 3 s with
 * limit_per_host=10. Then the seed's Semaphore example: 100 fetches, each
 * with its own session, under asyncio.Semaphore(1000), printing
 * "{url}:{status}".
 *
 * The base URL comes from WEFT_HTTPBIN (default https://httpbin.org).
 */
#include <stdio.h>
#include <stdlib.h>
#include <weft.h>

#define NREQ 60
#define NFETCH 100

static char base[256];
static weft_http_session *session;
static weft_sem sem;

static void *delayed(void *arg) {
  weft_http_response *r;
  char u[512];
  int rc;

  (void)arg;
  snprintf(u, sizeof u, "%s/delay/0.5", base);
  if ((rc = weft_http_get(session, u, NULL, &r)) == 0)
    rc = weft_http_response_read(r, 0, &(const void *){0}, &(size_t){0});
  weft_http_response_free(r);
  return rc ? weft_fail(rc, "%s", weft_http_last_error()) : NULL;
}

/* NREQ requests at once on a session with this connector. */
static int burst(const char *title, int limit, int limit_per_host) {
  weft_http_session_opts o = {.limit = limit, .limit_per_host = limit_per_host};
  weft_task *t[NREQ] = {0};
  double start = weft_time();
  int rc;

  if ((rc = weft_http_session_new(&session, &o)) != 0)
    return rc;
  for (int i = 0; i < NREQ && rc == 0; i++)
    rc = weft_spawn(&t[i], delayed, NULL, NULL);
  if (rc == 0)
    rc = weft_gather(t, NREQ, 0, NULL, NULL);
  if (rc == 0)
    printf("%-30s %d requests in %.2f s\n", title, NREQ, weft_time() - start);
  for (int i = 0; i < NREQ; i++)
    weft_task_release(t[i]);
  weft_http_session_close(session);
  weft_http_session_free(session);
  return rc;
}

/* async def fetch(sem, url): async with sem: async with ClientSession() ... */
static void *fetch(void *arg) {
  weft_http_session *s = NULL;
  weft_http_response *r = NULL;
  const char *text;
  int rc;

  if ((rc = weft_sem_acquire(&sem)) != 0)
    return weft_fail(rc, "acquire");
  if ((rc = weft_http_session_new(&s, NULL)) == 0 && (rc = weft_http_get(s, arg, NULL, &r)) == 0 &&
      (rc = weft_http_response_text(r, NULL, 0, &text, NULL)) == 0)
    printf("%s:%d \n", weft_http_response_url(r), weft_http_response_status(r));
  weft_http_response_free(r);
  weft_http_session_free(s);
  weft_sem_release(&sem);
  return rc ? weft_fail(rc, "%s", weft_http_last_error()) : NULL;
}

static int semaphore(void) {
  weft_task *t[NFETCH] = {0};
  double start = weft_time();
  int done[NFETCH], rc = 0;
  size_t ndone;
  char u[512];

  printf("--- Semaphore(1000), %d fetches ---\n", NFETCH);
  snprintf(u, sizeof u, "%s/get", base);
  weft_sem_init(&sem, 1000);
  for (int i = 0; i < NFETCH && rc == 0; i++)
    rc = weft_spawn(&t[i], fetch, u, NULL);
  if (rc == 0)
    rc = weft_wait(t, NFETCH, WEFT_ALL_COMPLETED, INFINITY, done, &ndone);
  for (int i = 0; i < NFETCH; i++) {
    if (rc == 0 && t[i])
      rc = weft_task_result(t[i], NULL);
    weft_task_release(t[i]);
  }
  printf("%d fetches in %.2f s\n", NFETCH, weft_time() - start);
  weft_sem_destroy(&sem);
  return rc;
}

static void *amain(void *arg) {
  int rc;

  (void)arg;
  printf("--- TCPConnector limits, %d x GET /delay/0.5 ---\n", NREQ);
  if ((rc = burst("default (limit=100):", 0, 0)) == 0 &&
      (rc = burst("TCPConnector(limit=30):", 30, 0)) == 0 &&
      (rc = burst("TCPConnector(limit_per_host=10):", 0, 10)) == 0)
    rc = semaphore();
  if (rc)
    printf("error: %s\n", weft_http_strerror(rc));
  return rc ? weft_fail(rc, "limits") : NULL;
}

int main(void) {
  const char *b = getenv("WEFT_HTTPBIN");

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://httpbin.org");
  return weft_run(amain, NULL, NULL) ? 1 : 0;
}
