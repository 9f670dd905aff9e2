/* The cookie jar: Set-Cookie parsing, aiohttp.CookieJar's rules, the
 * Cookie header, Netscape cookies.txt files (also curl's own). */
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/test.h"
#include "http/cookie.h"

extern long weft_test_alloc_fail_at;
extern long weft_test_alloc_count;

static weft_cookie_jar *jar_new(int unsafe) {
  weft_cookie_jar *jar;

  ASSERT_OK(weft_cookie_jar_new(&jar, unsafe));
  return jar;
}

static void update(weft_cookie_jar *jar, const char *set_cookie, const char *url) {
  ASSERT_OK(weft_cookie_jar_update(jar, set_cookie, url));
}

/* Each Set-Cookie of the list, received from http://h.test/. */
#define UPDATE_FROM_H_TEST(jar, ...)                           \
  do {                                                         \
    static const char *const sc_[] = {__VA_ARGS__};            \
    for (size_t i_ = 0; i_ < sizeof sc_ / sizeof sc_[0]; i_++) \
      update(jar, sc_[i_], "http://h.test/");                  \
  } while (0)

/* The Cookie header jar sends to url equals want. */
static void header_is(weft_cookie_jar *jar, const char *url, const char *want) {
  char *h = NULL;

  ASSERT_OK(weft_cookie_jar_header(jar, url, &h));
  if (strcmp(h, want) != 0)
    fprintf(stderr, "header for %s: \"%s\", want \"%s\"\n", url, h, want);
  ASSERT_STR_EQ(h, want);
  weft_free(h);
}

/* The Cookie header the jar sends to each URL of a table. */
typedef struct sent {
  const char *url, *header;
} sent;

static void headers_are(weft_cookie_jar *jar, const sent *table, size_t n) {
  for (size_t i = 0; i < n; i++)
    header_is(jar, table[i].url, table[i].header);
}
#define HEADERS_ARE(jar, ...)                                   \
  do {                                                          \
    static const sent table_[] = {__VA_ARGS__};                 \
    headers_are(jar, table_, sizeof table_ / sizeof table_[0]); \
  } while (0)

static const weft_cookie *find(weft_cookie_jar *jar, const char *name) {
  size_t n = weft_cookie_jar_count(jar);

  for (size_t i = 0; i < n; i++)
    if (strcmp(weft_cookie_jar_at(jar, i)->name, name) == 0)
      return weft_cookie_jar_at(jar, i);
  return NULL;
}

static weft_cookie parse_ok(const char *set_cookie, const char *url) {
  weft_cookie c;

  ASSERT_OK(weft__http_cookie_parse(set_cookie, url, &c));
  return c;
}

static void parse_fails(const char *set_cookie, const char *url) {
  weft_cookie c;
  int rc = weft__http_cookie_parse(set_cookie, url, &c);

  if (rc != -EINVAL && !(weft_test_torture && rc == -ENOMEM))
    fprintf(stderr, "'%.60s' parsed: %d\n", set_cookie, rc);
  ASSERT_EQ(rc, -EINVAL);
  ASSERT(weft_http_last_error()[0] != '\0' || weft_test_torture);
  ASSERT_NULL(c.name);
}

TEST_IMPL(http_cookie_parse_attributes) {
  long before = weft_test_live_allocations();
  int64_t now = (int64_t)time(NULL);
  weft_cookie c = parse_ok("A = 1 ; DOMAIN=.EXAMPLE.com; path=/x; SECURE; httponly; "
                           "samesite=LAX; max-age=100; Expires=Wed, 09 Jun 2001 10:18:14 GMT; "
                           "Garbage; =; foo=bar",
                           "http://www.Example.COM/a/b");

  ASSERT_STR_EQ(c.name, "A");
  ASSERT_STR_EQ(c.value, "1");
  ASSERT_STR_EQ(c.domain, "example.com");
  ASSERT_STR_EQ(c.path, "/x");
  ASSERT_EQ(c.host_only, 0);
  ASSERT_EQ(c.secure, 1);
  ASSERT_EQ(c.http_only, 1);
  ASSERT_STR_EQ(c.same_site, "Lax");
  /* Max-Age wins over Expires, whatever their order */
  ASSERT(c.expires >= now + 99 && c.expires <= now + 101);
  weft__http_cookie_clear(&c);
  /* defaults: host-only, default path, session cookie */
  c = parse_ok("sid=abc", "https://www.example.com/a/b/c?q=/x/y");
  ASSERT_STR_EQ(c.domain, "www.example.com");
  ASSERT_EQ(c.host_only, 1);
  ASSERT_STR_EQ(c.path, "/a/b");
  ASSERT_EQ(c.expires, 0);
  ASSERT_EQ(c.secure, 0);
  ASSERT_NULL(c.same_site);
  weft__http_cookie_clear(&c);
  /* Path not starting with '/' is the default path; empty value is fine */
  c = parse_ok("e=; Path=relative; SameSite=bogus", "http://h.test/dir/");
  ASSERT_STR_EQ(c.value, "");
  ASSERT_STR_EQ(c.path, "/dir");
  ASSERT_NULL(c.same_site);
  weft__http_cookie_clear(&c);
  c = parse_ok("r=1; Max-Age=abc; Expires=Thu, 01 Jan 2099 00:00:00 GMT", "http://h.test");
  ASSERT_EQ(c.expires, INT64_C(4070908800)); /* an invalid Max-Age is ignored */
  ASSERT_STR_EQ(c.path, "/");
  weft__http_cookie_clear(&c);
  ASSERT_EQ(weft_test_live_allocations(), before);
  return 0;
}

