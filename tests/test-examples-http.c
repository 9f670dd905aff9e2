/*
 * The HTTP client examples, each run against an httpbin the test starts
 * (WEFT_HTTPBIN; WEFT_HTTPBIN_TLS and WEFT_CA_FILE for the TLS one; a
 * tinyproxy with Basic auth for the proxy one): the exit status and the
 * key lines of the output (statuses, final URLs, decoded text, what the
 * server echoed). Timings are only checked from below, where a limit or a
 * delay makes a shorter run impossible.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "examples.h"
#include "test-http-util.h"

static char base[160]; /* the httpbin the example talks to */

/* Runs examples/<name> against a fresh httpbin (TLS if tls), stopped
 * before the checks; the example must succeed and report no error. */
static void run_against(const char *name, const char *args, int tls) {
  http_peer bin;

  httpbin_start(&bin, tls);
  snprintf(base, sizeof base, "%s", bin.url);
  setenv(tls ? "WEFT_HTTPBIN_TLS" : "WEFT_HTTPBIN", bin.url, 1);
  if (tls)
    setenv("WEFT_CA_FILE", http_peer_ca(&bin), 1);
  run_example_args(name, args);
  http_peer_stop(&bin);
  if (run.status != 0 || strstr(run.out, "error: "))
    fprintf(stderr, "--- %s exited with %d:\n%s", name, run.status, run.out);
  ASSERT_EQ(0, run.status);
  ASSERT_NULL(strstr(run.out, "error: "));
}

/* A line made from a format (the base URL usually); in a ring of buffers. */
static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...) {
  static char ring[8][512];
  static int next;
  char *b = ring[next++ % 8];
  va_list ap;

  va_start(ap, f);
  vsnprintf(b, sizeof ring[0], f, ap);
  va_end(ap);
  return b;
}

/* Each line appears, in this order (EXPECT_IN_ORDER for lines made at run time). */
#define IN_ORDER(...)                                          \
  do {                                                         \
    const char *const lines_[] = {__VA_ARGS__};                \
    expect_in_order(lines_, sizeof lines_ / sizeof lines_[0]); \
  } while (0)

/* The whole line is in the output. */
static void has_line(const char *line) {
  if (!find_line(run.out, line))
    fprintf(stderr, "missing line: %s\n--- output ---\n%s", line, run.out);
  ASSERT_NOT_NULL(find_line(run.out, line));
}

/* The text is somewhere in the output. */
static void has(const char *text) {
  if (!strstr(run.out, text))
    fprintf(stderr, "missing: %s\n--- output ---\n%s", text, run.out);
  ASSERT_NOT_NULL(strstr(run.out, text));
}

TEST_TIMEOUT(examples_000_http_basics, 30);
TEST_IMPL(examples_000_http_basics) {
  run_against("000_http_basics", NULL, 0);
  has_line(fmt("--- fetch(session, '%s/headers') ---", base));
  has("\"User-Agent\": \"weft/");
  IN_ORDER("--- status and text ---", "200", "--- params ---");
  has(fmt("\"url\": \"%s/get\"", base));
  has_line(fmt("%s/get?key1=value1&key2=value2", base));
  has_line(fmt("%s/get?key=value1&key=value2", base));
  has_line("read() gave 16 bytes of application/octet-stream");
  has_line("User-Agent sent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
           "(KHTML, like Gecko) Chrome/78.0.3904.108 Safari/537.36");
  IN_ORDER("--- cookies ---", "    \"cookies_are\": \"working\"");
  return 0;
}

TEST_TIMEOUT(examples_001_http_requests, 30);
TEST_IMPL(examples_001_http_requests) {
  run_against("001_http_requests", NULL, 0);
  has_line(fmt("['%s/get', '%s/get']", base, base));
  has("GET     /get -> 200 OK, ");
  has("POST    /post -> 200 OK, ");
  has("PUT     /put -> 200 OK, ");
  has("DELETE  /delete -> 200 OK, ");
  has_line("HEAD    /get -> 200 OK, 0 bytes of body");
  has_line("OPTIONS /get -> 405 Method Not Allowed, 23 bytes of body, Allow: GET,HEAD");
  has("PATCH   /patch -> 200 OK, ");
  IN_ORDER("--- params ---", fmt("%s/get?key1=value1&key2=value2", base),
           fmt("%s/get?key=value1&key=value2", base), fmt("%s/get?key=value+1", base));
  has_line("json()['args']: {\"key\": \"value 1\"}");
  IN_ORDER("content.read(10): {", "  \"args\"");
  IN_ORDER("  X-Seed: 001", "  X-Seed: aiohttp",
           "headers['content-type']: application/json; charset=utf-8",
           "getall('X-Seed'): 2 values, 001 and aiohttp");
  has(", first line: HTTP/1.1 200 OK\n");
  return 0;
}

