/*
 * The response header parser (src/http/headers.c, src/http/status.c) on
 * hostile input: every line is copied so that its last byte sits right
 * before a PROT_NONE page, so a read past the length it was given faults.
 * Header lines, obs-fold continuations, the multi-map's lookups, status
 * lines and Content-Type parameters.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "lib/test.h"
#include "http/request.h"

extern long weft_test_alloc_fail_at;
extern long weft_test_alloc_count;

/* A copy of some bytes that ends where an unreadable page begins. */
typedef struct guarded {
  char *map;
  size_t size;
  char *p;
} guarded;

static void guard(guarded *g, const void *data, size_t len) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);

  g->size = ((len + page - 1) / page + 1) * page;
  g->map = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT(g->map != MAP_FAILED);
  ASSERT_OK(mprotect(g->map + g->size - page, page, PROT_NONE));
  g->p = g->map + g->size - page - len;
  if (len)
    memcpy(g->p, data, len);
}

static void unguard(guarded *g) {
  ASSERT_OK(munmap(g->map, g->size));
  memset(g, 0, sizeof *g);
}

/* weft__http_headers_add_line on exactly len bytes of line. */
static int add_n(weft_http_headers *h, const char *line, size_t len) {
  guarded g;
  int rc;

  guard(&g, line, len);
  rc = weft__http_headers_add_line(h, g.p, len);
  unguard(&g);
  return rc;
}

static int add(weft_http_headers *h, const char *line) {
  return add_n(h, line, strlen(line));
}

static weft_http_headers *headers_new(void) {
  weft_http_headers *h = weft__http_headers_new();

  if (!h && weft_test_torture)
    weft_test_enomem_exit();
  ASSERT_NOT_NULL(h);
  return h;
}

/* The i-th header is name: value. */
static void entry_is(const weft_http_headers *h, size_t i, const char *name, const char *value) {
  const char *n, *v;

  ASSERT_OK(weft_http_headers_at(h, i, &n, &v));
  ASSERT_STR_EQ(n, name);
  ASSERT_STR_EQ(v, value);
}

/* line is refused as malformed, adds nothing, and says why. */
static void reject_n(weft_http_headers *h, const char *line, size_t len) {
  size_t before = weft_http_headers_count(h);

  ASSERT_EQ(WEFT_HTTP_EPROTO, add_n(h, line, len));
  ASSERT_EQ(before, weft_http_headers_count(h));
  ASSERT(weft_http_last_error()[0] != '\0');
}

/* The same for a string literal, NUL bytes inside it included. */
#define rejected(h, lit) reject_n(h, lit, sizeof(lit) - 1)

TEST_IMPL(http_headers_basic_lines) {
  weft_http_headers *h = headers_new();

  ASSERT_OK(add(h, "Content-Type: text/html\r\n"));
  ASSERT_OK(add(h, "X-Plain:value\n"));            /* no space, LF only */
  ASSERT_OK(add(h, "X-Trim: \t  padded \t \r\n")); /* OWS both sides */
  ASSERT_OK(add(h, "X-Empty:\r\n"));
  ASSERT_OK(add(h, "X-Blank:   \r\n"));
  ASSERT_OK(add(h, "X-Inner: a  b\tc\r\n")); /* inner blanks kept */
  ASSERT_OK(add(h, "X-Colons: a:b::c\r\n"));
  ASSERT_OK(add(h, "!#$%&'*+-.^_`|~09azAZ: tchars\r\n"));
  ASSERT_EQ(8, weft_http_headers_count(h));
  entry_is(h, 0, "Content-Type", "text/html");
  entry_is(h, 1, "X-Plain", "value");
  entry_is(h, 2, "X-Trim", "padded");
  entry_is(h, 3, "X-Empty", "");
  entry_is(h, 4, "X-Blank", "");
  entry_is(h, 5, "X-Inner", "a  b\tc");
  entry_is(h, 6, "X-Colons", "a:b::c");
  entry_is(h, 7, "!#$%&'*+-.^_`|~09azAZ", "tchars");
  ASSERT_EQ(-ERANGE, weft_http_headers_at(h, 8, NULL, NULL));
  weft__http_headers_free(h);
  return 0;
}

