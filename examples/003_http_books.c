/*
 * Port of seed 003's "aiohttp异步爬取实战": a book site's Ajax API, crawled in
 * two rounds at CONCURRENCY 5 on one session. First every list page
 * (?limit=18&offset=N, PAGE_NUMBER of them) with asyncio.gather, then the
 * detail of every book found, with asyncio.wait; each result is "saved"
 * (logged; the seed writes it to MongoDB).
 *
 *   usage: 003_http_books [PAGE_NUMBER]   (100 by default, as the seed)
 *
 * The site is played by httpbin's /anything, which echoes the query as
 * JSON: a list page /anything/api/book/?limit=18&offset=N carries its
 * books' ids as `results` (offset+1 .. offset+18), which the crawler reads
 * back from the JSON; a detail page is /anything/api/book/<id>. The base
 * URL comes from WEFT_HTTPBIN (default https://httpbin.org).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <weft.h>

#define PAGE_SIZE 18
#define CONCURRENCY 5

static char base[256];
static int PAGE_NUMBER = 100;
static weft_sem semaphore;
static weft_http_session *session;

static void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_info(const char *fmt, ...) {
  struct timespec ts;
  char when[32];
  va_list ap;

  clock_gettime(CLOCK_REALTIME, &ts);
  strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&ts.tv_sec));
  printf("%s,%03ld INFO: ", when, ts.tv_nsec / 1000000);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
}

/* async def scrape_api(url): async with semaphore: ... return await response.json() */
static json_t *scrape_api(const char *url) {
  weft_http_response *r = NULL;
  json_t *data = NULL;
  int rc;

  if (weft_sem_acquire(&semaphore) != 0)
    return NULL;
  log_info("Scraping: %s", url);
  if ((rc = weft_http_get(session, url, NULL, &r)) == 0)
    rc = weft_http_response_json(r, NULL, &data);
  if (rc != 0) /* except aiohttp.ClientError */
    log_info("Error: %s: %s", url, weft_http_last_error());
  weft_http_response_free(r);
  weft_sem_release(&semaphore);
  return data;
}

/* async def scrape_index(page): the list page, its ids in "results" */
static void *scrape_index(void *arg) {
  int page = (int)(intptr_t)arg, offset = PAGE_SIZE * (page - 1);
  char url[2048];
  size_t n;

  n = (size_t)snprintf(url, sizeof url, "%s/anything/api/book/?limit=%d&offset=%d", base, PAGE_SIZE,
                       offset);
  for (int id = offset + 1; id <= offset + PAGE_SIZE && n < sizeof url; id++)
    n += (size_t)snprintf(url + n, sizeof url - n, "&results=%d", id);
  return scrape_api(url);
}

/* async def scrape_detail(id): data = await scrape_api(url); logging.info(f"Saving ...") */
static void *scrape_detail(void *arg) {
  char url[512];
  json_t *data;

  snprintf(url, sizeof url, "%s/anything/api/book/%d", base, (int)(intptr_t)arg);
  if (!(data = scrape_api(url)))
    return NULL;
  log_info("Saving %s: {\"method\": \"%s\", \"url\": \"%s\"}", url,
           json_string_value(json_object_get(data, "method")),
           json_string_value(json_object_get(data, "url")));
  json_decref(data);
  return NULL;
}

/* Run fn(arg[i]) for n args as tasks; gather their results into results (may be NULL). */
static int run_all(weft_task_fn fn, const intptr_t *args, size_t n, void **results) {
  weft_task **tasks = weft_calloc(n ? n : 1, sizeof *tasks);
  int rc = tasks ? 0 : -ENOMEM;

  for (size_t i = 0; i < n && rc == 0; i++)
    rc = weft_spawn(&tasks[i], fn, (void *)args[i], NULL);
  if (rc == 0)
    rc = weft_gather(tasks, n, WEFT_RETURN_EXCEPTIONS, results, NULL);
  for (size_t i = 0; tasks && i < n; i++)
    weft_task_release(tasks[i]);
  weft_free(tasks);
  return rc;
}

/* ids = [item.get("id") for index_data in results for item in index_data["results"]] */
static size_t collect_ids(json_t **results, intptr_t *ids) {
  size_t n = 0, i;
  json_t *id;

  for (int p = 0; p < PAGE_NUMBER; p++) {
    if (!results[p]) /* if not index_data: continue */
      continue;
    json_array_foreach(json_object_get(json_object_get(results[p], "args"), "results"), i, id) {
      ids[n++] = json_is_string(id) ? atoi(json_string_value(id)) : json_integer_value(id);
    }
  }
  return n;
}

static int crawl(json_t **results, intptr_t *pages, intptr_t *ids) {
  size_t n;
  int rc;

  for (int p = 0; p < PAGE_NUMBER; p++)
    pages[p] = p + 1;
  if ((rc = run_all(scrape_index, pages, (size_t)PAGE_NUMBER, (void **)results)) != 0)
    return rc;
  n = collect_ids(results, ids);
  log_info("Results: %d list pages, %zu books", PAGE_NUMBER, n);
  return run_all(scrape_detail, ids, n, NULL);
}

static void *amain(void *arg) {
  json_t **results = weft_calloc((size_t)PAGE_NUMBER, sizeof *results);
  intptr_t *pages = weft_calloc((size_t)PAGE_NUMBER, sizeof *pages);
  intptr_t *ids = weft_calloc((size_t)PAGE_NUMBER * PAGE_SIZE, sizeof *ids);
  int rc = results && pages && ids ? 0 : -ENOMEM;

  (void)arg;
  weft_sem_init(&semaphore, CONCURRENCY);
  if (rc == 0 && (rc = weft_http_session_new(&session, NULL)) == 0) {
    rc = crawl(results, pages, ids);
    weft_http_session_close(session);
    weft_http_session_free(session);
  }
  for (int p = 0; results && p < PAGE_NUMBER; p++)
    json_decref(results[p]);
  weft_free(results);
  weft_free(pages);
  weft_free(ids);
  return rc ? weft_fail(rc, "crawl") : NULL;
}

int main(int argc, char **argv) {
  const char *b = getenv("WEFT_HTTPBIN");
  double start = weft_time();
  int rc;

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://httpbin.org");
  if (argc > 1 && atoi(argv[1]) > 0)
    PAGE_NUMBER = atoi(argv[1]);
  if ((rc = weft_run(amain, NULL, NULL)) != 0)
    printf("error: %s\n", weft_http_strerror(rc));
  else
    printf("crawled in %.2f s\n", weft_time() - start);
  return rc ? 1 : 0;
}