TEST_IMPL(http_cookie_parse_quoted_and_hostile) {
  long before = weft_test_live_allocations();
  size_t big = 5000;
  char *huge = malloc(big + 16);
  weft_cookie c;

  /* quoted values keep their quotes and may hold ';' and spaces (aiohttp) */
  c = parse_ok("q=\"x y;z\"; Path=/p", "http://h.test/");
  ASSERT_STR_EQ(c.value, "\"x y;z\"");
  ASSERT_STR_EQ(c.path, "/p");
  weft__http_cookie_clear(&c);
  c = parse_ok("q=\"unterminated; Path=/p", "http://h.test/");
  ASSERT_STR_EQ(c.value, "\"unterminated");
  weft__http_cookie_clear(&c);
  parse_fails("novalue", "http://h.test/");
  parse_fails("novalue; a=b", "http://h.test/");
  parse_fails("=value", "http://h.test/");
  parse_fails("  =value", "http://h.test/");
  parse_fails("", "http://h.test/");
  parse_fails("a=b\r\nInjected: 1", "http://h.test/");
  parse_fails("a=b", "not a url");
  parse_fails("a=b", "file:///etc/passwd");
  /* a name and value over 4096 bytes */
  memcpy(huge, "big=", 4);
  memset(huge + 4, 'x', big);
  huge[big + 4] = '\0';
  parse_fails(huge, "http://h.test/");
  /* an attribute value over 1024 bytes is ignored, the cookie kept */
  memcpy(huge, "ok=1; Path=/", 12);
  memset(huge + 12, 'p', 2000);
  huge[2012] = '\0';
  c = parse_ok(huge, "http://h.test/d/e");
  ASSERT_STR_EQ(c.path, "/d");
  weft__http_cookie_clear(&c);
  free(huge);
  ASSERT_EQ(weft_test_live_allocations(), before);
  return 0;
}

static int64_t date_of(const char *s) {
  char buf[256];
  weft_cookie c;
  int64_t t;

  snprintf(buf, sizeof buf, "d=1; Expires=%s", s);
  c = parse_ok(buf, "http://h.test/");
  t = c.expires;
  weft__http_cookie_clear(&c);
  return t;
}

TEST_IMPL(http_cookie_dates) {
  const int64_t t = INT64_C(4089953894); /* 2099-08-09T10:18:14Z */

  ASSERT_EQ(date_of("Sun, 09 Aug 2099 10:18:14 GMT"), t);    /* RFC 1123 */
  ASSERT_EQ(date_of("Sunday, 09-Aug-2099 10:18:14 GMT"), t); /* RFC 850, 4-digit year */
  ASSERT_EQ(date_of("Sun Aug  9 10:18:14 2099"), t);         /* asctime */
  ASSERT_EQ(date_of("09 AUGUST 2099 10:18:14"), t);          /* long month, any case */
  ASSERT_EQ(date_of("2099-Aug-09 10:18:14"), t);
  ASSERT_EQ(date_of("Thu, 01-Jan-70 00:00:01 GMT"), 1);                   /* 2-digit 70..99: 19xx */
  ASSERT_EQ(date_of("Tue, 01-Jan-69 00:00:00 GMT"), INT64_C(3124224000)); /* 00..69: 20xx */
  /* invalid dates are ignored: a session cookie */
  ASSERT_EQ(date_of("Sun, 09 Aug 2099"), 0);              /* no time */
  ASSERT_EQ(date_of("Sun, 32 Aug 2099 10:18:14 GMT"), 0); /* day 32 */
  ASSERT_EQ(date_of("Sun, 30 Feb 2099 10:18:14 GMT"), 0); /* no such day */
  ASSERT_EQ(date_of("Sun, 09 Foo 2099 10:18:14 GMT"), 0); /* no month */
  ASSERT_EQ(date_of("Sun, 09 Aug 2099 24:00:00 GMT"), 0); /* hour 24 */
  ASSERT_EQ(date_of("Sun, 09 Aug 1600 10:18:14 GMT"), 0); /* before 1601 */
  ASSERT_EQ(date_of("garbage"), 0);
  ASSERT_EQ(date_of(""), 0);
  /* before 1970: expired (not 0, which would be a session cookie) */
  ASSERT_EQ(date_of("Mon, 01 Jan 1900 00:00:00 GMT"), 1);
  ASSERT_EQ(date_of("Thu, 01 Jan 1970 00:00:00 GMT"), 1);
  return 0;
}

