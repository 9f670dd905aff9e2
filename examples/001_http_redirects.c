/*
 * Port of seed 001's "重定向的响应头" and "禁止跳转": after a redirected
 * request resp.url is the final URL and resp.history holds the redirect
 * responses, with their headers; allow_redirects=False returns the 302
 * itself; more redirects than max_redirects fail. Each request here also
 * carries its own timeout (session.get(url, timeout=60)).
 *
 * The base URL comes from WEFT_HTTPBIN (default https://httpbin.org).
 */
#include <stdio.h>
#include <stdlib.h>
#include <weft.h>

static char base[256];
static weft_http_session *session;

/* print(resp); print(resp.history) */
static int history(const char *path, const weft_http_request_opts *o) {
  weft_http_response *r;
  const weft_http_headers *h;
  const char *u;
  char url[512];
  int rc, status;

  snprintf(url, sizeof url, "%s%s", base, path);
  printf(">>> resp = await session.get('%s')\n", url);
  if ((rc = weft_http_get(session, url, o, &r)) != 0) {
    printf("%s: %s\n", weft_err_name(rc), weft_http_last_error());
    return rc == WEFT_HTTP_EREDIRECTS ? 0 : rc;
  }
  printf("<ClientResponse(%s) [%d %s]>\n", weft_http_response_url(r), weft_http_response_status(r),
         weft_http_response_reason(r));
  printf("history: %zu\n", weft_http_response_history_count(r));
  for (size_t i = 0; weft_http_response_history(r, i, &status, &u, &h) == 0; i++)
    printf("  <ClientResponse(%s) [%d]> Location: %s\n", u, status,
           weft_http_headers_get(h, "Location"));
  if (weft_http_response_status(r) / 100 == 3)
    printf("Location: %s\n", weft_http_response_header(r, "Location"));
  weft_http_response_free(r);
  return 0;
}

static void *amain(void *arg) {
  weft_http_request_opts follow = {.timeout = {.total = 60}};
  weft_http_request_opts no_follow = {.no_redirects = 1, .timeout = {.total = 60}};
  weft_http_request_opts max2 = {.max_redirects = 2, .timeout = {.total = 60}};
  int rc;

  (void)arg;
  if ((rc = weft_http_session_new(&session, NULL)) != 0)
    return weft_fail(rc, "session");
  printf("--- follow redirects (the default) ---\n");
  if ((rc = history("/redirect/3", &follow)) == 0 &&
      (rc = history("/relative-redirect/1", &follow)) == 0)
    printf("--- allow_redirects=False ---\n");
  if (rc == 0 && (rc = history("/redirect/3", &no_follow)) == 0)
    printf("--- max_redirects=2 ---\n");
  if (rc == 0)
    rc = history("/redirect/5", &max2);
  weft_http_session_close(session);
  weft_http_session_free(session);
  return rc ? weft_fail(rc, "redirects") : NULL;
}

int main(void) {
  const char *b = getenv("WEFT_HTTPBIN");

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://httpbin.org");
  return weft_run(amain, NULL, NULL) ? 1 : 0;
}
