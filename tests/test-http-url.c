/*
 * Request URLs: yarl's query encoding, base URL joins, redirect targets
 * (RFC 3986 section 5.4), scheme and CR/LF checks, hosts and origins, and
 * the plain URLs taken as they are (checked against curl's parser).
 */
#include <curl/curl.h>
#include <stdlib.h>

#include "http/cookie_impl.h"
#include "http/request.h"
#include "test.h"

static char *build(const char *base, const char *url, const weft_http_pair *p, size_t n,
                   const char *raw) {
  char *out = NULL;

  ASSERT_OK(weft__http_url_build(base, url, p, n, raw, &out));
  return out;
}

static void expect_build(const char *base, const char *url, const weft_http_pair *p, size_t n,
                         const char *raw, const char *want) {
  char *out = build(base, url, p, n, raw);

  ASSERT_STR_EQ(want, out);
  weft_free(out);
}

static void expect_fail(const char *base, const char *url, int code, const char *in_msg) {
  char *out = (char *)1;

  ASSERT_EQ(code, weft__http_url_build(base, url, NULL, 0, NULL, &out));
  ASSERT_NULL(out);
  if (in_msg)
    ASSERT(strstr(weft_http_last_error(), in_msg) != NULL);
}

/* Compared with yarl 1.8's URL.with_query() output. */
TEST_IMPL(http_url_params_yarl) {
  char all[128];
  weft_http_pair p[] = {{"a", "1 2"}, {"a", "x&y"}, {"b", "\xc3\xa9/?:@+=;,~*'()!$"}};
  weft_http_pair q[] = {{"k", all}};
  weft_http_pair e[] = {{"", ""}, {"a", ""}};

  expect_build(NULL, "http://h/p", p, 3, NULL,
               "http://h/p?a=1+2&a=x%26y&b=%C3%A9/?:@%2B%3D%3B,~*'()!$");
  for (int i = 1; i < 128; i++)
    all[i - 1] = (char)(i == '\r' || i == '\n' ? 'x' : i);
  all[127] = '\0';
  expect_build(NULL, "http://h/p", q, 1, NULL,
               "http://h/p?k=%01%02%03%04%05%06%07%08%09x%0B%0Cx%0E%0F%10%11%12%13%14%15%16%17"
               "%18%19%1A%1B%1C%1D%1E%1F+!%22%23$%25%26'()*%2B,-./0123456789:%3B%3C%3D%3E?@"
               "ABCDEFGHIJKLMNOPQRSTUVWXYZ%5B%5C%5D%5E_%60abcdefghijklmnopqrstuvwxyz%7B%7C%7D~%7F");
  expect_build(NULL, "http://h/p", e, 2, NULL, "http://h/p?=&a=");
  return 0;
}

TEST_IMPL(http_url_params_append_and_raw) {
  weft_http_pair p[] = {{"a", "b"}, {"a", "c"}};

  expect_build(NULL, "http://h/p?x=1#frag", p, 2, NULL, "http://h/p?x=1&a=b&a=c#frag");
  expect_build(NULL, "http://h/p?", p, 1, NULL, "http://h/p?a=b");
  /* the seeds' params='key=value+1' arrives as is */
  expect_build(NULL, "http://h/p", NULL, 0, "key=value+1", "http://h/p?key=value+1");
  expect_build(NULL, "http://h/p?x=%41", p, 1, "k=%20", "http://h/p?x=%41&a=b&k=%20");
  expect_build(NULL, "http://h/a b?c d", NULL, 0, NULL, "http://h/a%20b?c%20d");
  expect_build(NULL, "http://h/\xc3\xa9", NULL, 0, NULL, "http://h/%C3%A9");
  return 0;
}

