/*
 * Port of seed 000, "aiohttp与aiofiles": the client basics. fetch(session,
 * url) returns the text of /headers; a GET prints its status and text;
 * params given as pairs print the URL they make, duplicate keys kept;
 * text(encoding='utf-8') and read(); a browser User-Agent; cookies given to
 * the session come back from /cookies.
 *
 * The base URL comes from WEFT_HTTPBIN (default https://httpbin.org, as the
 * seed uses).
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

/* async def fetch(session, url): return await response.text() */
static int fetch(weft_http_session *s, const char *u) {
  weft_http_response *r;
  const char *text;
  int rc = weft_http_get(s, u, NULL, &r);

  if (rc == 0 && (rc = weft_http_response_text(r, NULL, 0, &text, NULL)) == 0)
    printf("%s\n", text);
  weft_http_response_free(r);
  return rc;
}

/* print(resp.status); print(await resp.text(encoding='utf-8')) */
static int get_status_text(weft_http_session *s) {
  weft_http_response *r;
  const char *text;
  int rc = weft_http_get(s, url("/get"), NULL, &r);

  if (rc == 0 && (rc = weft_http_response_text(r, "utf-8", 0, &text, NULL)) == 0)
    printf("%d\n%s\n", weft_http_response_status(r), text);
  weft_http_response_free(r);
  return rc;
}

/* session.get(url, params=params): print(resp.url) */
static int get_params(weft_http_session *s, const weft_http_pair *params, size_t n) {
  weft_http_request_opts o = {.params = params, .n_params = n};
  weft_http_response *r;
  int rc = weft_http_get(s, url("/get"), &o, &r);

  if (rc == 0)
    printf("%s\n", weft_http_response_url(r));
  weft_http_response_free(r);
  return rc;
}

/* await resp.read(): the bytes, not decoded */
static int get_bytes(weft_http_session *s) {
  weft_http_response *r;
  const void *data;
  size_t len;
  int rc = weft_http_get(s, url("/bytes/16"), NULL, &r);

  if (rc == 0 && (rc = weft_http_response_read(r, 0, &data, &len)) == 0)
    printf("read() gave %zu bytes of %s\n", len, weft_http_response_content_type(r));
  weft_http_response_free(r);
  return rc;
}

/* session.post(url, headers=headers) with a browser's User-Agent */
static int post_headers(weft_http_session *s) {
  static const char *const headers[] = {
      "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
      "like Gecko) Chrome/78.0.3904.108 Safari/537.36",
      NULL};
  weft_http_request_opts o = {.headers = headers, .data = "", .data_len = 0};
  weft_http_response *r;
  json_t *body;
  int rc = weft_http_post(s, url("/post"), &o, &r);

  if (rc == 0 && (rc = weft_http_response_json(r, NULL, &body)) == 0) {
    json_t *h = json_object_get(body, "headers");
    printf("User-Agent sent: %s\n", json_string_value(json_object_get(h, "User-Agent")));
    json_decref(body);
  }
  weft_http_response_free(r);
  return rc;
}

/* ClientSession(cookies={'cookies_are': 'working'}) */
static int cookies(void) {
  static const char *const cookies[] = {"cookies_are=working", NULL};
  weft_http_session_opts so = {.cookies = cookies};
  weft_http_session *s;
  weft_http_response *r;
  const char *text;
  int rc = weft_http_session_new(&s, &so);

  if (rc != 0)
    return rc;
  rc = weft_http_get(s, url("/cookies"), NULL, &r);
  if (rc == 0 && (rc = weft_http_response_text(r, NULL, 0, &text, NULL)) == 0)
    printf("%s\n", text);
  weft_http_response_free(r);
  weft_http_session_close(s);
  weft_http_session_free(s);
  return rc;
}

static void *amain(void *arg) {
  static const weft_http_pair dict[] = {{"key1", "value1"}, {"key2", "value2"}};
  static const weft_http_pair pairs[] = {{"key", "value1"}, {"key", "value2"}};
  weft_http_session *s;
  int rc;

  (void)arg;
  if ((rc = weft_http_session_new(&s, NULL)) != 0)
    return weft_fail(rc, "session");
  printf("--- fetch(session, '%s') ---\n", url("/headers"));
  if ((rc = fetch(s, url("/headers"))) != 0)
    goto done;
  printf("--- status and text ---\n");
  if ((rc = get_status_text(s)) != 0)
    goto done;
  printf("--- params ---\n");
  if ((rc = get_params(s, dict, 2)) != 0 || (rc = get_params(s, pairs, 2)) != 0)
    goto done;
  printf("--- read() ---\n");
  if ((rc = get_bytes(s)) != 0)
    goto done;
  printf("--- custom headers ---\n");
  if ((rc = post_headers(s)) != 0)
    goto done;
  printf("--- cookies ---\n");
  rc = cookies();
done:
  if (rc)
    printf("error: %s\n", weft_http_last_error());
  weft_http_session_close(s);
  weft_http_session_free(s);
  return rc ? weft_fail(rc, "request") : NULL;
}

int main(void) {
  const char *b = getenv("WEFT_HTTPBIN");

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://httpbin.org");
  return weft_run(amain, NULL, NULL) ? 1 : 0;
}
