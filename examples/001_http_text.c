/*
 * Port of seed 001's "响应的内容": text() decodes the body with the charset
 * of Content-Type; text(encoding='gb2312') or text(encoding='windows-1251')
 * names it when the server does not; read() gives the bytes as they came.
 * A page without a charset that is not UTF-8 cannot be decoded as UTF-8.
 *
 * The pages are /encoding/gb2312 and /encoding/windows-1251 of the local
 * httpbin (?nocharset=1 leaves the charset out of Content-Type). The base
 * URL comes from WEFT_HTTPBIN (default https://httpbin.org).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

static char base[256];
static weft_http_session *session;

/* The <title> of a page, or its first line (at most 60 bytes). */
static void print_title(const char *how, const char *text) {
  const char *t = strstr(text, "<title>");
  size_t n = strcspn(text, "\n");

  if (t)
    printf("%s: %.*s\n", how, (int)strcspn(t + 7, "<"), t + 7);
  else
    printf("%s: %.*s\n", how, n < 60 ? (int)n : 60, text);
}

/* await resp.text(encoding=...) */
static int text(const char *path, const char *encoding) {
  weft_http_response *r;
  const char *t, *cs;
  char u[512], how[160];
  const void *bytes;
  size_t len, nbytes;
  int rc;

  snprintf(u, sizeof u, "%s%s", base, path);
  if ((rc = weft_http_get(session, u, NULL, &r)) != 0)
    return rc;
  cs = weft_http_response_charset(r);
  printf("GET %s (charset in Content-Type: %s)\n", path, cs ? cs : "none");
  snprintf(how, sizeof how, encoding ? "  text(encoding='%s')" : "  text()", encoding);
  if ((rc = weft_http_response_read(r, 0, &bytes, &nbytes)) == 0) {
    rc = weft_http_response_text(r, encoding, 0, &t, &len);
    if (rc == 0) {
      print_title(how, t);
      printf("  read(): %zu bytes, text: %zu bytes of UTF-8\n", nbytes, len);
    } else {
      printf("%s: %s: %s\n", how, weft_err_name(rc), weft_http_last_error());
      rc = rc == WEFT_HTTP_EDECODE ? 0 : rc;
    }
  }
  weft_http_response_free(r);
  return rc;
}

static void *amain(void *arg) {
  static const char *const pages[][2] = {
      {"/encoding/gb2312", NULL},
      {"/encoding/gb2312?nocharset=1", NULL},
      {"/encoding/gb2312?nocharset=1", "gb2312"},
      {"/encoding/windows-1251?nocharset=1", "windows-1251"},
  };
  int rc;

  (void)arg;
  if ((rc = weft_http_session_new(&session, NULL)) != 0)
    return weft_fail(rc, "session");
  for (size_t i = 0; i < sizeof pages / sizeof pages[0] && rc == 0; i++)
    rc = text(pages[i][0], pages[i][1]);
  if (rc)
    printf("error: %s: %s\n", weft_err_name(rc), weft_http_last_error());
  weft_http_session_close(session);
  weft_http_session_free(session);
  return rc ? weft_fail(rc, "text") : NULL;
}

int main(void) {
  const char *b = getenv("WEFT_HTTPBIN");

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://httpbin.org");
  return weft_run(amain, NULL, NULL) ? 1 : 0;
}