TEST_IMPL(http_url_base_join) {
  expect_build("http://h/api/", "v1/x", NULL, 0, NULL, "http://h/api/v1/x");
  expect_build("http://h/api/", "/abs?q=1", NULL, 0, NULL, "http://h/abs?q=1");
  expect_build("http://h:8080/api/", "https://o/z", NULL, 0, NULL, "https://o/z");
  expect_build("http://h/api/", "//o:81/p", NULL, 0, NULL, "http://o:81/p");
  expect_build("http://h/api/x?y", "#f", NULL, 0, NULL, "http://h/api/x?y");
  expect_build("http://h/api", NULL, NULL, 0, NULL, "http://h/api");
  expect_fail("/relative/base", "x", WEFT_HTTP_EURL, "/relative/base");
  expect_fail("ftp://h/", "x", WEFT_HTTP_ESCHEME, "'ftp'");
  expect_fail("http://h/", "ftp://o/x", WEFT_HTTP_ESCHEME, "'ftp'");
  return 0;
}

TEST_IMPL(http_url_errors) {
  char *out;
  weft_http_pair bad_v[] = {{"a", "x\r\nInjected: 1"}}, bad_n[] = {{"a\n", "x"}};
  weft_http_pair no_v[] = {{"a", NULL}};

  expect_fail(NULL, "ftp://h/p", WEFT_HTTP_ESCHEME, "unsupported URL scheme 'ftp'");
  expect_fail(NULL, "gopher://h/p", WEFT_HTTP_ESCHEME, "gopher");
  expect_fail(NULL, "h/p", WEFT_HTTP_EURL, "'h/p'");
  expect_fail(NULL, "http:///p", WEFT_HTTP_EURL, "no host");
  expect_fail(NULL, "http://h:99999/", WEFT_HTTP_EURL, "h:99999");
  expect_fail(NULL, "http://[::1/", WEFT_HTTP_EURL, NULL);
  expect_fail(NULL, "", WEFT_HTTP_EURL, NULL);
  expect_fail(NULL, "#frag", WEFT_HTTP_EURL, NULL);
  expect_fail(NULL, "http://h/p\r\nX: 1", WEFT_HTTP_EINJECT, NULL);
  expect_fail(NULL, "http://h/p\n", WEFT_HTTP_EINJECT, NULL);
  expect_fail("http://h/\r", "x", WEFT_HTTP_EINJECT, NULL);
  ASSERT_EQ(-EINVAL, weft__http_url_build(NULL, NULL, NULL, 0, NULL, &out));
  ASSERT_EQ(WEFT_HTTP_EINJECT, weft__http_url_build(NULL, "http://h/", bad_v, 1, NULL, &out));
  ASSERT_EQ(WEFT_HTTP_EINJECT, weft__http_url_build(NULL, "http://h/", bad_n, 1, NULL, &out));
  ASSERT_EQ(WEFT_HTTP_EINJECT, weft__http_url_build(NULL, "http://h/", NULL, 0, "a=\r", &out));
  ASSERT_EQ(-EINVAL, weft__http_url_build(NULL, "http://h/", no_v, 1, NULL, &out));
  return 0;
}

TEST_IMPL(http_url_oversized) {
  size_t n = 9u * 1024 * 1024;
  char *big = malloc(n + 1), *out;

  ASSERT_NOT_NULL(big);
  memcpy(big, "http://h/", 9);
  memset(big + 9, 'a', n - 9);
  big[n] = '\0';
  ASSERT_EQ(WEFT_HTTP_EURL, weft__http_url_build(NULL, big, NULL, 0, NULL, &out));
  big[100000] = '\0'; /* long but allowed */
  ASSERT_OK(weft__http_url_build(NULL, big, NULL, 0, NULL, &out));
  ASSERT_EQ(100000, strlen(out));
  weft_free(out);
  free(big);
  return 0;
}

static void expect_join(const char *ref, const char *want) {
  char *out = NULL;

  ASSERT_OK(weft__http_url_join("http://a/b/c/d;p?q#frag", ref, &out));
  ASSERT_STR_EQ(want, out);
  weft_free(out);
}