TEST_IMPL(http_cookie_domain_rules) {
  weft_cookie_jar *jar = jar_new(0);

  /* domain attacks are refused */
  ASSERT_EQ(weft_cookie_jar_update(jar, "a=1; Domain=com", "http://example.com/"), -EINVAL);
  ASSERT_EQ(weft_cookie_jar_update(jar, "a=1; Domain=.example.com", "http://evil.com/"), -EINVAL);
  ASSERT_EQ(weft_cookie_jar_update(jar, "a=1; Domain=ample.com", "http://example.com/"), -EINVAL);
  ASSERT_EQ(weft_cookie_jar_update(jar, "a=1; Domain=www.example.com", "http://example.com/"),
            -EINVAL);
  ASSERT_EQ(weft_cookie_jar_count(jar), 0u);
  /* a parent domain with a leading dot: sent to it and its subdomains */
  update(jar, "d=1; Domain=.Example.com", "http://www.example.com/");
  ASSERT_EQ(find(jar, "d")->host_only, 0);
  ASSERT_STR_EQ(find(jar, "d")->domain, "example.com");
  /* no Domain (and "example.com." counts as none): host-only */
  update(jar, "h=1", "http://www.example.com/");
  update(jar, "t=1; Domain=example.com.", "http://www.example.com/");
  ASSERT_EQ(find(jar, "t")->host_only, 1);
  ASSERT_STR_EQ(find(jar, "t")->domain, "www.example.com");
  /* the host itself as Domain, and single-label hosts */
  update(jar, "l=1; Domain=localhost", "http://localhost/");
  ASSERT_EQ(find(jar, "l")->host_only, 0);
  HEADERS_ARE(jar, {"http://www.example.com/", "d=1; h=1; t=1"}, {"http://a.b.example.com/", "d=1"},
              {"http://example.com/", "d=1"}, {"http://notexample.com/", ""},
              {"http://x.www.example.com/", "d=1"},
              {"http://WWW.EXAMPLE.COM:8080/", "d=1; h=1; t=1"}, {"http://localhost/", "l=1"},
              {"http://x.localhost/", "l=1"});
  weft_cookie_jar_free(jar);
  return 0;
}

TEST_IMPL(http_cookie_path_rules) {
  weft_cookie_jar *jar = jar_new(0);

  UPDATE_FROM_H_TEST(jar, "foo=1; Path=/foo", "slash=1; Path=/foo/");
  update(jar, "def=1", "http://h.test/foo/bar/page.html");
  HEADERS_ARE(jar, {"http://h.test/foo", "foo=1"}, {"http://h.test/foobar", ""},
              {"http://h.test/foo/", "slash=1; foo=1"},
              {"http://h.test/foo/bar", "def=1; slash=1; foo=1"},
              {"http://h.test/foo/barbaz", "slash=1; foo=1"}, {"http://h.test/", ""},
              {"http://h.test/FOO", ""});
  ASSERT_STR_EQ(find(jar, "def")->path, "/foo/bar"); /* the default path: the request's dir */
  weft_cookie_jar_free(jar);
  return 0;
}