/* Lines without a terminator end at the length given, whatever follows. */
TEST_IMPL(http_headers_truncated_lines) {
  weft_http_headers *h = headers_new();

  ASSERT_OK(add(h, "X-A: no newline"));
  ASSERT_OK(add(h, "X-B: cr only\r"));
  ASSERT_OK(add(h, "X-C:"));
  ASSERT_OK(add(h, "X-D: a"));
  ASSERT_OK(add_n(h, "X-E: abcdef", 7)); /* "X-E: ab" */
  entry_is(h, 0, "X-A", "no newline");
  entry_is(h, 1, "X-B", "cr only");
  entry_is(h, 2, "X-C", "");
  entry_is(h, 3, "X-D", "a");
  entry_is(h, 4, "X-E", "ab");
  rejected(h, "X-F");
  rejected(h, "X");
  reject_n(h, "X-G: v", 3); /* cut before the colon */
  ASSERT_EQ(5, weft_http_headers_count(h));
  weft__http_headers_free(h);
  return 0;
}

/* The status line and the blank line are not headers. */
TEST_IMPL(http_headers_not_headers) {
  weft_http_headers *h = headers_new();

  ASSERT_EQ(1, add(h, "HTTP/1.1 200 OK\r\n"));
  ASSERT_EQ(1, add(h, "HTTP/2 204\r\n"));
  ASSERT_EQ(1, add(h, "HTTP/"));
  ASSERT_EQ(1, add(h, "\r\n"));
  ASSERT_EQ(1, add(h, "\n"));
  ASSERT_EQ(1, add(h, "\r"));
  ASSERT_EQ(1, add(h, "\r\r\n"));
  ASSERT_EQ(1, add_n(h, "", 0));
  ASSERT_EQ(0, weft_http_headers_count(h));
  rejected(h, "HTTP"); /* no slash: a name without a colon */
  weft__http_headers_free(h);
  return 0;
}

TEST_IMPL(http_headers_malformed_names) {
  weft_http_headers *h = headers_new();

  rejected(h, "no colon here\r\n");
  ASSERT(strstr(weft_http_last_error(), "no colon here") != NULL);
  rejected(h, ": empty name\r\n");
  rejected(h, ":\r\n");
  rejected(h, "Name : space before colon\r\n");
  rejected(h, "Name\t: tab before colon\r\n");
  rejected(h, "Na me: space inside\r\n");
  rejected(h, "Na\"me: quote\r\n");
  rejected(h, "Na(me): paren\r\n");
  rejected(h, "Na/me: slash\r\n");
  rejected(h, "N\xc3\xa4me: utf-8 name\r\n");
  rejected(h, "\xff: byte ff\r\n");
  rejected(h, "N\x01: control\r\n");
  rejected(h, "N\x7f: del\r\n");
  ASSERT_EQ(0, weft_http_headers_count(h));
  /* The message quotes at most 64 bytes of a long line. */
  {
    char line[300];

    memset(line, 'n', sizeof line);
    reject_n(h, line, sizeof line);
    ASSERT_LT(strlen(weft_http_last_error()), 200);
  }
  weft__http_headers_free(h);
  return 0;
}

/* NUL bytes and a CR or LF inside the line make it malformed. */
TEST_IMPL(http_headers_nul_cr_lf) {
  weft_http_headers *h = headers_new();

  rejected(h, "X-A: a\0b\r\n");
  rejected(h, "X-\0A: v\r\n");
  rejected(h, "\0");
  rejected(h, "X-A: v\0"); /* NUL as the last byte */
  rejected(h, "X-A: a\rb\r\n");
  rejected(h, "X-A: a\r b\r\n");
  rejected(h, "X-A: a\nb\r\n");
  rejected(h, "X-A\r: v\r\n");
  rejected(h, "\rX-A: v\r\n");
  ASSERT_EQ(0, weft_http_headers_count(h));
  /* Trailing CR and LF in any mix end the line. */
  ASSERT_OK(add(h, "X-B: v\n\r\n\r"));
  entry_is(h, 0, "X-B", "v");
  weft__http_headers_free(h);
  return 0;
}