/* RFC 3986 5.4.1 and 5.4.2 (fragments dropped). */
TEST_IMPL(http_url_join_rfc3986) {
  char *out;

  expect_join("g", "http://a/b/c/g");
  expect_join("./g", "http://a/b/c/g");
  expect_join("g/", "http://a/b/c/g/");
  expect_join("/g", "http://a/g");
  expect_join("//g", "http://g/");
  expect_join("?y", "http://a/b/c/d;p?y");
  expect_join("g?y", "http://a/b/c/g?y");
  expect_join("#s", "http://a/b/c/d;p?q");
  expect_join("g#s", "http://a/b/c/g");
  expect_join(";x", "http://a/b/c/;x");
  expect_join("..", "http://a/b/");
  expect_join("../g", "http://a/b/g");
  expect_join("../../g", "http://a/g");
  expect_join("../../../g", "http://a/g");
  expect_join("/./g", "http://a/g");
  expect_join("g/../h", "http://a/b/c/h");
  expect_join("https://o:8443/x#y", "https://o:8443/x");
  expect_join("http://o/a b", "http://o/a%20b");
  ASSERT_EQ(WEFT_HTTP_ESCHEME, weft__http_url_join("http://a/b", "g:h", &out));
  ASSERT_EQ(WEFT_HTTP_ESCHEME, weft__http_url_join("http://a/b", "file:///etc/passwd", &out));
  ASSERT_EQ(WEFT_HTTP_EINJECT, weft__http_url_join("http://a/b", "/x\r\nSet-Cookie: a", &out));
  ASSERT_EQ(WEFT_HTTP_EURL, weft__http_url_join("not a url", "/x", &out));
  return 0;
}

TEST_IMPL(http_url_host_origin) {
  char host[64];
  int port, https;

  ASSERT_OK(weft__http_url_host("http://[::1]:8080/p", host, sizeof host, &port, &https));
  ASSERT_STR_EQ("::1", host);
  ASSERT_EQ(8080, port);
  ASSERT_EQ(0, https);
  ASSERT_OK(weft__http_url_host("HTTPS://Example.COM/p", host, sizeof host, &port, &https));
  ASSERT_STR_EQ("example.com", host);
  ASSERT_EQ(443, port);
  ASSERT_EQ(1, https);
  ASSERT_OK(weft__http_url_host("http://u:p@h/", host, sizeof host, &port, NULL));
  ASSERT_STR_EQ("h", host);
  ASSERT_EQ(80, port);
  ASSERT_EQ(-ENAMETOOLONG, weft__http_url_host("http://abcdefgh/", host, 4, &port, NULL));
  ASSERT_OK(weft__http_url_host("https://example.com:8443/p?q", host, sizeof host, &port, &https));
  ASSERT_STR_EQ("example.com", host);
  ASSERT_EQ(8443, port);
  ASSERT_EQ(1, https);
  ASSERT_OK(weft__http_url_host("http://127.0.0.1/p", host, sizeof host, &port, &https));
  ASSERT_STR_EQ("127.0.0.1", host);
  ASSERT_EQ(80, port);
  ASSERT_EQ(0, https);
  ASSERT_EQ(-ENAMETOOLONG, weft__http_url_host("http://abcdefgh/x", host, 4, &port, NULL));
  ASSERT_EQ(1, weft__http_url_same_origin("http://h/a", "http://H:80/b?c"));
  ASSERT_EQ(1, weft__http_url_same_origin("https://[::1]/", "https://[::1]:443/x"));
  ASSERT_EQ(0, weft__http_url_same_origin("http://h/", "https://h/"));
  ASSERT_EQ(0, weft__http_url_same_origin("http://h/", "http://h:81/"));
  ASSERT_EQ(0, weft__http_url_same_origin("http://h/", "http://g/"));
  ASSERT_EQ(0, weft__http_url_same_origin("http://h/", "junk"));
  return 0;
}