TEST_IMPL(http_cookie_ip_hosts) {
  weft_cookie_jar *strict = jar_new(0), *unsafe = jar_new(1);
  const char *urls[] = {"http://127.0.0.1:8080/", "http://[::1]:8080/", "http://[2001:db8::1]/"};

  for (size_t i = 0; i < 3; i++) {
    update(strict, "ip=1", urls[i]);
    update(unsafe, "ip=1", urls[i]);
  }
  ASSERT_EQ(weft_cookie_jar_count(strict), 0u);
  ASSERT_EQ(weft_cookie_jar_count(unsafe), 3u);
  ASSERT_STR_EQ(weft_cookie_jar_at(unsafe, 1)->domain, "::1");
  ASSERT_STR_EQ(weft_cookie_jar_at(unsafe, 0)->domain, "127.0.0.1");
  header_is(unsafe, "http://127.0.0.1/", "ip=1");
  header_is(unsafe, "http://[::1]/x", "ip=1");
  header_is(unsafe, "http://127.0.0.2/", "");
  /* an IP address has no subdomains: no domain-match by suffix */
  ASSERT_EQ(weft_cookie_jar_update(unsafe, "s=1; Domain=0.0.1", "http://127.0.0.1/"), -EINVAL);
  header_is(unsafe, "http://127.0.0.1/", "ip=1");
  /* a strict jar sends nothing but shared cookies to IP hosts */
  ASSERT_OK(weft_cookie_jar_set(strict, "host", "1", "http://127.0.0.1/"));
  ASSERT_EQ(weft_cookie_jar_count(strict), 0u);
  ASSERT_OK(weft_cookie_jar_set(strict, "shared", "1", NULL));
  header_is(strict, "http://127.0.0.1/", "shared=1");
  weft_cookie_jar_free(strict);
  weft_cookie_jar_free(unsafe);
  return 0;
}

TEST_IMPL(http_cookie_expiry) {
  weft_cookie_jar *jar = jar_new(0);

  UPDATE_FROM_H_TEST(jar, "a=1; Max-Age=100", "b=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT", "c=1",
                     "soon=1; Max-Age=1");
  ASSERT_EQ(weft_cookie_jar_count(jar), 4u);
  /* expired Set-Cookie deletes its match (same name, domain, path) */
  UPDATE_FROM_H_TEST(jar, "a=gone; Max-Age=0", "b=gone; Expires=Thu, 01 Jan 1970 00:00:01 GMT");
  update(jar, "c=x; Max-Age=-5", "http://h.test/other/x"); /* other path: no match */
  ASSERT_EQ(weft_cookie_jar_count(jar), 2u);
  update(jar, "c=x; max-age=-5", "http://h.test/");
  ASSERT_EQ(weft_cookie_jar_count(jar), 1u);
  /* Max-Age wins even when Expires is in the future */
  update(jar, "d=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT; Max-Age=0", "http://h.test/");
  ASSERT_NULL(find(jar, "d"));
  /* huge Max-Age: capped, kept */
  update(jar, "e=1; Max-Age=99999999999999999999999", "http://h.test/");
  ASSERT_EQ(find(jar, "e")->expires, INT64_C(253402300799));
  header_is(jar, "http://h.test/", "soon=1; e=1");
  sleep(2); /* real time: purged lazily, never iterated nor sent */
  header_is(jar, "http://h.test/", "e=1");
  ASSERT_EQ(weft_cookie_jar_count(jar), 1u);
  weft_cookie_jar_free(jar);
  return 0;
}
TEST_TIMEOUT(http_cookie_expiry, 15);

TEST_IMPL(http_cookie_header_order_and_secure) {
  weft_cookie_jar *jar = jar_new(0);

  UPDATE_FROM_H_TEST(jar, "a=1; Path=/", "b=1; Path=/x/y", "c=1; Path=/x", "d=1; Path=/");
  update(jar, "s=1; Secure; Path=/x", "https://h.test/");
  /* same name, other path: both sent (RFC 6265), longest path first */
  update(jar, "a=2; Path=/x/y", "http://h.test/");
  HEADERS_ARE(jar, {"http://h.test/x/y/z", "b=1; a=2; c=1; a=1; d=1"},
              {"https://h.test/x/y/z", "b=1; a=2; c=1; s=1; a=1; d=1"},
              {"wss://h.test/x", "c=1; s=1; a=1; d=1"}, {"ws://h.test/x", "c=1; a=1; d=1"},
              /* secure needs https, localhost too (aiohttp) */
              {"http://localhost/x", ""});
  /* replacing keeps the creation order (RFC 6265 5.3 step 11.3) */
  UPDATE_FROM_H_TEST(jar, "a=3; Path=/", "A=9; Path=/"); /* names are case-sensitive */
  header_is(jar, "http://h.test/", "a=3; d=1; A=9");
  ASSERT_EQ(weft_cookie_jar_count(jar), 7u);
  ASSERT_STR_EQ(weft_cookie_jar_at(jar, 0)->value, "3");
  ASSERT_NULL(weft_cookie_jar_at(jar, 7));
  ASSERT_EQ(weft_cookie_jar_header(jar, "::bad::", &(char *){NULL}), -EINVAL);
  weft_cookie_jar_free(jar);
  return 0;
}

