/*
 * Port of the seeds' proxy use (000 "使用代理", 001 "设置代理"):
 * session.get(url, proxy=...), then with proxy_auth=BasicAuth('user',
 * 'pass'), then with the credentials in the proxy URL
 * ("http://user:pass@some.proxy.com"). Without credentials a proxy that
 * wants them answers 407.
 *
 *   usage: 001_http_proxy [PROXY_URL [USER:PASS]]
 *
 * The proxy also comes from WEFT_HTTP_PROXY and its credentials from
 * WEFT_HTTP_PROXY_AUTH; the base URL from WEFT_HTTPBIN (default
 * https://httpbin.org).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <weft.h>

static char base[256];
static const char *proxy, *auth;

/* Print the status and the Via header the proxy added. */
static int get(weft_http_session *s, const char *title, const weft_http_request_opts *o) {
  weft_http_response *r;
  char u[512];
  json_t *j = NULL;
  int rc;

  snprintf(u, sizeof u, "%s/get", base);
  if ((rc = weft_http_get(s, u, o, &r)) != 0) {
    printf("%-26s %s: %s\n", title, weft_err_name(rc), weft_http_last_error());
    return rc == WEFT_HTTP_EPROXY ? 0 : rc;
  }
  printf("%-26s %d %s", title, weft_http_response_status(r), weft_http_response_reason(r));
  if (weft_http_response_status(r) == 200 && weft_http_response_json(r, NULL, &j) == 0) {
    const char *via = json_string_value(json_object_get(json_object_get(j, "headers"), "Via"));
    printf(", Via: %s", via ? via : "(none)");
    json_decref(j);
  }
  printf("\n");
  weft_http_response_free(r);
  return 0;
}

static void *amain(void *arg) {
  weft_http_request_opts plain = {.proxy = proxy};
  weft_http_request_opts basic = {.proxy = proxy, .proxy_auth = auth};
  weft_http_request_opts in_url = {0};
  char with_creds[512];
  weft_http_session *s;
  const char *host = strstr(proxy, "://");
  int rc;

  (void)arg;
  host = host ? host + 3 : proxy;
  snprintf(with_creds, sizeof with_creds, "%.*s%s@%s", (int)(host - proxy), proxy, auth, host);
  in_url.proxy = with_creds;
  if ((rc = weft_http_session_new(&s, NULL)) != 0)
    return weft_fail(rc, "session");
  printf("GET %s/get through %s\n", base, proxy);
  if ((rc = get(s, "proxy=...:", &plain)) == 0 &&
      (rc = get(s, "proxy_auth=BasicAuth(...):", &basic)) == 0)
    rc = get(s, "proxy=http://user:pass@...:", &in_url);
  weft_http_session_close(s);
  weft_http_session_free(s);
  return rc ? weft_fail(rc, "proxy") : NULL;
}

int main(int argc, char **argv) {
  const char *b = getenv("WEFT_HTTPBIN");

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://httpbin.org");
  proxy = argc > 1 ? argv[1] : getenv("WEFT_HTTP_PROXY");
  auth = argc > 2 ? argv[2] : getenv("WEFT_HTTP_PROXY_AUTH");
  if (!proxy || !*proxy) {
    printf("usage: 001_http_proxy PROXY_URL [USER:PASS] (or set WEFT_HTTP_PROXY)\n");
    return 0;
  }
  if (!auth || !*auth)
    auth = "user:pass";
  return weft_run(amain, NULL, NULL) ? 1 : 0;
}