TEST_IMPL(http_url_check_method_header) {
  ASSERT_OK(weft__http_check_method("GET"));
  ASSERT_OK(weft__http_check_method("M-SEARCH"));
  ASSERT_EQ(WEFT_HTTP_EINJECT, weft__http_check_method("GET\r\nX: y"));
  ASSERT_EQ(-EINVAL, weft__http_check_method("GET /"));
  ASSERT_EQ(-EINVAL, weft__http_check_method(""));
  ASSERT_EQ(-EINVAL, weft__http_check_method(NULL));
  ASSERT_OK(weft__http_check_header("X-A: b"));
  ASSERT_OK(weft__http_check_header("X-Empty:"));
  ASSERT_EQ(WEFT_HTTP_EINJECT, weft__http_check_header("X-A: b\r\nHost: evil"));
  ASSERT_EQ(WEFT_HTTP_EINJECT, weft__http_check_header("X-A: b\n"));
  ASSERT_EQ(WEFT_HTTP_EINJECT, weft__http_check_header("X\r: b"));
  ASSERT_EQ(-EINVAL, weft__http_check_header("No colon"));
  ASSERT_EQ(-EINVAL, weft__http_check_header(": empty name"));
  ASSERT_EQ(-EINVAL, weft__http_check_header("Bad Name: x"));
  ASSERT_EQ(-EINVAL, weft__http_check_header(NULL));
  return 0;
}

/* ---- plain URLs taken without curl's parser ------------------------- */

/* What curl's URL API makes of url: the whole URL and its parts. */
typedef struct curl_view {
  char *url, *scheme, *host, *port, *path, *query;
} curl_view;

static void curl_view_of(const char *url, curl_view *v) {
  CURLU *u = curl_url();

  ASSERT_NOT_NULL(u);
  ASSERT_EQ(CURLUE_OK, curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME));
  ASSERT_EQ(CURLUE_OK, curl_url_get(u, CURLUPART_URL, &v->url, 0));
  ASSERT_EQ(CURLUE_OK, curl_url_get(u, CURLUPART_SCHEME, &v->scheme, 0));
  ASSERT_EQ(CURLUE_OK, curl_url_get(u, CURLUPART_HOST, &v->host, 0));
  ASSERT_EQ(CURLUE_OK, curl_url_get(u, CURLUPART_PORT, &v->port, CURLU_DEFAULT_PORT));
  ASSERT_EQ(CURLUE_OK, curl_url_get(u, CURLUPART_PATH, &v->path, 0));
  if (curl_url_get(u, CURLUPART_QUERY, &v->query, 0) != CURLUE_OK)
    v->query = NULL;
  curl_url_cleanup(u);
}

static void curl_view_free(curl_view *v) {
  curl_free(v->url);
  curl_free(v->scheme);
  curl_free(v->host);
  curl_free(v->port);
  curl_free(v->path);
  curl_free(v->query);
}

/* A plain URL: curl gives it back unchanged, with the same parts, and
 * the request and cookie sides take the same view of it. */
static void expect_simple(const char *url) {
  weft__http_url_parts p;
  weft__cookie_url c;
  curl_view v;
  char *out;

  ASSERT_EQ(1, weft__http_url_simple(url, &p));
  curl_view_of(url, &v);
  ASSERT_STR_EQ(url, v.url);
  ASSERT_EQ(strcmp(v.scheme, "https") == 0, p.https);
  ASSERT_EQ(strlen(v.host), p.host_len);
  ASSERT_OK(strncmp(v.host, p.host, p.host_len));
  ASSERT_EQ(atoi(v.port), p.port);
  ASSERT_EQ(strlen(v.path), p.path_len);
  ASSERT_OK(strncmp(v.path, p.path, p.path_len));
  ASSERT((v.query == NULL) == (p.query == NULL));
  if (v.query)
    ASSERT_STR_EQ(v.query, p.query);
  out = build(NULL, url, NULL, 0, NULL);
  ASSERT_STR_EQ(v.url, out);
  weft_free(out);
  ASSERT_OK(weft__cookie_url_parse(url, &c));
  ASSERT_STR_EQ(v.host, c.host);
  ASSERT_STR_EQ(v.path, c.path);
  ASSERT_EQ(p.https, c.secure);
  weft__cookie_url_clear(&c);
  curl_view_free(&v);
}