TEST_IMPL(http_cookie_set_and_clear) {
  weft_cookie_jar *jar = jar_new(0);

  ASSERT_OK(weft_cookie_jar_set(jar, "shared", "s", NULL));
  ASSERT_OK(weft_cookie_jar_set(jar, "host", "h", "https://api.example.com/deep/path"));
  ASSERT_STR_EQ(find(jar, "host")->path, "/");
  ASSERT_EQ(find(jar, "host")->host_only, 1);
  ASSERT_STR_EQ(find(jar, "shared")->domain, "");
  header_is(jar, "http://anything.test/any/path", "shared=s");
  header_is(jar, "http://api.example.com/x", "shared=s; host=h");
  header_is(jar, "http://sub.api.example.com/x", "shared=s");
  ASSERT_EQ(weft_cookie_jar_set(jar, "bad name", "v", NULL), -EINVAL);
  ASSERT_EQ(weft_cookie_jar_set(jar, "n=", "v", NULL), -EINVAL);
  ASSERT_EQ(weft_cookie_jar_set(jar, "", "v", NULL), -EINVAL);
  ASSERT_EQ(weft_cookie_jar_set(jar, "n", "v;x=1", NULL), -EINVAL);
  ASSERT_EQ(weft_cookie_jar_set(jar, "n", "v\r\nX: y", NULL), -EINVAL);
  ASSERT_EQ(weft_cookie_jar_set(jar, "n", "v", "::"), -EINVAL);
  update(jar, "w=1; Domain=example.com", "http://www.example.com/");
  update(jar, "o=1", "http://other.test/");
  ASSERT_EQ(weft_cookie_jar_count(jar), 4u);
  weft_cookie_jar_clear(jar, ".EXAMPLE.com"); /* the domain and its subdomains */
  ASSERT_EQ(weft_cookie_jar_count(jar), 2u);
  weft_cookie_jar_clear(jar, ""); /* the shared cookies */
  ASSERT_EQ(weft_cookie_jar_count(jar), 1u);
  ASSERT_STR_EQ(weft_cookie_jar_at(jar, 0)->name, "o");
  weft_cookie_jar_clear(jar, NULL);
  ASSERT_EQ(weft_cookie_jar_count(jar), 0u);
  header_is(jar, "http://other.test/", "");
  weft_cookie_jar_free(jar);
  weft_cookie_jar_free(NULL);
  return 0;
}

/* ---- files --------------------------------------------------------- */

static void scratch_dir(char *dir, size_t cap) {
  snprintf(dir, cap, "/tmp/weft-cookie-XXXXXX");
  ASSERT_NOT_NULL(mkdtemp(dir));
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");

  ASSERT_NOT_NULL(f);
  ASSERT_EQ(fputs(text, f) >= 0, 1);
  ASSERT_OK(fclose(f));
}

static void remove_dir(const char *dir) {
  char cmd[512];

  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ASSERT_OK(system(cmd));
}

TEST_IMPL(http_cookie_file_roundtrip) {
  weft_cookie_jar *jar = jar_new(1), *back = jar_new(1);
  char dir[64], path[128];
  struct stat st;

  scratch_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/jar.txt", dir);
  update(jar, "dom=1; Domain=example.com; Path=/p; Secure; HttpOnly; Max-Age=3600",
         "https://www.example.com/");
  update(jar, "host=\"q v\"", "http://www.example.com/a/b");
  update(jar, "ip6=1", "http://[::1]:99/");
  update(jar, "empty=", "http://h.test/");
  ASSERT_OK(weft_cookie_jar_set(jar, "shared", "1", NULL)); /* not written */
  ASSERT_OK(weft_cookie_jar_save(jar, path));
  ASSERT_OK(stat(path, &st));
  ASSERT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_OK(weft_cookie_jar_load(back, path));
  ASSERT_EQ(weft_cookie_jar_count(back), 4u);
  for (size_t i = 0; i < 4; i++) {
    const weft_cookie *a = weft_cookie_jar_at(jar, i), *b = weft_cookie_jar_at(back, i);

    ASSERT_STR_EQ(a->name, b->name);
    ASSERT_STR_EQ(a->value, b->value);
    ASSERT_STR_EQ(a->domain, b->domain);
    ASSERT_STR_EQ(a->path, b->path);
    ASSERT_EQ(a->expires, b->expires);
    ASSERT_EQ(a->host_only, b->host_only);
    ASSERT_EQ(a->secure, b->secure);
    ASSERT_EQ(a->http_only, b->http_only);
  }
  header_is(back, "https://sub.example.com/p", "dom=1");
  header_is(back, "http://www.example.com/a/x", "host=\"q v\"");
  /* load adds to a jar: same key replaced, others kept */
  update(back, "dom=old; Domain=example.com; Path=/p", "https://www.example.com/");
  update(back, "extra=1", "http://h.test/");
  ASSERT_OK(weft_cookie_jar_load(back, path));
  ASSERT_STR_EQ(find(back, "dom")->value, "1");
  ASSERT_NOT_NULL(find(back, "extra"));
  /* a strict jar skips the IP address cookie of the file */
  weft_cookie_jar_free(back);
  back = jar_new(0);
  ASSERT_OK(weft_cookie_jar_load(back, path));
  ASSERT_EQ(weft_cookie_jar_count(back), 3u);
  ASSERT_NULL(find(back, "ip6"));
  /* save over an existing file replaces it */
  weft_cookie_jar_clear(jar, NULL);
  ASSERT_OK(weft_cookie_jar_save(jar, path));
  weft_cookie_jar_clear(back, NULL);
  ASSERT_OK(weft_cookie_jar_load(back, path));
  ASSERT_EQ(weft_cookie_jar_count(back), 0u);
  weft_cookie_jar_free(jar);
  weft_cookie_jar_free(back);
  remove_dir(dir);
  return 0;
}

