/*
 * Port of seed 003's "aiohttp的使用": fetch() returns the JSON and status of
 * a page; GET with params; POST a form and JSON; a response's status,
 * headers, text(), read() and json(); ClientTimeout(total=2) on the
 * session: /get answers in time, /delay/5 fails with a timeout after 2 s.
 * (The seed's first fetch is /delay/5; here it is /delay/1.)
 *
 * The base URL comes from WEFT_HTTPBIN (default https://www.httpbin.org).
 */
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include <weft.h>

static char base[256];

static const char *url(const char *path) {
  static char buf[512];

  snprintf(buf, sizeof buf, "%s%s", base, path);
  return buf;
}

/* async def fetch(session, url): return await response.json(), response.status */
static int fetch(weft_http_session *s) {
  weft_http_response *r;
  json_t *html;
  char *dump;
  int rc;

  if ((rc = weft_http_get(s, url("/delay/1"), NULL, &r)) != 0)
    return rc;
  if ((rc = weft_http_response_json(r, NULL, &html)) == 0) {
    dump = json_dumps(html, JSON_COMPACT);
    printf("html: %s\nstatus: %d\n", dump ? dump : "?", weft_http_response_status(r));
    free(dump);
    json_decref(html);
  }
  weft_http_response_free(r);
  return rc;
}

/* print(await response.text()) for a GET with params, a form and JSON */
static int print_text(weft_http_session *s, const char *method, const char *path,
                      const weft_http_request_opts *o) {
  weft_http_response *r;
  const char *text;
  int rc;

  printf("--- %s %s ---\n", method, path);
  if ((rc = weft_http_request(s, method, url(path), o, &r)) == 0 &&
      (rc = weft_http_response_text(r, NULL, 0, &text, NULL)) == 0)
    printf("%s", text);
  weft_http_response_free(r);
  return rc;
}

/* status, headers, text(), read(), json() of one response */
static int response(weft_http_session *s, const weft_http_request_opts *o) {
  weft_http_response *r;
  const char *name, *value, *text;
  const void *bytes;
  size_t len;
  json_t *j;
  int rc;

  printf("--- the response ---\n");
  if ((rc = weft_http_post(s, url("/post"), o, &r)) != 0)
    return rc;
  printf("status: %d\nheaders: <CIMultiDictProxy(", weft_http_response_status(r));
  for (size_t i = 0; weft_http_headers_at(weft_http_response_headers(r), i, &name, &value) == 0;
       i++)
    printf("%s'%s': '%s'", i ? ", " : "", name, value);
  printf(")>\n");
  if ((rc = weft_http_response_text(r, NULL, 0, &text, NULL)) == 0 &&
      (rc = weft_http_response_read(r, 0, &bytes, &len)) == 0 &&
      (rc = weft_http_response_json(r, NULL, &j)) == 0) {
    char *dump = json_dumps(json_object_get(j, "form"), JSON_COMPACT);
    printf("body: %s", text);
    printf("bytes: %zu bytes\njson: form=%s\n", len, dump ? dump : "?");
    free(dump);
    json_decref(j);
  }
  weft_http_response_free(r);
  return rc;
}

/* aiohttp.ClientTimeout(total=2) */
static int timeout(void) {
  weft_http_session_opts o = {.timeout = {.total = 2}};
  weft_http_session *s;
  weft_http_response *r;
  const char *paths[] = {"/get", "/delay/5"};
  int rc;

  printf("--- ClientTimeout(total=2) ---\n");
  if ((rc = weft_http_session_new(&s, &o)) != 0)
    return rc;
  for (int i = 0; i < 2; i++) {
    double start = weft_time();
    if ((rc = weft_http_get(s, url(paths[i]), NULL, &r)) == 0)
      printf("GET %s status: %d\n", paths[i], weft_http_response_status(r));
    else
      printf("GET %s failed after %.2f s: %s (%s)\n", paths[i], weft_time() - start,
             weft_err_name(rc), weft_http_strerror(rc));
    weft_http_response_free(r);
  }
  weft_http_session_close(s);
  weft_http_session_free(s);
  return rc == -ETIMEDOUT ? 0 : rc ? rc : -EPROTO;
}

static void *amain(void *arg) {
  weft_http_pair params[] = {{"name", "abc"}, {"age", "10"}};
  weft_http_request_opts get = {.params = params, .n_params = 2};
  weft_http_request_opts form = {.form = params, .n_form = 2};
  weft_http_request_opts json = {.json_value = json_pack("{s:s, s:i}", "name", "abc", "age", 10)};
  weft_http_session *s;
  int rc;

  (void)arg;
  if ((rc = weft_http_session_new(&s, NULL)) != 0)
    return weft_fail(rc, "session");
  if ((rc = fetch(s)) == 0 && (rc = print_text(s, "GET", "/get", &get)) == 0 &&
      (rc = print_text(s, "POST", "/post", &form)) == 0 &&
      (rc = print_text(s, "POST", "/post", &json)) == 0 && (rc = response(s, &form)) == 0)
    rc = timeout();
  if (rc)
    printf("error: %s: %s\n", weft_err_name(rc), weft_http_last_error());
  json_decref((json_t *)json.json_value);
  weft_http_session_close(s);
  weft_http_session_free(s);
  return rc ? weft_fail(rc, "aiohttp") : NULL;
}

int main(void) {
  const char *b = getenv("WEFT_HTTPBIN");

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://www.httpbin.org");
  return weft_run(amain, NULL, NULL) ? 1 : 0;
}