/* Not plain: curl's parser decides (and builds the same URL as before). */
static void expect_not_simple(const char *url, const char *want) {
  weft__http_url_parts p;

  ASSERT_EQ(0, weft__http_url_simple(url, &p));
  if (want)
    expect_build(NULL, url, NULL, 0, NULL, want);
}

TEST_IMPL(http_url_simple_matches_curl) {
  static const char *const plain[] = {
      "http://h/",
      "http://127.0.0.1:8080/1k.bin",
      "https://example.com/a/b/c?x=1&y=2",
      "http://example.com:8443/path;p=1/x,y/~u/a-b_c.d",
      "http://a.b-c.example/p?q=/?:@!$&'()*+,;=",
      "http://h/%41%2f%C3%A9?%20=%7e",
      "http://h//double//slashes/",
      "http://h/p.?x=/./..",
      "http://0.0.0.0:1/",
      "http://255.255.255.255/",
      "https://xn--nxasmq6b.example/",
      "http://h/a:b@c",
      "http://localhost:65535/",
      "http://h/x?a?b",
  };
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
    expect_simple(plain[i]);
  /* upper case, numbers curl rewrites, default or odd ports, no path,
   * dot segments, fragments, user info, characters to encode, IPv6 */
  expect_not_simple("HTTP://h/", "http://h/");
  expect_not_simple("http://Example.COM/", NULL);
  expect_not_simple("http://127.1/", "http://127.0.0.1/");
  expect_not_simple("http://0x7f.1/", "http://127.0.0.1/");
  expect_not_simple("http://010.0.0.1/", NULL);
  expect_not_simple("http://1.2.3.4.5/", NULL);
  expect_not_simple("http://h:80/", NULL);
  expect_not_simple("https://h:443/", NULL);
  expect_not_simple("http://h:080/", NULL);
  expect_not_simple("http://h:65536/", NULL);
  expect_not_simple("http://h:/", NULL);
  expect_not_simple("http://h", "http://h/");
  expect_not_simple("http://h?x=1", "http://h/?x=1");
  expect_not_simple("http://h/x?", "http://h/x");
  expect_not_simple("http://h/a/./b/../c", "http://h/a/c");
  expect_not_simple("http://h/.well-known/x", NULL);
  expect_not_simple("http://h/p#frag", "http://h/p#frag");
  expect_not_simple("http://u:p@h/", "http://u:p@h/");
  expect_not_simple("http://h/a b", "http://h/a%20b");
  expect_not_simple("http://h/\xc3\xa9", "http://h/%C3%A9");
  expect_not_simple("http://h/%zz", NULL);
  expect_not_simple("http://h/a\\b", NULL);
  expect_not_simple("http://[::1]:8080/", "http://[::1]:8080/");
  expect_not_simple("http://a..b/", NULL);
  expect_not_simple("http://h./", NULL);
  expect_not_simple("http://-h/", NULL);
  expect_not_simple("ftp://h/", NULL);
  expect_not_simple("//h/", NULL);
  return 0;
}

/* The query parameters go after a plain URL's own query, as after any. */
TEST_IMPL(http_url_simple_params) {
  weft_http_pair p[] = {{"a", "1 2"}, {"b", "/?"}};

  expect_build(NULL, "http://127.0.0.1:8080/x", p, 2, NULL, "http://127.0.0.1:8080/x?a=1+2&b=/?");
  expect_build(NULL, "http://h/x?y=1", p, 1, "r=%20", "http://h/x?y=1&a=1+2&r=%20");
  expect_build(NULL, "http://h/x?", NULL, 0, "r", "http://h/x?r");
  expect_build(NULL, "http://h/x", NULL, 0, "", "http://h/x");
  return 0;
}