/* A file in curl's exact format, as curl 7.88 writes it. */
static const char curl_file[] = "# Netscape HTTP Cookie File\n"
                                "# https://curl.se/docs/http-cookies.html\n"
                                "# This file was generated by libcurl! Edit at your own risk.\n"
                                "\n"
                                "#HttpOnly_.example.com\tTRUE\t/\tFALSE\t4102444800\tsess\tabc\r\n"
                                "www.example.com\tFALSE\t/app\tTRUE\t0\tpref\tdark\n"
                                "old.example.com\tFALSE\t/\tFALSE\t1000\texpired\tx\n"
                                "six.example.com\tFALSE\t/\tFALSE\t0\tnovalue\n"
                                "   \n";

TEST_IMPL(http_cookie_file_curl_format) {
  weft_cookie_jar *jar = jar_new(0);
  char dir[64], path[128];
  const weft_cookie *c;

  scratch_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/curl.txt", dir);
  write_text(path, curl_file);
  ASSERT_OK(weft_cookie_jar_load(jar, path));
  ASSERT_EQ(weft_cookie_jar_count(jar), 3u); /* the expired one is skipped */
  c = find(jar, "sess");
  ASSERT_STR_EQ(c->domain, "example.com");
  ASSERT_EQ(c->host_only, 0);
  ASSERT_EQ(c->http_only, 1);
  ASSERT_EQ(c->expires, INT64_C(4102444800));
  ASSERT_STR_EQ(c->value, "abc");
  c = find(jar, "pref");
  ASSERT_EQ(c->host_only, 1);
  ASSERT_EQ(c->secure, 1);
  ASSERT_EQ(c->expires, 0);
  ASSERT_STR_EQ(find(jar, "novalue")->value, "");
  header_is(jar, "https://www.example.com/app/x", "pref=dark; sess=abc");
  header_is(jar, "http://www.example.com/app/x", "sess=abc");
  weft_cookie_jar_free(jar);
  remove_dir(dir);
  return 0;
}

/* An aiohttp server sets cookies; the curl command line stores them with
 * -c; weft loads curl's file. */
static const char curl_script[] =
    "import subprocess, sys, threading\n"
    "from http.server import HTTPServer, BaseHTTPRequestHandler\n"
    "class H(BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        self.send_response(200)\n"
    "        self.send_header('Set-Cookie', 'plain=1')\n"
    "        self.send_header('Set-Cookie', 'dom=2; Domain=localhost; Path=/p; HttpOnly')\n"
    "        self.send_header('Set-Cookie', 'sec=3; Secure; Max-Age=3600')\n"
    "        self.send_header('Set-Cookie', 'later=4; Expires=Fri, 01 Jan 2100 00:00:00 GMT')\n"
    "        self.send_header('Content-Length', '0')\n"
    "        self.end_headers()\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "s = HTTPServer(('127.0.0.1', 0), H)\n"
    "threading.Thread(target=s.serve_forever, daemon=True).start()\n"
    "url = 'http://localhost:%d/p/page' % s.server_address[1]\n"
    "r = subprocess.run(['curl', '-s', '-4', '-c', sys.argv[1], url])\n"
    "s.shutdown()\n"
    "sys.exit(r.returncode)\n";

