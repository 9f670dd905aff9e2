/*
 * Port of seed 002's aiohttp crawler: fetch_content(url) opens a session
 * with a browser User-Agent and TCPConnector(ssl=False) and returns the
 * page; main() reads the list of coming films from the index page, fetches
 * every film's page at once with asyncio.gather, and prints name, date and
 * poster for each, in the order of the list.
 *
 * The cinema site is played by httpbin's /anything routes, which echo their
 * query back as JSON: the index is /anything/cinema/later/beijing with one
 * `item=name|date|id` per film, a film's page is /anything/subject/<id>
 * with its poster in `img`. The parsing (BeautifulSoup in the seed) reads
 * that JSON. The base URL comes from WEFT_HTTPBIN (default
 * https://httpbin.org).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <weft.h>

#define NMOVIES 8

static char base[256];

/* What the site lists. */
static const char *const films[NMOVIES][3] = {
    {"金禅降魔", "05月08日", "p2564190636"},   {"82号古宅", "05月15日", "p2586838530"},
    {"亲亲哒", "05月28日", "p2579189776"},     {"奇妙王国之魔法奇缘", "06月01日", "p2577837112"},
    {"六月的秘密", "06月21日", "p2522497098"}, {"秘密访客", "06月25日", "p2579398648"},
    {"无名狂", "06月25日", "p2574800433"},     {"我想静静", "08月07日", "p2595969179"},
};

/* A page to fetch: its URL and query. */
typedef struct page {
  char url[512];
  const weft_http_pair *params;
  size_t n_params;
} page;

/* async def fetch_content(url): a session with headers=header, ssl=False */
static void *fetch_content(void *arg) {
  static const char *const header[] = {
      "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
      "Gecko) Chrome/81.0.4044.129 Safari/537.36",
      NULL};
  weft_http_session_opts o = {.headers = header, .insecure = 1};
  const page *p = arg;
  weft_http_request_opts ro = {.params = p->params, .n_params = p->n_params};
  weft_http_session *s;
  weft_http_response *r = NULL;
  json_t *json = NULL;
  int rc;

  if ((rc = weft_http_session_new(&s, &o)) == 0 && (rc = weft_http_get(s, p->url, &ro, &r)) == 0)
    rc = weft_http_response_json(r, NULL, &json);
  weft_http_response_free(r);
  weft_http_session_free(s);
  return rc ? weft_fail(rc, "%s", weft_http_last_error()) : json;
}

/* The index: one "name|date|id" item per film (the stand-in echoes them). */
static json_t *fetch_index(void) {
  weft_http_pair items[NMOVIES];
  char item[NMOVIES][128];
  page p = {.params = items, .n_params = NMOVIES};

  for (int i = 0; i < NMOVIES; i++) {
    snprintf(item[i], sizeof item[i], "%s|%s|%d", films[i][0], films[i][1], 26000 + i);
    items[i] = (weft_http_pair){"item", item[i]};
  }
  snprintf(p.url, sizeof p.url, "%s/anything/cinema/later/beijing", base);
  return fetch_content(&p);
}

/* init_soup.find(...): the items of the index page, in order */
static size_t parse_index(json_t *index, const char **names, const char **dates, page *pages) {
  json_t *items = json_object_get(json_object_get(index, "args"), "item");
  size_t n = json_is_array(items) ? json_array_size(items) : 0;

  for (size_t i = 0; i < n && i < NMOVIES; i++) {
    static char fields[NMOVIES][128];
    snprintf(fields[i], sizeof fields[i], "%s", json_string_value(json_array_get(items, i)));
    char *date = strchr(fields[i], '|'), *id = date ? strchr(date + 1, '|') : NULL;
    if (!id || atoi(id + 1) < 26000 || atoi(id + 1) >= 26000 + NMOVIES)
      return i;
    *date++ = '\0';
    *id++ = '\0';
    names[i] = fields[i];
    dates[i] = date;
    snprintf(pages[i].url, sizeof pages[i].url, "%s/anything/subject/%s?img=%s", base, id,
             films[atoi(id) - 26000][2]);
    pages[i].params = NULL;
    pages[i].n_params = 0;
  }
  return n < NMOVIES ? n : NMOVIES;
}

static void *amain(void *arg) {
  const char *names[NMOVIES], *dates[NMOVIES];
  page pages[NMOVIES];
  weft_task *tasks[NMOVIES] = {0};
  void *results[NMOVIES] = {0};
  json_t *index;
  size_t n;
  int rc = 0;

  (void)arg;
  if (!(index = fetch_index()))
    return weft_fail(-EIO, "the index page: %s", weft_http_last_error());
  n = parse_index(index, names, dates, pages);
  for (size_t i = 0; i < n && rc == 0; i++) /* tasks = [fetch_content(url) for url in urls] */
    rc = weft_spawn(&tasks[i], fetch_content, &pages[i], NULL);
  if (rc == 0)
    rc = weft_gather(tasks, n, 0, results, NULL); /* pages = await asyncio.gather(*tasks) */
  for (size_t i = 0; i < n && rc == 0; i++) {
    json_t *img = json_object_get(json_object_get(results[i], "args"), "img");
    printf("%s %s https://img9.doubanio.com/view/photo/s_ratio_poster/public/%s.jpg\n", names[i],
           dates[i], json_string_value(img));
  }
  for (size_t i = 0; i < n; i++) {
    json_decref(results[i]);
    weft_task_release(tasks[i]);
  }
  json_decref(index);
  if (rc)
    printf("error: %s\n", weft_http_strerror(rc));
  return rc ? weft_fail(rc, "crawl") : NULL;
}

int main(void) {
  const char *b = getenv("WEFT_HTTPBIN");
  double start = weft_time();
  int rc;

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://httpbin.org");
  rc = weft_run(amain, NULL, NULL);
  printf("Wall time: %.2f s\n", weft_time() - start);
  return rc ? 1 : 0;
}