TEST_TIMEOUT(examples_001_http_upload, 30);
TEST_IMPL(examples_001_http_upload) {
  run_against("001_http_upload", NULL, 0);
  IN_ORDER("--- (1) a form ---", "form: {\"key1\": \"value1\", \"key2\": \"value2\"}",
           "--- (2) json ---", "json: {\"some\": \"data\"}", "--- (3) a small file, multipart ---",
           "files: {\"file\": \"id,name\\n1,weft\\n\"}", "--- (4) a large file as data ---",
           "the server got 1280000 bytes (Content-Length: 1280000)",
           "--- (4) a large file from file_sender ---",
           "the server got 1280000 bytes (Transfer-Encoding: chunked)",
           "--- (5) pre-compressed, Content-Encoding: deflate ---");
  /* the server inflated nothing: it echoes the bytes the example compressed */
  has("data: \"my_data: this body was compressed before it was sent, with zlib.compress\\n");
  ASSERT_EQ(4, count_substr("my_data: this body was compressed"));
  return 0;
}

TEST_TIMEOUT(examples_001_http_cookies, 30);
TEST_IMPL(examples_001_http_cookies) {
  run_against("001_http_cookies", NULL, 0);
  /* 127.0.0.1: the strict jar refuses the cookie, the unsafe one keeps it */
  IN_ORDER("--- aiohttp.CookieJar(unsafe=False) ---",
           "GET /cookies/set?my_cookie=my_value -> cookies: {}",
           fmt("filter_cookies('%s'): (none)", base),
           "in the jar: nothing (a strict jar refuses cookies from IP addresses)",
           "GET /cookies -> cookies: {}", "--- aiohttp.CookieJar(unsafe=True) ---",
           "GET /cookies/set?my_cookie=my_value -> cookies: {\"my_cookie\": \"my_value\"}",
           fmt("filter_cookies('%s'): my_cookie=my_value", base),
           "in the jar: my_cookie=my_value (domain 127.0.0.1, path /)",
           "GET /cookies -> cookies: {\"my_cookie\": \"my_value\"}",
           "--- session-wide headers ---");
  ASSERT_EQ(2, count_substr("\"Authorization\": \"Basic bG9naW46cGFzcw==\""));
  ASSERT_EQ(1, count_substr("GET /anything/second -> headers: {"));
  return 0;
}

/* With a named host (localhost) both jars keep the cookie. */
TEST_TIMEOUT(examples_001_http_cookies_named_host, 30);
TEST_IMPL(examples_001_http_cookies_named_host) {
  http_peer bin;
  char named[200];

  httpbin_start(&bin, 0);
  snprintf(named, sizeof named, "http://localhost:%d", bin.port);
  setenv("WEFT_HTTPBIN", named, 1);
  run_example("001_http_cookies");
  http_peer_stop(&bin);
  ASSERT_EQ(0, run.status);
  ASSERT_EQ(2, count_lines("in the jar: my_cookie=my_value (domain localhost, path /)"));
  ASSERT_EQ(2, count_lines("GET /cookies -> cookies: {\"my_cookie\": \"my_value\"}"));
  ASSERT_EQ(0, count_substr("in the jar: nothing"));
  return 0;
}

TEST_TIMEOUT(examples_001_http_tls, 40);
TEST_IMPL(examples_001_http_tls) {
  run_against("001_http_tls", NULL, 1);
  ASSERT_EQ(0, strncmp(base, "https://localhost:", 18));
  has_line(fmt("GET %s/get", base));
  has(fmt("%-34s ETLS_VERIFY: ", "default (verify):"));
  has_line(fmt("%-34s 200 OK", "TCPConnector(ssl=False):"));
  has_line(fmt("%-34s 200 OK", "session.get(url, ssl=False):"));
  has_line(fmt("%-34s 200 OK", "create_default_context(cafile):"));
  return 0;
}