TEST_IMPL(http_cookie_file_from_curl) {
  weft_cookie_jar *jar = jar_new(0);
  char dir[64], path[128], script[128], cmd[512];

  scratch_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/curl.txt", dir);
  snprintf(script, sizeof script, "%s/serve.py", dir);
  write_text(script, curl_script);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s", script, path);
  ASSERT_OK(system(cmd));
  ASSERT_OK(weft_cookie_jar_load(jar, path));
  ASSERT_STR_EQ(find(jar, "plain")->path, "/p/"); /* curl's default path keeps the '/' */
  ASSERT_EQ(find(jar, "plain")->host_only, 1);
  ASSERT_EQ(find(jar, "dom")->http_only, 1);
  ASSERT_EQ(find(jar, "later")->expires, INT64_C(4102444800));
  /* curl keeps a Secure cookie received over http from localhost */
  ASSERT_EQ(find(jar, "sec")->secure, 1);
  ASSERT(find(jar, "sec")->expires > (int64_t)time(NULL) + 3500);
  header_is(jar, "http://localhost/p/x", "later=4; plain=1; dom=2");
  header_is(jar, "https://localhost/p/x", "later=4; sec=3; plain=1; dom=2");
  /* and curl reads weft's file back */
  ASSERT_OK(weft_cookie_jar_save(jar, path));
  snprintf(cmd, sizeof cmd,
           "curl -s -b %s -c %s.2 http://localhost:1/ 2>/dev/null; "
           "grep -q 'plain' %s.2",
           path, path, path);
  ASSERT_OK(system(cmd));
  weft_cookie_jar_free(jar);
  remove_dir(dir);
  return 0;
}
TEST_TIMEOUT(http_cookie_file_from_curl, 20);

static void load_fails(const char *dir, const char *text, const char *line_msg) {
  weft_cookie_jar *jar = jar_new(1);
  char path[128];
  int rc;

  snprintf(path, sizeof path, "%s/bad.txt", dir);
  write_text(path, text);
  update(jar, "keep=1", "http://h.test/");
  rc = weft_cookie_jar_load(jar, path);
  if (rc != -EINVAL && !(weft_test_torture && rc == -ENOMEM))
    fprintf(stderr, "loaded: %d\n%s", rc, text);
  ASSERT_EQ(rc, -EINVAL);
  if (!strstr(weft_http_last_error(), line_msg))
    fprintf(stderr, "message: %s\n", weft_http_last_error());
  ASSERT(strstr(weft_http_last_error(), line_msg) != NULL);
  /* nothing of a bad file goes in, nothing of the jar goes out */
  ASSERT_EQ(weft_cookie_jar_count(jar), 1u);
  weft_cookie_jar_free(jar);
}

/* Malformed cookie files and the line their error names. */
static const char *const bad_files[][2] = {
    {"# c\nh.test\tFALSE\t/\tFALSE\t0\ta\t1\nh.test\tFALSE\t/\n", "line 3:"},
    {"h.test\tMAYBE\t/\tFALSE\t0\ta\t1\n", "line 1:"},
    {"h.test\tFALSE\t/\tyes\t0\ta\t1\n", "line 1:"},
    {"\n\nh.test\tFALSE\tnopath\tFALSE\t0\ta\t1\n", "line 3:"},
    {"h.test\tFALSE\t/\tFALSE\tsoon\ta\t1\n", "line 1:"},
    {"h.test\tFALSE\t/\tFALSE\t99999999999999999999999\ta\t1\n", "line 1:"},
    {"h.test\tFALSE\t/\tFALSE\t0\t\t1\n", "line 1:"},
    {"\tFALSE\t/\tFALSE\t0\ta\t1\n", "line 1:"},
    {"h.test\tFALSE\t/\tFALSE\t0\ta\t1\textra\n", "line 1:"},
    {"just some text\n", "line 1:"},
    {"#HttpOnly_\n", "line 1:"},
    {"h.test\tFALSE\t/\tFALSE\t0\ta\tb\x01\n", "line 1:"},
};

TEST_IMPL(http_cookie_file_malformed) {
  weft_cookie_jar *jar = jar_new(0);
  char dir[64], path[160];

  scratch_dir(dir, sizeof dir);
  for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++)
    load_fails(dir, bad_files[i][0], bad_files[i][1]);
  snprintf(path, sizeof path, "%s/missing.txt", dir);
  ASSERT_EQ(weft_cookie_jar_load(jar, path), -ENOENT);
  ASSERT_EQ(weft_cookie_jar_load(jar, dir), -EISDIR);
  /* an empty file and a comment-only file load nothing */
  snprintf(path, sizeof path, "%s/empty.txt", dir);
  write_text(path, "");
  ASSERT_OK(weft_cookie_jar_load(jar, path));
  write_text(path, "# Netscape HTTP Cookie File\n\n# nothing\n");
  ASSERT_OK(weft_cookie_jar_load(jar, path));
  ASSERT_EQ(weft_cookie_jar_count(jar), 0u);
  weft_cookie_jar_free(jar);
  remove_dir(dir);
  return 0;
}