/* Values are bytes: obs-text (non-ASCII) passes through unchanged. */
TEST_IMPL(http_headers_non_ascii_values) {
  weft_http_headers *h = headers_new();

  ASSERT_OK(add(h, "X-Utf8: caf\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd\r\n"));
  ASSERT_OK(add(h, "X-Latin1: caf\xe9\r\n"));
  ASSERT_OK(add(h, "X-Bytes: \x80\xff\xfe\r\n"));
  ASSERT_OK(add(h, "X-Edge: \xa0v\xa0\r\n")); /* 0xa0 is not OWS */
  entry_is(h, 0, "X-Utf8", "caf\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd");
  entry_is(h, 1, "X-Latin1", "caf\xe9");
  entry_is(h, 2, "X-Bytes", "\x80\xff\xfe");
  entry_is(h, 3, "X-Edge", "\xa0v\xa0");
  ASSERT_STR_EQ("caf\xe9", weft_http_headers_get(h, "x-latin1"));
  weft__http_headers_free(h);
  return 0;
}

/* obs-fold: a line starting with SP or HTAB continues the last value,
 * joined with one space. */
TEST_IMPL(http_headers_obs_fold) {
  weft_http_headers *h = headers_new();

  rejected(h, " before any header\r\n");
  ASSERT(strstr(weft_http_last_error(), "continuation") != NULL);
  ASSERT_OK(add(h, "X-Long: first\r\n"));
  ASSERT_OK(add(h, "   second  \r\n"));
  ASSERT_OK(add(h, "\tthird"));
  ASSERT_OK(add(h, "X-Next: n\r\n"));
  ASSERT_OK(add(h, "X-Empty:\r\n"));
  ASSERT_OK(add(h, " filled\r\n"));
  ASSERT_OK(add(h, "X-Kept: k\r\n"));
  ASSERT_OK(add(h, " \t \r\n")); /* a blank continuation adds nothing */
  ASSERT_OK(add(h, " "));
  ASSERT_EQ(4, weft_http_headers_count(h));
  entry_is(h, 0, "X-Long", "first second third");
  entry_is(h, 1, "X-Next", "n");
  entry_is(h, 2, "X-Empty", "filled");
  entry_is(h, 3, "X-Kept", "k");
  /* A continuation is checked like any line. */
  rejected(h, " a\0b");
  rejected(h, " a\rb\r\n");
  entry_is(h, 3, "X-Kept", "k");
  weft__http_headers_free(h);
  return 0;
}

/* Long values and long folded values are kept whole. */
TEST_IMPL(http_headers_64k_values) {
  size_t big = 64 * 1024;
  char *line = malloc(big + 16);
  weft_http_headers *h = headers_new();
  const char *v;

  ASSERT_NOT_NULL(line);
  memcpy(line, "X-Big: ", 7);
  for (size_t i = 0; i < big; i++)
    line[7 + i] = (char)('a' + i % 26);
  ASSERT_OK(add_n(h, line, 7 + big)); /* no CRLF: the value ends at the guard */
  v = weft_http_headers_get(h, "x-big");
  ASSERT_NOT_NULL(v);
  ASSERT_EQ(big, strlen(v));
  ASSERT_OK(memcmp(v, line + 7, big));
  /* The same bytes again as a continuation: 128 KiB + the joining space. */
  line[6] = '\t';
  ASSERT_OK(add_n(h, line + 6, 1 + big));
  v = weft_http_headers_get(h, "X-BIG");
  ASSERT_EQ(2 * big + 1, strlen(v));
  ASSERT_EQ(' ', v[big]);
  ASSERT_OK(memcmp(v + big + 1, line + 7, big));
  /* A 64 KiB name is a name. */
  memset(line, 'N', big);
  memcpy(line + big, ": v\r\n", 5);
  ASSERT_OK(add_n(h, line, big + 5));
  ASSERT_EQ(2, weft_http_headers_count(h));
  ASSERT_OK(weft_http_headers_at(h, 1, &v, NULL));
  ASSERT_EQ(big, strlen(v));
  free(line);
  weft__http_headers_free(h);
  return 0;
}