/* The CA file given as argv[1]; without one the last step is left out. */
TEST_TIMEOUT(examples_001_http_tls_ca_arg, 40);
TEST_IMPL(examples_001_http_tls_ca_arg) {
  static char with_arg[sizeof run.out];
  char args[300];
  http_peer bin;

  httpbin_start(&bin, 1);
  setenv("WEFT_HTTPBIN_TLS", bin.url, 1);
  unsetenv("WEFT_CA_FILE");
  snprintf(args, sizeof args, "'%s'", http_peer_ca(&bin));
  run_example_args("001_http_tls", args);
  memcpy(with_arg, run.out, sizeof with_arg);
  ASSERT_EQ(0, run.status);
  run_example("001_http_tls");
  http_peer_stop(&bin);
  ASSERT_EQ(0, run.status);
  ASSERT_NOT_NULL(strstr(with_arg, "create_default_context(cafile):    200 OK\n"));
  ASSERT_EQ(2, count_substr(" 200 OK"));
  ASSERT_EQ(0, count_substr("create_default_context"));
  ASSERT_EQ(1, count_substr(" ETLS_VERIFY: "));
  return 0;
}

TEST_TIMEOUT(examples_001_http_limits, 40);
TEST_IMPL(examples_001_http_limits) {
  run_against("001_http_limits", NULL, 0);
  has_line("--- TCPConnector limits, 60 x GET /delay/0.5 ---");
  /* 60 requests of 0.5 s: one round, 2 rounds of 30, 6 rounds of 10 */
  ASSERT_GE(number_after(fmt("%-30s 60 requests in ", "default (limit=100):"), 0), 0.45);
  ASSERT_GE(number_after(fmt("%-30s 60 requests in ", "TCPConnector(limit=30):"), 0), 0.95);
  ASSERT_GE(number_after("TCPConnector(limit_per_host=10): 60 requests in ", 0), 2.95);
  has_line("--- Semaphore(1000), 100 fetches ---");
  ASSERT_EQ(100, count_lines(fmt("%s/get:200 ", base)));
  has("100 fetches in ");
  return 0;
}

TEST_TIMEOUT(examples_001_http_proxy, 40);
TEST_IMPL(examples_001_http_proxy) {
  http_peer proxy;
  char args[256];

  unsetenv("WEFT_HTTP_PROXY");
  unsetenv("WEFT_HTTP_PROXY_AUTH");
  tinyproxy_start(&proxy, "user", "pass");
  snprintf(args, sizeof args, "'%s'", proxy.url);
  run_against("001_http_proxy", args, 0);
  has_line(fmt("GET %s/get through %s", base, proxy.url));
  has_line(fmt("%-26s 407 Proxy Authentication Required", "proxy=...:"));
  has(fmt("%-26s 200 OK, Via: 1.1 ", "proxy_auth=BasicAuth(...):"));
  has("proxy=http://user:pass@...: 200 OK, Via: 1.1 ");
  ASSERT_EQ(2, count_substr("(tinyproxy/"));
  /* the credentials really are checked */
  snprintf(args, sizeof args, "'%s' user:wrong", proxy.url);
  run_against("001_http_proxy", args, 0);
  ASSERT_EQ(0, count_substr("200 OK"));
  http_peer_stop(&proxy);
  /* no proxy: the usage, exit status 0 */
  run_example("001_http_proxy");
  ASSERT_EQ(0, run.status);
  ASSERT_EQ(0, strncmp(run.out, "usage: 001_http_proxy PROXY_URL", 31));
  return 0;
}

TEST_TIMEOUT(examples_001_http_redirects, 30);
TEST_IMPL(examples_001_http_redirects) {
  run_against("001_http_redirects", NULL, 0);
  IN_ORDER(
      "--- follow redirects (the default) ---", fmt("<ClientResponse(%s/get) [200 OK]>", base),
      "history: 3",
      fmt("  <ClientResponse(%s/redirect/3) [302]> Location: /relative-redirect/2", base),
      fmt("  <ClientResponse(%s/relative-redirect/2) [302]> Location: /relative-redirect/1", base),
      fmt("  <ClientResponse(%s/relative-redirect/1) [302]> Location: /get", base),
      fmt(">>> resp = await session.get('%s/relative-redirect/1')", base),
      fmt("<ClientResponse(%s/get) [200 OK]>", base), "history: 1");
  IN_ORDER("--- allow_redirects=False ---",
           fmt("<ClientResponse(%s/redirect/3) [302 Found]>", base), "history: 0",
           "Location: /relative-redirect/2", "--- max_redirects=2 ---",
           fmt(">>> resp = await session.get('%s/redirect/5')", base));
  has("\nEREDIRECTS: too many redirects (2)");
  return 0;
}

