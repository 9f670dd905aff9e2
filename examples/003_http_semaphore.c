/*
 * Port of seed 003's "并发限制": 1000 scrape_api() tasks share one session;
 * a Semaphore(CONCURRENCY) lets only CONCURRENCY of them request at once
 * (each holds its response a second before reading it), so the site is not
 * flooded. The seed's CONCURRENCY of 5 would take 200 s here; 100 takes
 * 10 s. The program counts the most requests ever in flight.
 *
 * The URL is WEFT_HTTPBIN + /get (default https://www.httpbin.org/get; the
 * seed scrapes https://www.baidu.com/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <weft.h>

#define CONCURRENCY 100
#define NTASKS 1000

static char URL[512];
static weft_sem semaphore;
static weft_http_session *session;
static int in_flight, peak, scraped;

/* async def scrape_api(): async with semaphore: ... */
static void *scrape_api(void *arg) {
  weft_http_response *r = NULL;
  int rc;

  (void)arg;
  if ((rc = weft_sem_acquire(&semaphore)) != 0)
    return weft_fail(rc, "acquire");
  printf("Scraping %s\n", URL);
  peak = ++in_flight > peak ? in_flight : peak;
  if ((rc = weft_http_get(session, URL, NULL, &r)) == 0 && (rc = weft_sleep(1)) == 0)
    rc = weft_http_response_text(r, NULL, 0, &(const char *){0}, NULL);
  scraped += rc == 0;
  in_flight--;
  weft_http_response_free(r);
  weft_sem_release(&semaphore);
  return rc ? weft_fail(rc, "%s", weft_http_last_error()) : NULL;
}

static void *amain(void *arg) {
  static weft_task *tasks[NTASKS];
  double start = weft_time();
  int rc = 0;

  (void)arg;
  weft_sem_init(&semaphore, CONCURRENCY);
  if ((rc = weft_http_session_new(&session, NULL)) != 0)
    return weft_fail(rc, "session");
  for (int i = 0; i < NTASKS && rc == 0; i++)
    rc = weft_spawn(&tasks[i], scrape_api, NULL, NULL);
  if (rc == 0)
    rc = weft_gather(tasks, NTASKS, 0, NULL, NULL); /* await asyncio.gather(*tasks) */
  printf("%d pages scraped, at most %d at once, in %.2f s\n", scraped, peak, weft_time() - start);
  if (rc)
    printf("error: %s\n", weft_http_strerror(rc));
  for (int i = 0; i < NTASKS; i++)
    weft_task_release(tasks[i]);
  weft_http_session_close(session);
  weft_http_session_free(session);
  weft_sem_destroy(&semaphore);
  return rc ? weft_fail(rc, "scrape") : NULL;
}

int main(void) {
  const char *b = getenv("WEFT_HTTPBIN");

  snprintf(URL, sizeof URL, "%s/get", b && *b ? b : "https://www.httpbin.org");
  return weft_run(amain, NULL, NULL) ? 1 : 0;
}