/* Thousands of headers: order kept, lookups by any case, get_all. */
TEST_IMPL(http_headers_thousands) {
  enum { N = 5000 };
  weft_http_headers *h = headers_new();
  const char *vals[8];
  char line[64], want[32];

  for (int i = 0; i < N; i++) {
    snprintf(line, sizeof line, "%s: %d\r\n", i % 2 ? "x-dup" : "X-Hdr", i);
    ASSERT_OK(add(h, line));
  }
  ASSERT_EQ(N, weft_http_headers_count(h));
  for (int i = 0; i < N; i += 499) {
    const char *name, *value;

    snprintf(want, sizeof want, "%d", i);
    ASSERT_OK(weft_http_headers_at(h, (size_t)i, &name, &value));
    ASSERT_STR_EQ(name, i % 2 ? "x-dup" : "X-Hdr");
    ASSERT_STR_EQ(value, want);
  }
  ASSERT_STR_EQ("0", weft_http_headers_get(h, "x-hdr"));
  ASSERT_STR_EQ("1", weft_http_headers_get(h, "X-DUP"));
  ASSERT_EQ(N / 2, weft_http_headers_get_all(h, "X-Dup", vals, 8));
  for (int i = 0; i < 8; i++) {
    snprintf(want, sizeof want, "%d", 2 * i + 1);
    ASSERT_STR_EQ(vals[i], want);
  }
  ASSERT_EQ(N / 2, weft_http_headers_get_all(h, "x-hdr", NULL, 0));
  ASSERT_EQ(0, weft_http_headers_get_all(h, "x-none", vals, 8));
  ASSERT_NULL(weft_http_headers_get(h, "x-none"));
  ASSERT_NULL(weft_http_headers_get(h, "x-hd")); /* no prefix matches */
  ASSERT_NULL(weft_http_headers_get(h, "x-hdrs"));
  ASSERT_NULL(weft_http_headers_get(h, NULL));
  weft__http_headers_free(h);
  return 0;
}

/* The multi-map's accessors on NULL and on an empty map. */
TEST_IMPL(http_headers_empty_map) {
  weft_http_headers *h = headers_new();
  const char *v = "unchanged";

  ASSERT_EQ(0, weft_http_headers_count(NULL));
  ASSERT_EQ(0, weft_http_headers_count(h));
  ASSERT_EQ(-ERANGE, weft_http_headers_at(NULL, 0, NULL, NULL));
  ASSERT_EQ(-ERANGE, weft_http_headers_at(h, 0, &v, &v));
  ASSERT_STR_EQ("unchanged", v);
  ASSERT_NULL(weft_http_headers_get(NULL, "a"));
  ASSERT_NULL(weft_http_headers_get(h, "a"));
  ASSERT_EQ(0, weft_http_headers_get_all(NULL, "a", NULL, 0));
  ASSERT_EQ(-EINVAL, weft__http_headers_add(h, NULL, "v"));
  ASSERT_EQ(-EINVAL, weft__http_headers_add(NULL, "n", "v"));
  ASSERT_OK(weft__http_headers_add(h, "Set-By", "hand"));
  entry_is(h, 0, "Set-By", "hand");
  weft__http_headers_free(h);
  weft__http_headers_free(NULL);
  return 0;
}

/* A failed allocation is -ENOMEM and leaves the map as it was. */
TEST_IMPL(http_headers_enomem) {
  weft_http_headers *h = headers_new();
  int rc = -ENOMEM;

  ASSERT_OK(add(h, "X-A: a\r\n"));
  for (long k = 1; rc == -ENOMEM; k++) {
    weft_test_alloc_fail_at = weft_test_alloc_count + k;
    rc = add(h, " folded\r\n");
    weft_test_alloc_fail_at = 0;
    if (rc == -ENOMEM)
      entry_is(h, 0, "X-A", "a");
  }
  ASSERT_OK(rc);
  entry_is(h, 0, "X-A", "a folded");
  for (int i = 0; i < 15; i++) /* 16 entries: the next one grows the array */
    ASSERT_OK(add(h, "X-Fill: f\r\n"));
  rc = -ENOMEM;
  for (long k = 1; rc == -ENOMEM; k++) {
    weft_test_alloc_fail_at = weft_test_alloc_count + k;
    rc = add(h, "X-Grow: g\r\n");
    weft_test_alloc_fail_at = 0;
    if (rc == -ENOMEM)
      ASSERT_EQ(16, weft_http_headers_count(h));
  }
  ASSERT_OK(rc);
  ASSERT_EQ(17, weft_http_headers_count(h));
  ASSERT_STR_EQ("g", weft_http_headers_get(h, "x-grow"));
  weft__http_headers_free(h);
  return 0;
}

/* ---- status lines ------------------------------------------------------ */