TEST_TIMEOUT(examples_001_http_download, 30);
TEST_IMPL(examples_001_http_download) {
  char dir[64], path[128], args[160];
  struct stat st;
  double bytes = 0;
  int reads;

  snprintf(dir, sizeof dir, "/tmp/weft-dl-XXXXXX");
  ASSERT_NOT_NULL(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/saved.bin", dir);
  snprintf(args, sizeof args, "'%s'", path);
  run_against("001_http_download", args, 0);
  has("saved /bytes/102400: 102400 bytes in ");
  has(" chunks of at most 4096, file size 102400\n");
  ASSERT_GE(number_after("102400 bytes in ", 0), 25);
  ASSERT_OK(stat(path, &st));
  ASSERT_EQ(st.st_size, 102400);
  ASSERT_OK(unlink(path));
  ASSERT_OK(rmdir(dir));
  /* readany(): five bytes dripped, whatever the reads that took them */
  reads = count_substr("readany(): ");
  ASSERT(reads >= 1 && reads <= 5);
  for (int i = 0; i < reads; i++)
    bytes += number_after("readany(): ", i);
  ASSERT_EQ(bytes, 5);
  ASSERT_EQ(5, count_substr(" bytes, \"id\": "));
  for (int i = 0; i < 5; i++) {
    has(fmt("line %d: ", i + 1));
    has(fmt(", \"id\": %d\n", i));
  }
  IN_ORDER("--- content.read(chunk_size) into a file ---", "--- content.readany() ---",
           "--- content.readline() ---");
  return 0;
}

TEST_TIMEOUT(examples_001_http_pipe, 30);
TEST_IMPL(examples_001_http_pipe) {
  char hex[65];

  run_against("001_http_pipe", NULL, 0);
  has_line(fmt("GET %s/bytes/102400: 200", base));
  has_line("fed 102400 bytes to the stream");
  has("file_hash = ");
  ASSERT_EQ(1, sscanf(strstr(run.out, "file_hash = "), "file_hash = %64[0-9a-f]", hex));
  ASSERT_EQ(64, strlen(hex));
  /* the hash the server computed over what it received is the same */
  has_line(fmt("POST %s/upload-sha256: 200, the server got 102400 bytes, sha256 %s", base, hex));
  return 0;
}

TEST_TIMEOUT(examples_001_http_text, 30);
TEST_IMPL(examples_001_http_text) {
  run_against("001_http_text", NULL, 0);
  IN_ORDER("GET /encoding/gb2312 (charset in Content-Type: gb2312)",
           "  text(): <html><body><p>你好，世界</p></body></html>",
           "  read(): 44 bytes, text: 49 bytes of UTF-8",
           "GET /encoding/gb2312?nocharset=1 (charset in Content-Type: none)");
  has("  text(): EDECODE: ");
  IN_ORDER("GET /encoding/gb2312?nocharset=1 (charset in Content-Type: none)",
           "  text(encoding='gb2312'): <html><body><p>你好，世界</p></body></html>",
           "  read(): 44 bytes, text: 49 bytes of UTF-8",
           "GET /encoding/windows-1251?nocharset=1 (charset in Content-Type: none)",
           "  text(encoding='windows-1251'): <html><body><p>Привет, мир</p></body></html>",
           "  read(): 45 bytes, text: 54 bytes of UTF-8");
  ASSERT_EQ(0, count_substr("\n\n")); /* no blank line after a page's text */
  return 0;
}

TEST_TIMEOUT(examples_002_http_movies, 30);
TEST_IMPL(examples_002_http_movies) {
  run_against("002_http_movies", NULL, 0);
  /* the order of the index, whatever the order the pages came in */
  IN_ORDER(
      "金禅降魔 05月08日 "
      "https://img9.doubanio.com/view/photo/s_ratio_poster/public/p2564190636.jpg",
      "82号古宅 05月15日 "
      "https://img9.doubanio.com/view/photo/s_ratio_poster/public/p2586838530.jpg",
      "亲亲哒 05月28日 https://img9.doubanio.com/view/photo/s_ratio_poster/public/p2579189776.jpg",
      "奇妙王国之魔法奇缘 06月01日 "
      "https://img9.doubanio.com/view/photo/s_ratio_poster/public/p2577837112.jpg",
      "六月的秘密 06月21日 "
      "https://img9.doubanio.com/view/photo/s_ratio_poster/public/p2522497098.jpg",
      "秘密访客 06月25日 "
      "https://img9.doubanio.com/view/photo/s_ratio_poster/public/p2579398648.jpg",
      "无名狂 06月25日 https://img9.doubanio.com/view/photo/s_ratio_poster/public/p2574800433.jpg",
      "我想静静 08月07日 "
      "https://img9.doubanio.com/view/photo/s_ratio_poster/public/p2595969179.jpg");
  ASSERT_EQ(8, count_substr("https://img9.doubanio.com/"));
  has("Wall time: ");
  return 0;
}

TEST_TIMEOUT(examples_003_http_basics, 30);
TEST_IMPL(examples_003_http_basics) {
  run_against("003_http_basics", NULL, 0);
  has(fmt("\"url\":\"%s/delay/1\"", base));
  IN_ORDER("status: 200", "--- GET /get ---");
  has(fmt("\"url\": \"%s/get?name=abc&age=10\"", base));
  has("\"Content-Type\": \"application/x-www-form-urlencoded\"");
  has("\"data\": \"{\\\"name\\\":\\\"abc\\\",\\\"age\\\":10}\"");
  IN_ORDER("--- the response ---", "status: 200", "json: form={\"name\":\"abc\",\"age\":\"10\"}",
           "--- ClientTimeout(total=2) ---", "GET /get status: 200");
  has("headers: <CIMultiDictProxy('Content-Type': 'application/json; charset=utf-8', ");
  has(" ETIMEDOUT (timed out)\n");
  ASSERT_GE(number_after("GET /delay/5 failed after ", 0), 1.95); /* not before its time */
  return 0;
}

/* Two list pages instead of the seed's 100 (whose log is half a megabyte). */
TEST_TIMEOUT(examples_003_http_books, 30);
TEST_IMPL(examples_003_http_books) {
  run_against("003_http_books", "2", 0);
  has(" INFO: Results: 2 list pages, 36 books\n");
  ASSERT_EQ(38, count_substr(" INFO: Scraping: "));
  ASSERT_EQ(36, count_substr(" INFO: Saving "));
  for (int id = 1; id <= 36; id++)
    has(fmt(" INFO: Saving %s/anything/api/book/%d: {\"method\": \"GET\", \"url\": "
            "\"%s/anything/api/book/%d\"}\n",
            base, id, base, id));
  has(fmt(" INFO: Scraping: %s/anything/api/book/?limit=18&offset=18&results=19&", base));
  ASSERT_EQ(0, count_substr("Error"));
  has("crawled in ");
  return 0;
}

/* A 0.5 s delay instead of the seed's 5 s (50 s in all). */
TEST_TIMEOUT(examples_003_http_delay, 40);
TEST_IMPL(examples_003_http_delay) {
  run_against("003_http_delay", "0.5", 0);
  ASSERT_EQ(9, count_substr(fmt(" INFO: scraping %s/delay/0.5\n", base)));
  ASSERT_GE(number_after(" INFO: total time ", 0), 4.5); /* one after the other */
  ASSERT_EQ(5, count_lines(fmt("Waiting for %s/delay/0.5", base)));
  ASSERT_EQ(5, count_lines(fmt("Response: <ClientResponse(%s/delay/0.5) [200 OK]> from "
                               "%s/delay/0.5",
                               base, base)));
  /* every task waits before the first response */
  const char *resp = strstr(run.out, "Response: ");
  int waiting = 0;
  for (const char *p = strstr(run.out, "Waiting for "); p && p < resp;
       p = strstr(p + 1, "Waiting for "))
    waiting++;
  ASSERT_EQ(5, waiting);
  has("Cost time: ");
  return 0;
}

/* 1000 requests, 100 at a time, each held 1 s: 10 s at least. */
TEST_TIMEOUT(examples_003_http_semaphore, 60);
TEST_IMPL(examples_003_http_semaphore) {
  run_against("003_http_semaphore", NULL, 0);
  ASSERT_EQ(1000, count_lines(fmt("Scraping %s/get", base)));
  has("1000 pages scraped, at most 100 at once, in ");
  ASSERT_GE(number_after("at most 100 at once, in ", 0), 9.9);
  return 0;
}
