/*
 * Port of seed 001's aiohttp reference, the request half: two jobs on one
 * session gathered with asyncio.wait; every method (get, post, put,
 * delete, head, options, patch); params as a dict, as pairs with a repeated
 * key, and as a raw string sent unencoded, each printing resp.url; text(),
 * read(), json() and content.read(10); resp.headers and resp.raw_headers.
 *
 * The base URL comes from WEFT_HTTPBIN (default https://httpbin.org).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <weft.h>

static char base[256];
static weft_http_session *session;

static char *url(char *buf, const char *path) {
  sprintf(buf, "%s%s", base, path);
  return buf;
}

/* async def job(session): response = await session.get(URL); return str(response.url) */
static void *job(void *arg) {
  weft_http_response *r;
  char u[512];
  int rc = weft_http_get(session, url(u, arg), NULL, &r);

  if (rc != 0)
    return weft_fail(rc, "%s", weft_http_last_error());
  char *res = weft_strdup(weft_http_response_url(r));
  weft_http_response_free(r);
  return res;
}

static int two_jobs(void) {
  weft_task *t[2] = {0};
  int done[2], rc = 0;
  void *res[2] = {0};
  size_t n;
  double t1 = weft_time();

  for (int i = 0; i < 2 && rc == 0; i++)
    rc = weft_spawn(&t[i], job, "/get", NULL);
  if (rc == 0)
    rc = weft_wait(t, 2, WEFT_ALL_COMPLETED, INFINITY, done, &n);
  for (int i = 0; i < 2 && rc == 0; i++)
    rc = weft_task_result(t[i], &res[i]);
  if (rc == 0)
    printf("['%s', '%s']\nAsync total time: %f\n", (char *)res[0], (char *)res[1],
           weft_time() - t1);
  for (int i = 0; i < 2; i++) {
    weft_free(res[i]);
    weft_task_release(t[i]);
  }
  return rc;
}

/* session.<method>(url, data=b'data'): print the status and what the server saw */
static int one_method(const char *method, const char *path, const char *data) {
  weft_http_request_opts o = {.data = data, .data_len = data ? 4 : 0};
  weft_http_response *r;
  const char *text;
  char u[512];
  int rc = weft_http_request(session, method, url(u, path), &o, &r);

  if (rc == 0 && (rc = weft_http_response_text(r, NULL, 0, &text, NULL)) == 0) {
    const char *allow = weft_http_response_header(r, "Allow");
    printf("%-7s %s -> %d %s, %zu bytes of body", method, path, weft_http_response_status(r),
           weft_http_response_reason(r), strlen(text));
    printf(allow ? ", Allow: %s\n" : "\n", allow);
  }
  weft_http_response_free(r);
  return rc;
}

static int every_method(void) {
  static const char *const m[][3] = {
      {"GET", "/get", NULL},       {"POST", "/post", "data"}, {"PUT", "/put", "data"},
      {"DELETE", "/delete", NULL}, {"HEAD", "/get", NULL},    {"OPTIONS", "/get", NULL},
      {"PATCH", "/patch", "data"},
  };
  int rc = 0;

  for (size_t i = 0; i < sizeof m / sizeof m[0] && rc == 0; i++)
    rc = one_method(m[i][0], m[i][1], m[i][2]);
  return rc;
}

/* params=dict, params=[pairs], params='key=value+1': print(r.url) */
static int params(void) {
  static const weft_http_pair dict[] = {{"key1", "value1"}, {"key2", "value2"}};
  static const weft_http_pair pairs[] = {{"key", "value1"}, {"key", "value2"}};
  weft_http_request_opts o[3] = {{.params = dict, .n_params = 2},
                                 {.params = pairs, .n_params = 2},
                                 {.params_raw = "key=value+1"}};
  weft_http_response *r;
  char u[512];
  int rc = 0;

  for (int i = 0; i < 3 && rc == 0; i++) {
    if ((rc = weft_http_get(session, url(u, "/get"), &o[i], &r)) == 0)
      printf("%s\n", weft_http_response_url(r));
    weft_http_response_free(r);
  }
  return rc;
}

/* print(await resp.json()): the "args" the server saw */
static int json_body(void) {
  weft_http_request_opts o = {.params_raw = "key=value+1"};
  weft_http_response *r;
  json_t *j = NULL;
  char u[512];
  int rc = weft_http_get(session, url(u, "/get"), &o, &r);

  if (rc == 0 && (rc = weft_http_response_json(r, NULL, &j)) == 0) {
    char *args = json_dumps(json_object_get(j, "args"), JSON_SORT_KEYS);
    printf("json()['args']: %s\n", args ? args : "?");
    free(args);
    json_decref(j);
  }
  weft_http_response_free(r);
  return rc;
}

/* await resp.content.read(10): the first 10 bytes only */
static int first_bytes(void) {
  weft_http_response *r;
  char u[512], buf[11];
  size_t got = 0, n;
  int rc = weft_http_get(session, url(u, "/get"), NULL, &r);

  while (rc == 0 && got < 10 &&
         (rc = weft_http_response_read_some(r, buf + got, 10 - got, &n)) == 0 && n)
    got += n;
  if (rc == 0) {
    buf[got] = '\0';
    printf("content.read(10): %s\n", buf);
  }
  weft_http_response_free(r); /* the rest is not read: the connection is closed */
  return rc;
}

/* resp.headers (a case-insensitive multi-map) and resp.raw_headers */
static int headers(void) {
  weft_http_response *r;
  const char *name, *value, *raw;
  char u[512];
  size_t len;
  int rc = weft_http_get(session, url(u, "/response-headers?X-Seed=001&X-Seed=aiohttp"), NULL, &r);

  if (rc != 0)
    return rc;
  const weft_http_headers *h = weft_http_response_headers(r);
  for (size_t i = 0; weft_http_headers_at(h, i, &name, &value) == 0; i++)
    printf("  %s: %s\n", name, value);
  printf("headers['content-type']: %s\n", weft_http_response_header(r, "content-type"));
  const char *seeds[4];
  size_t n = weft_http_headers_get_all(h, "x-seed", seeds, 4);
  printf("getall('X-Seed'): %zu values, %s and %s\n", n, n > 0 ? seeds[0] : "-",
         n > 1 ? seeds[1] : "-");
  raw = weft_http_response_raw_headers(r, &len);
  printf("raw_headers: %zu bytes, first line: %.*s\n", len, (int)strcspn(raw, "\r\n"), raw);
  weft_http_response_free(r);
  return 0;
}

static void *amain(void *arg) {
  int (*const steps[])(void) = {two_jobs, every_method, params, json_body, first_bytes, headers};
  static const char *const titles[] = {"two jobs, one session", "every method", "params", "json()",
                                       "content.read(10)",      "headers"};
  int rc;

  (void)arg;
  if ((rc = weft_http_session_new(&session, NULL)) != 0)
    return weft_fail(rc, "session");
  for (size_t i = 0; i < 6 && rc == 0; i++) {
    printf("--- %s ---\n", titles[i]);
    rc = steps[i]();
  }
  if (rc)
    printf("error: %s\n", weft_http_last_error());
  weft_http_session_close(session);
  weft_http_session_free(session);
  return rc ? weft_fail(rc, "request") : NULL;
}

int main(void) {
  const char *b = getenv("WEFT_HTTPBIN");

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://httpbin.org");
  return weft_run(amain, NULL, NULL) ? 1 : 0;
}