static int status_line(const char *line, int *version, int *status, char *reason, size_t cap) {
  guarded g;
  int rc;

  guard(&g, line, strlen(line));
  rc = weft__http_parse_status_line(g.p, strlen(line), version, status, reason, cap);
  unguard(&g);
  return rc;
}

static void status_is(const char *line, int version, int status, const char *reason) {
  char got[64] = "";
  int v = 0, s = 0;

  ASSERT_OK(status_line(line, &v, &s, got, sizeof got));
  ASSERT_EQ(version, v);
  ASSERT_EQ(status, s);
  ASSERT_STR_EQ(reason, got);
}

static void status_bad(const char *line) {
  char got[64];
  int v = -1, s = -1;

  int rc = status_line(line, &v, &s, got, sizeof got);

  if (rc != WEFT_HTTP_EPROTO)
    fprintf(stderr, "accepted: '%s'\n", line);
  ASSERT_EQ(WEFT_HTTP_EPROTO, rc);
  ASSERT_EQ(-1, v);
  ASSERT_EQ(-1, s);
  ASSERT(strstr(weft_http_last_error(), "status line") != NULL);
}

TEST_IMPL(http_headers_status_line) {
  char small[6];
  int s;

  status_is("HTTP/1.1 200 OK\r\n", 11, 200, "OK");
  status_is("HTTP/1.0 404 Not Found\r\n", 10, 404, "Not Found");
  status_is("HTTP/1.1 418 I'm a teapot", 11, 418, "I'm a teapot");
  status_is("HTTP/2 204\r\n", 20, 204, "No Content"); /* HTTP/2: the standard phrase */
  status_is("HTTP/2.0 503 \r\n", 20, 503, "Service Unavailable");
  status_is("HTTP/3 200", 30, 200, "OK");
  status_is("HTTP/1.1 299\r\n", 11, 299, ""); /* unknown code, no reason */
  status_is("HTTP/1.1 999 Custom Reason  \r\n", 11, 999, "Custom Reason");
  status_is("HTTP/1.1 200 \xc3\xa9t\xc3\xa9\r\n", 11, 200, "\xc3\xa9t\xc3\xa9");
  status_is("HTTP/1.1 100 Continue\r\n", 11, 100, "Continue");
  /* The reason is cut to the room given, and at a NUL byte. */
  ASSERT_OK(status_line("HTTP/1.1 200 Very Long Reason", NULL, &s, small, sizeof small));
  ASSERT_STR_EQ("Very ", small);
  ASSERT_EQ(200, s);
  {
    static const char nul[] = "HTTP/1.1 200 O\0K\r\n";
    char got[16];
    guarded g;

    guard(&g, nul, sizeof nul - 1);
    ASSERT_OK(weft__http_parse_status_line(g.p, sizeof nul - 1, NULL, NULL, got, sizeof got));
    unguard(&g);
    ASSERT_STR_EQ("O", got);
  }
  status_bad("");
  status_bad("HTTP/");
  status_bad("HTTP/1.1");
  status_bad("HTTP/1.1 ");
  status_bad("HTTP/1.1 20");
  status_bad("HTTP/1.1 2000 OK");
  status_bad("HTTP/1.1 099 Low");
  status_bad("HTTP/1.1 2x0 OK");
  status_bad("HTTP/1.1  200 OK");
  status_bad("HTTP/1.2 200 OK");
  status_bad("HTTP/4 200 OK");
  status_bad("HTTP/x.1 200 OK");
  status_bad("http/1.1 200 OK");
  status_bad("ICY 200 OK");
  status_bad("HTTP/1.1\t200 OK");
  ASSERT_STR_EQ("Not Found", weft__http_reason(404));
  ASSERT_STR_EQ("", weft__http_reason(299));
  ASSERT_STR_EQ("", weft__http_reason(-1));
  return 0;
}

/* ---- Content-Type ------------------------------------------------------ */

/* Parse value (NUL-terminated, the NUL right before the guard). */
static void ct_is(const char *value, const char *media, const char *charset) {
  char *m = NULL, *c = NULL;
  guarded g;

  guard(&g, value, strlen(value) + 1);
  ASSERT_OK(weft__http_parse_content_type(g.p, &m, &c));
  unguard(&g);
  if (!c != !charset || (c && strcmp(c, charset)) || strcmp(m, media))
    fprintf(stderr, "'%s': media '%s' charset '%s'\n", value, m, c ? c : "(null)");
  ASSERT_STR_EQ(m, media);
  if (charset)
    ASSERT_STR_EQ(c, charset);
  else
    ASSERT_NULL(c);
  weft_free(m);
  weft_free(c);
}