TEST_IMPL(http_cookie_file_unwritable) {
  weft_cookie_jar *jar = jar_new(0);
  char dir[64], path[160], sub[128];
  int rc;

  scratch_dir(dir, sizeof dir);
  update(jar, "a=1", "http://h.test/");
  snprintf(path, sizeof path, "%s/no/such/dir/jar.txt", dir);
  ASSERT_EQ(weft_cookie_jar_save(jar, path), -ENOENT);
  ASSERT(strstr(weft_http_last_error(), "jar.txt") != NULL || weft_test_torture);
  snprintf(sub, sizeof sub, "%s/ro", dir);
  ASSERT_OK(mkdir(sub, 0500));
  snprintf(path, sizeof path, "%s/jar.txt", sub);
  rc = weft_cookie_jar_save(jar, path);
  if (geteuid() != 0) /* root writes anywhere */
    ASSERT_EQ(rc, -EACCES);
  ASSERT_OK(chmod(sub, 0700));
  /* a save that fails (a directory in the way) leaves no temporary file */
  snprintf(path, sizeof path, "%s/isdir", dir);
  ASSERT_OK(mkdir(path, 0700));
  ASSERT_EQ(weft_cookie_jar_save(jar, path), -EISDIR);
  snprintf(path, sizeof path, "ls -A %s | grep -v -x -e ro -e isdir", dir);
  ASSERT(system(path) != 0); /* nothing else in dir */
  weft_cookie_jar_free(jar);
  remove_dir(dir);
  return 0;
}

/* ---- allocation failures: nothing lost, nothing leaked -------------- */

static char *snapshot(weft_cookie_jar *jar) {
  static char buf[4096];
  size_t off = 0, n = weft_cookie_jar_count(jar);

  for (size_t i = 0; i < n; i++) {
    const weft_cookie *c = weft_cookie_jar_at(jar, i);

    off += (size_t)snprintf(buf + off, sizeof buf - off, "%s=%s@%s%s|", c->name, c->value,
                            c->domain, c->path);
  }
  buf[off] = '\0';
  return buf;
}

typedef int (*jar_op)(weft_cookie_jar *jar, const char *arg);

static int op_update(weft_cookie_jar *jar, const char *arg) {
  return weft_cookie_jar_update(jar, arg, "http://www.example.com/a/b");
}

static int op_set(weft_cookie_jar *jar, const char *arg) {
  return weft_cookie_jar_set(jar, arg, "v", "http://www.example.com/");
}

static int op_load(weft_cookie_jar *jar, const char *arg) {
  return weft_cookie_jar_load(jar, arg);
}

static int op_header(weft_cookie_jar *jar, const char *arg) {
  char *h = NULL;
  int rc = weft_cookie_jar_header(jar, arg, &h);

  weft_free(h);
  return rc;
}

/* Fail each allocation of op in turn: -ENOMEM, the jar unchanged. */
static void fail_each(weft_cookie_jar *jar, jar_op op, const char *arg) {
  char before[4096];
  long live = weft_test_live_allocations();

  snprintf(before, sizeof before, "%s", snapshot(jar));
  for (long k = 1;; k++) {
    int rc;

    weft_test_alloc_fail_at = weft_test_alloc_count + k;
    rc = op(jar, arg);
    weft_test_alloc_fail_at = 0;
    if (rc == 0)
      break;
    ASSERT_EQ(rc, -ENOMEM);
    ASSERT_STR_EQ(snapshot(jar), before);
    ASSERT_EQ(weft_test_live_allocations(), live);
    ASSERT(k < 100);
  }
}

TEST_IMPL(http_cookie_enomem_nothing_lost) {
  weft_cookie_jar *jar = jar_new(0);
  char dir[64], path[128];
  long live;

  if (weft_test_torture) /* the runner fails allocations itself */
    return 0;
  scratch_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/f.txt", dir);
  write_text(path, curl_file);
  for (int i = 0; i < 9; i++) { /* the 9th update grows the array */
    char sc[64];

    snprintf(sc, sizeof sc, "c%d=%d; Domain=example.com; Path=/a", i, i);
    fail_each(jar, op_update, sc);
  }
  fail_each(jar, op_update, "c3=replaced; Domain=example.com; Path=/a");
  ASSERT_STR_EQ(find(jar, "c3")->value, "replaced");
  fail_each(jar, op_set, "initial");
  fail_each(jar, op_load, path);
  fail_each(jar, op_header, "http://www.example.com/a/x");
  ASSERT_EQ(weft_cookie_jar_count(jar), 13u);
  live = weft_test_live_allocations();
  weft_test_alloc_fail_at = weft_test_alloc_count + 1;
  ASSERT_EQ(weft_cookie_jar_save(jar, path), -ENOMEM);
  weft_test_alloc_fail_at = 0;
  ASSERT_EQ(weft_test_live_allocations(), live);
  weft_cookie_jar_free(jar);
  remove_dir(dir);
  return 0;
}
