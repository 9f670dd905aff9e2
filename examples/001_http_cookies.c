/*
 * Port of seed 001's "keep-alive, 连接池,共享cookie" and "cookie安全性": a
 * session shares its cookie jar between requests (/cookies/set, then
 * filter_cookies and /cookies); headers given to the session go with
 * every request (an Authorization header); the default jar is strict and
 * refuses cookies from hosts given as IP addresses, CookieJar(unsafe=True)
 * takes them.
 *
 * The base URL comes from WEFT_HTTPBIN (default https://httpbin.org). With
 * a server on 127.0.0.1 the strict jar keeps nothing; with a named host both
 * jars keep the cookie.
 */
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include <weft.h>

static char base[256];

/* GET base+path and print one member of the JSON body. */
static int show(weft_http_session *s, const char *path, const char *member) {
  weft_http_response *r;
  char u[512], *v;
  json_t *j;
  int rc;

  snprintf(u, sizeof u, "%s%s", base, path);
  if ((rc = weft_http_get(s, u, NULL, &r)) != 0)
    return rc;
  if ((rc = weft_http_response_json(r, NULL, &j)) == 0) {
    v = json_dumps(json_object_get(j, member), JSON_SORT_KEYS);
    printf("GET %s -> %s: %s\n", path, member, v ? v : "null");
    free(v);
    json_decref(j);
  }
  weft_http_response_free(r);
  return rc;
}

/* What the jar kept; a strict jar says why it kept nothing. */
static void print_jar(weft_cookie_jar *jar, int unsafe) {
  size_t n = weft_cookie_jar_count(jar);

  if (n == 0)
    printf("in the jar: nothing%s\n",
           unsafe ? "" : " (a strict jar refuses cookies from IP addresses)");
  for (size_t i = 0; i < n; i++) {
    const weft_cookie *c = weft_cookie_jar_at(jar, i);
    printf("in the jar: %s=%s (domain %s, path %s)\n", c->name, c->value, c->domain, c->path);
  }
}

/* session.get('/cookies/set?my_cookie=my_value'); filter_cookies(base); get('/cookies') */
static int shared_cookies(weft_cookie_jar *jar, int unsafe) {
  weft_http_session_opts o = {.cookie_jar = jar};
  weft_http_session *s;
  char *filtered = NULL;
  int rc;

  if ((rc = weft_http_session_new(&s, &o)) != 0)
    return rc;
  if ((rc = show(s, "/cookies/set?my_cookie=my_value", "cookies")) == 0 &&
      (rc = weft_cookie_jar_header(jar, base, &filtered)) == 0) {
    printf("filter_cookies('%s'): %s\n", base, *filtered ? filtered : "(none)");
    print_jar(jar, unsafe);
    rc = show(s, "/cookies", "cookies");
  }
  weft_free(filtered);
  weft_http_session_close(s);
  weft_http_session_free(s);
  return rc;
}

static int jars(void) {
  weft_cookie_jar *jar;
  int rc;

  for (int unsafe = 0; unsafe <= 1; unsafe++) {
    printf("--- aiohttp.CookieJar(unsafe=%s) ---\n", unsafe ? "True" : "False");
    if ((rc = weft_cookie_jar_new(&jar, unsafe)) != 0)
      return rc;
    rc = shared_cookies(jar, unsafe);
    weft_cookie_jar_free(jar);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* ClientSession(headers={"Authorization": "Basic bG9naW46cGFzcw=="}) */
static int session_headers(void) {
  static const char *const headers[] = {"Authorization: Basic bG9naW46cGFzcw==", NULL};
  weft_http_session_opts o = {.headers = headers};
  weft_http_session *s;
  int rc;

  printf("--- session-wide headers ---\n");
  if ((rc = weft_http_session_new(&s, &o)) != 0)
    return rc;
  for (int i = 0; i < 2 && rc == 0; i++)
    rc = show(s, i ? "/anything/second" : "/headers", "headers");
  weft_http_session_close(s);
  weft_http_session_free(s);
  return rc;
}

static void *amain(void *arg) {
  int rc;

  (void)arg;
  if ((rc = jars()) == 0)
    rc = session_headers();
  if (rc)
    printf("error: %s\n", weft_http_last_error());
  return rc ? weft_fail(rc, "cookies") : NULL;
}

int main(void) {
  const char *b = getenv("WEFT_HTTPBIN");

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://httpbin.org");
  return weft_run(amain, NULL, NULL) ? 1 : 0;
}