TEST_IMPL(http_headers_content_type) {
  ct_is("text/html", "text/html", NULL);
  ct_is("text/html; charset=GB2312", "text/html", "GB2312");
  ct_is("text/html;charset=utf-8", "text/html", "utf-8");
  ct_is("Text/HTML; Charset=UTF-8", "text/html", "UTF-8"); /* names any case, value as sent */
  ct_is("text/html; CHARSET=windows-1251", "text/html", "windows-1251");
  ct_is("  text/plain  ;  charset = latin1  ", "text/plain", "latin1");
  ct_is("text/plain;\tcharset=\tutf-8\t", "text/plain", "utf-8");
  ct_is("application/json; charset=\"utf-8\"", "application/json", "utf-8");
  ct_is("text/plain; charset=\"utf-8\" ; format=flowed", "text/plain", "utf-8");
  ct_is("text/plain; charset=\"a\\\"b\\\\c\"", "text/plain", "a\"b\\c");
  ct_is("text/plain; charset=\"a;b\"", "text/plain", "a;b");
  ct_is("multipart/form-data; boundary=xyz; charset=koi8-r", "multipart/form-data", "koi8-r");
  ct_is("text/plain; format=flowed", "text/plain", NULL);
  ct_is("text/plain; xcharset=bad", "text/plain", NULL);
  ct_is("text/plain; charsetx=bad", "text/plain", NULL);
  ct_is("text/plain; charset", "text/plain", NULL);
  ct_is("text/plain; charset=", "text/plain", NULL);
  ct_is("text/plain; charset=\"\"", "text/plain", NULL);
  ct_is("text/plain; charset=a; charset=b", "text/plain", "a"); /* the first */
  ct_is("text/plain; charset=\"unterminated", "text/plain", "unterminated");
  ct_is("text/plain; charset=\"ends in backslash\\", "text/plain", "ends in backslash\\");
  ct_is("application/vnd.api+json", "application/vnd.api+json", NULL);
  /* Not type/subtype: text/plain, as Python's email package reads it. */
  ct_is("", "text/plain", NULL);
  ct_is("html", "text/plain", NULL);
  ct_is("/html", "text/plain", NULL);
  ct_is("text/", "text/plain", NULL);
  ct_is("text / html", "text/plain", NULL);
  ct_is("; charset=utf-8", "text/plain", "utf-8");
  return 0;
}

/* A parameter's quoted value may hold ';' and "charset=": only real
 * parameters count. */
TEST_IMPL(http_headers_content_type_quoted) {
  ct_is("text/plain; a=\"x;charset=bad\"; charset=good", "text/plain", "good");
  ct_is("text/plain; a=\"x\\\";charset=bad\"", "text/plain", NULL);
  ct_is("text/plain; a=\"; charset=bad", "text/plain", NULL);
  return 0;
}

TEST_IMPL(http_headers_content_type_null) {
  char *m = (char *)"x", *c = (char *)"y";

  ASSERT_OK(weft__http_parse_content_type(NULL, &m, &c));
  ASSERT_NULL(m);
  ASSERT_NULL(c);
  ASSERT_OK(weft__http_parse_content_type("text/html; charset=x", NULL, &c));
  ASSERT_STR_EQ("x", c);
  weft_free(c);
  ASSERT_OK(weft__http_parse_content_type("text/html; charset=x", &m, NULL));
  ASSERT_STR_EQ("text/html", m);
  weft_free(m);
  return 0;
}

/* A 64 KiB parameter value and thousands of parameters. */
TEST_IMPL(http_headers_content_type_large) {
  size_t big = 64 * 1024, n;
  char *v = malloc(2 * big + 64);

  ASSERT_NOT_NULL(v);
  n = (size_t)sprintf(v, "text/plain; charset=");
  memset(v + n, 'c', big);
  v[n + big] = '\0';
  ct_is(v, "text/plain", v + n);
  n = (size_t)sprintf(v, "text/plain");
  while (n < 2 * big)
    n += (size_t)sprintf(v + n, "; p=v");
  sprintf(v + n, "; charset=last");
  ct_is(v, "text/plain", "last");
  free(v);
  return 0;
}
