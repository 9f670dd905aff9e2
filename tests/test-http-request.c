/* HTTP client requests against httpbin: methods, query parameters,
 * headers, every kind of body (bytes, form, JSON, multipart, streamed,
 * file, pre-compressed, Expect: 100-continue), response decompression,
 * bad URLs, and CR/LF injection refused before anything is sent. */
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test-http-util.h"

static http_peer peer;

/* Runs fn as the main task with httpbin started for it. */
static int with_httpbin(weft_task_fn fn) {
  int rc;

  httpbin_start(&peer, 0);
  rc = weft_test_run(fn, NULL, NULL);
  http_peer_stop(&peer);
  return rc;
}

static weft_http_session *session_open(int no_decompress) {
  weft_http_session_opts o = {
      .base_url = peer.url, .no_decompress = no_decompress, .timeout = {.total = 10}};
  weft_http_session *s;

  ASSERT_OK(weft_http_session_new(&s, &o));
  return s;
}

static const char *header_seen(const json_t *j, const char *name) {
  return http_json_field(j, "headers", name);
}

static void fails_with(weft_http_session *s, const char *method, const char *url,
                       const weft_http_request_opts *o, int code) {
  weft_http_response *r = (weft_http_response *)&r;
  int rc = weft_http_request(s, method, url, o, &r);

  if (rc != code)
    fprintf(stderr, "%s %.80s: %d (%s), want %d\n", method, url, rc, weft_http_last_error(), code);
  ASSERT_EQ(rc, code);
  ASSERT_NULL(r);
  ASSERT(weft_http_last_error()[0] != '\0');
}

static void sha256_hex(const void *data, size_t len, char hex[65]) {
  unsigned char md[32];
  unsigned int n = 0;

  ASSERT_EQ(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
  for (unsigned int i = 0; i < n; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* /upload-sha256 saw exactly bytes with this digest. */
static void upload_is(json_t *j, const char *hex, size_t bytes) {
  ASSERT_STR_EQ(http_json_field(j, NULL, "sha256"), hex);
  ASSERT_EQ(json_integer_value(json_object_get(j, "bytes")), (json_int_t)bytes);
  json_decref(j);
}

/* A file in /tmp holding len bytes of data; path is filled. */
static void temp_file(char path[64], const void *data, size_t len) {
  int fd;

  snprintf(path, 64, "/tmp/weft-http-req-XXXXXX");
  fd = mkstemp(path);
  ASSERT(fd >= 0);
  ASSERT_EQ(write(fd, data, len), (ssize_t)len);
  close(fd);
}

/* ---- methods --------------------------------------------------------- */

static void *methods_main(void *arg) {
  static const char *const methods[] = {"GET",     "POST",  "PUT",  "DELETE",
                                        "OPTIONS", "PATCH", "PURGE"};
  weft_http_session *s = session_open(0);
  weft_http_response *r;
  const void *body;
  size_t len = 1;
  char want[256];
  json_t *j;

  (void)arg;
  snprintf(want, sizeof want, "%s/anything/m", peer.url);
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
    j = http_call_json(s, methods[i], "/anything/m", NULL);
    ASSERT_STR_EQ(http_json_field(j, NULL, "method"), methods[i]);
    ASSERT_STR_EQ(http_json_field(j, NULL, "url"), want);
    json_decref(j);
  }
  /* the wrappers send their own method */
  ASSERT_OK(weft_http_patch(s, "/anything", NULL, &r));
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  ASSERT_STR_EQ(http_json_field(j, NULL, "method"), "PATCH");
  json_decref(j);
  weft_http_response_free(r);
  /* HEAD: the headers of a GET, no body */
  ASSERT_OK(weft_http_head(s, "/anything", NULL, &r));
  ASSERT_EQ(weft_http_response_status(r), 200);
  ASSERT_STR_EQ(weft_http_response_content_type(r), "application/json");
  ASSERT_GT(weft_http_response_content_length(r), 0);
  ASSERT_OK(weft_http_response_read(r, 0, &body, &len));
  ASSERT_EQ(len, 0u);
  weft_http_response_free(r);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_methods) {
  return with_httpbin(methods_main);
}

/* ---- refused before sending ------------------------------------------- */

/* A listening socket that never accepts: a request that reached it would
 * show as a pending connection. */
static int listener(char url[64]) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof sa;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  ASSERT(fd >= 0);
  ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof sa));
  ASSERT_OK(listen(fd, 16));
  ASSERT_OK(getsockname(fd, (struct sockaddr *)&sa, &sl));
  snprintf(url, 64, "http://127.0.0.1:%d/x", ntohs(sa.sin_port));
  return fd;
}

static void nothing_connected(int fd) {
  ASSERT_EQ(accept(fd, NULL, NULL), -1);
  ASSERT(errno == EAGAIN || errno == EWOULDBLOCK);
}

static const char *const bad_headers[][2] = {
    {"X-A: b\r\nX-Evil: 1", NULL}, {"X-A: b\nX-Evil: 1", NULL}, {"X-A: b\r", NULL},
    {"X-A\r\nX-Evil: 1", NULL},    {"X\r-A: b", NULL},
};

static void bad_requests(weft_http_session *s, const char *url) {
  const weft_http_pair crlf_name[] = {{"a", "1"}, {"b\r\nX-Evil: 1", "2"}};
  const weft_http_pair lf_value[] = {{"a", "1\nX-Evil: 1"}};
  weft_http_request_opts o = {.timeout = {.total = 1}};
  char crlf_url[128];

  fails_with(s, "GET /x HTTP/1.1\r\nX-Evil: 1\r\n\r\nGET", url, &o, WEFT_HTTP_EINJECT);
  fails_with(s, "GET\r", url, &o, WEFT_HTTP_EINJECT);
  fails_with(s, "GET\n", url, &o, WEFT_HTTP_EINJECT);
  /* not a token: a bad argument */
  fails_with(s, "GE T", url, &o, -EINVAL);
  fails_with(s, "GET /x", url, &o, -EINVAL);
  fails_with(s, "GET\t", url, &o, -EINVAL);
  for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0]; i++) {
    o.headers = bad_headers[i];
    fails_with(s, "GET", url, &o, WEFT_HTTP_EINJECT);
  }
  o.headers = NULL;
  snprintf(crlf_url, sizeof crlf_url, "%s\r\nX-Evil: 1", url);
  fails_with(s, "GET", crlf_url, &o, WEFT_HTTP_EINJECT);
  snprintf(crlf_url, sizeof crlf_url, "%s?a=1\nb", url);
  fails_with(s, "GET", crlf_url, &o, WEFT_HTTP_EINJECT);
  o.params = crlf_name;
  o.n_params = 2;
  fails_with(s, "GET", url, &o, WEFT_HTTP_EINJECT);
  o.params = lf_value;
  o.n_params = 1;
  fails_with(s, "GET", url, &o, WEFT_HTTP_EINJECT);
  o.params = NULL;
  o.n_params = 0;
  o.params_raw = "a=1\r\nX-Evil: 1";
  fails_with(s, "GET", url, &o, WEFT_HTTP_EINJECT);
}

/* Body options that would put CR/LF in the request head. */
static void bad_body_headers(weft_http_session *s, const char *url) {
  const weft_http_part part = {
      .name = "f", .data = "x", .len = 1, .content_type = "text/a\r\nX: 1"};
  weft_http_request_opts o = {.timeout = {.total = 1}, .data = "x", .data_len = 1};

  o.content_type = "text/plain\r\nX-Evil: 1";
  fails_with(s, "POST", url, &o, WEFT_HTTP_EINJECT);
  o.content_type = NULL;
  o.content_encoding = "gzip\nX-Evil: 1";
  fails_with(s, "POST", url, &o, WEFT_HTTP_EINJECT);
  o.content_encoding = NULL;
  o.data = NULL;
  o.multipart = &part;
  o.n_multipart = 1;
  fails_with(s, "POST", url, &o, WEFT_HTTP_EINJECT);
}

/* A session whose User-Agent holds CR/LF: each request is refused, not
 * only the first (the session's default headers are never half built). */
static void bad_user_agent(const char *url) {
  weft_http_session *s;

  ASSERT_OK(weft_http_session_new(&s, &(weft_http_session_opts){.user_agent = "a\r\nX-Evil: 1"}));
  fails_with(s, "GET", url, NULL, WEFT_HTTP_EINJECT);
  ASSERT(strstr(weft_http_last_error(), "User-Agent") != NULL);
  fails_with(s, "GET", url, NULL, WEFT_HTTP_EINJECT);
  http_session_done(s);
}

static void *inject_main(void *arg) {
  weft_http_session *s = session_open(0);
  char url[64];
  int fd = listener(url);
  json_t *j;

  (void)arg;
  bad_requests(s, url);
  bad_body_headers(s, url);
  bad_user_agent(url);
  nothing_connected(fd);
  close(fd);
  /* the session still works */
  j = http_call_json(s, "GET", "/anything", NULL);
  ASSERT_STR_EQ(http_json_field(j, NULL, "method"), "GET");
  json_decref(j);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_injection_refused) {
  return with_httpbin(inject_main);
}

/* ---- query parameters ---------------------------------------------------- */

static const weft_http_pair params[] = {
    {"a", "1"},
    {"a", "2"},
    {"sp ace", "x y"},
    {"plus", "1+1"},
    {"amp", "a&b"},
    {"eq", "k=v"},
    {"utf", "\xc3\xa9\xe2\x82\xac"},
    {"safe", "/:?@"},
    {"sub", "!$'()*,"},
    {"empty", ""},
};

#define PARAMS_QUERY                                                                    \
  "a=1&a=2&sp+ace=x+y&plus=1%2B1&amp=a%26b&eq=k%3Dv&utf=%C3%A9%E2%82%AC&safe=/:?@&sub=" \
  "!$'()*,&empty="

static void params_seen(const json_t *j) {
  const json_t *a = json_object_get(json_object_get(j, "args"), "a");

  ASSERT_EQ(json_array_size(a), 2u);
  ASSERT_STR_EQ(json_string_value(json_array_get(a, 0)), "1");
  ASSERT_STR_EQ(json_string_value(json_array_get(a, 1)), "2");
  ASSERT_STR_EQ(http_json_field(j, "args", "sp ace"), "x y");
  ASSERT_STR_EQ(http_json_field(j, "args", "plus"), "1+1");
  ASSERT_STR_EQ(http_json_field(j, "args", "amp"), "a&b");
  ASSERT_STR_EQ(http_json_field(j, "args", "eq"), "k=v");
  ASSERT_STR_EQ(http_json_field(j, "args", "utf"), "\xc3\xa9\xe2\x82\xac");
  ASSERT_STR_EQ(http_json_field(j, "args", "safe"), "/:?@");
  ASSERT_STR_EQ(http_json_field(j, "args", "sub"), "!$'()*,");
  ASSERT_STR_EQ(http_json_field(j, "args", "empty"), "");
}

static void *params_main(void *arg) {
  weft_http_session *s = session_open(0);
  weft_http_request_opts o = {.params = params, .n_params = sizeof params / sizeof params[0]};
  char want[512];
  weft_http_response *r;
  json_t *j;

  (void)arg;
  r = http_send_ok(s, "GET", "/anything", &o);
  snprintf(want, sizeof want, "%s/anything?%s", peer.url, PARAMS_QUERY);
  ASSERT_STR_EQ(weft_http_response_url(r), want);
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  weft_http_response_free(r);
  params_seen(j);
  json_decref(j);
  /* appended to the URL's own query, before its fragment */
  o.params = params + 3;
  o.n_params = 1;
  r = http_send_ok(s, "GET", "/anything?x=0#frag", &o);
  snprintf(want, sizeof want, "%s/anything?x=0&plus=1%%2B1", peer.url);
  ASSERT_STR_EQ(weft_http_response_url(r), want); /* resp.url drops the fragment */
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  weft_http_response_free(r);
  ASSERT_STR_EQ(http_json_field(j, NULL, "url"), want);
  json_decref(j);
  /* a raw string goes as is: '+' is a space to the server */
  o = (weft_http_request_opts){.params_raw = "key=value+1&k2=%41"};
  r = http_send_ok(s, "GET", "/anything", &o);
  snprintf(want, sizeof want, "%s/anything?key=value+1&k2=%%41", peer.url);
  ASSERT_STR_EQ(weft_http_response_url(r), want);
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  weft_http_response_free(r);
  ASSERT_STR_EQ(http_json_field(j, "args", "key"), "value 1");
  ASSERT_STR_EQ(http_json_field(j, "args", "k2"), "A");
  json_decref(j);
  /* non-ASCII and spaces in the URL itself are percent-encoded */
  r = http_send_ok(s, "GET", "/anything/\xc3\xa9?q=\xc3\xbc x", NULL);
  snprintf(want, sizeof want, "%s/anything/%%C3%%A9?q=%%C3%%BC%%20x", peer.url);
  ASSERT_STR_EQ(weft_http_response_url(r), want);
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  weft_http_response_free(r);
  ASSERT_STR_EQ(http_json_field(j, "args", "q"), "\xc3\xbc x");
  json_decref(j);
  /* pairs then the raw string */
  o = (weft_http_request_opts){.params = params, .n_params = 1, .params_raw = "b=2"};
  j = http_call_json(s, "GET", "/anything", &o);
  ASSERT_STR_EQ(http_json_field(j, "args", "a"), "1");
  ASSERT_STR_EQ(http_json_field(j, "args", "b"), "2");
  json_decref(j);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_params) {
  return with_httpbin(params_main);
}

/* ---- headers ----------------------------------------------------------------- */

static void *headers_main(void *arg) {
  const char *const hdrs[] = {"X-Rep: one", "x-rep: two", "X-Empty:", "X-Spaced:   v", NULL};
  weft_http_request_opts o = {.headers = hdrs};
  weft_http_session *s = session_open(0);
  json_t *j;

  (void)arg;
  j = http_call_json(s, "GET", "/headers", &o);
  /* httpbin joins repeated headers with ',' */
  ASSERT_STR_EQ(header_seen(j, "X-Rep"), "one,two");
  ASSERT_STR_EQ(header_seen(j, "X-Empty"), "");
  ASSERT_STR_EQ(header_seen(j, "X-Spaced"), "v");
  ASSERT_NOT_NULL(header_seen(j, "User-Agent"));
  json_decref(j);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_headers_repeated) {
  return with_httpbin(headers_main);
}

/* ---- bytes and strings ------------------------------------------------------- */

static void bytes_bodies(weft_http_session *s) {
  static const char bin[] = "a\0b\xff\xfe\x00\r\n";
  weft_http_request_opts o = {.data = bin, .data_len = sizeof bin};
  char hex[65];
  json_t *j;

  j = http_call_json(s, "POST", "/anything", &o);
  ASSERT_STR_EQ(http_json_field(j, NULL, "data"),
                "data:application/octet-stream;base64,YQBi//4ADQoA");
  ASSERT_STR_EQ(header_seen(j, "Content-Type"), "application/octet-stream");
  ASSERT_STR_EQ(header_seen(j, "Content-Length"), "9");
  json_decref(j);
  sha256_hex(bin, sizeof bin, hex);
  upload_is(http_call_json(s, "PUT", "/upload-sha256", &o), hex, sizeof bin);
  /* zero bytes */
  o = (weft_http_request_opts){.data = "", .data_len = 0};
  j = http_call_json(s, "PUT", "/anything", &o);
  ASSERT_STR_EQ(http_json_field(j, NULL, "data"), "");
  ASSERT_STR_EQ(header_seen(j, "Content-Length"), "0");
  json_decref(j);
}

static void string_bodies(weft_http_session *s) {
  weft_http_request_opts o = {.data = "h\xc3\xa9llo w\xc3\xb6rld", .data_len = (size_t)-1};
  json_t *j;

  j = http_call_json(s, "PATCH", "/anything", &o);
  ASSERT_STR_EQ(http_json_field(j, NULL, "method"), "PATCH");
  ASSERT_STR_EQ(http_json_field(j, NULL, "data"), "h\xc3\xa9llo w\xc3\xb6rld");
  ASSERT_STR_EQ(header_seen(j, "Content-Length"), "13");
  json_decref(j);
  /* content_type overrides the default; a body with GET is sent too */
  o.content_type = "text/plain; charset=utf-8";
  j = http_call_json(s, "GET", "/anything", &o);
  ASSERT_STR_EQ(header_seen(j, "Content-Type"), "text/plain; charset=utf-8");
  ASSERT_STR_EQ(http_json_field(j, NULL, "data"), "h\xc3\xa9llo w\xc3\xb6rld");
  json_decref(j);
  /* POST without a body says Content-Length: 0 */
  j = http_call_json(s, "POST", "/anything", NULL);
  ASSERT_STR_EQ(header_seen(j, "Content-Length"), "0");
  json_decref(j);
}

static void *bytes_main(void *arg) {
  weft_http_session *s = session_open(0);

  (void)arg;
  bytes_bodies(s);
  string_bodies(s);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_body_bytes) {
  return with_httpbin(bytes_main);
}

/* ---- forms and JSON ----------------------------------------------------------- */

static const weft_http_pair form[] = {
    {"a", "1 2"}, {"b", "x&y=z"}, {"c", "\xc3\xa9+~"}, {"a", "3"}, {"d e", "/?%"}, {"f", ""},
};

static void *form_main(void *arg) {
  weft_http_request_opts o = {.form = form, .n_form = sizeof form / sizeof form[0]};
  weft_http_session *s = session_open(0);
  json_t *j;

  (void)arg;
  j = http_call_json(s, "POST", "/post", &o);
  ASSERT_STR_EQ(header_seen(j, "Content-Type"), "application/x-www-form-urlencoded");
  ASSERT_EQ(json_array_size(json_object_get(json_object_get(j, "form"), "a")), 2u);
  ASSERT_STR_EQ(http_json_field(j, "form", "b"), "x&y=z");
  ASSERT_STR_EQ(http_json_field(j, "form", "c"), "\xc3\xa9+~");
  ASSERT_STR_EQ(http_json_field(j, "form", "d e"), "/?%");
  ASSERT_STR_EQ(http_json_field(j, "form", "f"), "");
  json_decref(j);
  /* the bytes as aiohttp's urlencode (quote_plus) writes them */
  j = http_call_json(s, "POST", "/expect", &o);
  ASSERT_STR_EQ(http_json_field(j, NULL, "data"),
                "a=1+2&b=x%26y%3Dz&c=%C3%A9%2B~&a=3&d+e=%2F%3F%25&f=");
  json_decref(j);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_body_form) {
  return with_httpbin(form_main);
}

static void *json_main(void *arg) {
  weft_http_request_opts o = {.json = "{\"k\": [1, \"\xc3\xa9\", null], \"n\": {\"t\": true}}"};
  json_t *want = json_pack("{s:[i,s,n],s:{s:b}}", "k", 1, "\xc3\xa9", "n", "t", 1);
  weft_http_session *s = session_open(0);
  json_t *j;

  (void)arg;
  j = http_call_json(s, "POST", "/anything", &o);
  ASSERT_STR_EQ(header_seen(j, "Content-Type"), "application/json");
  ASSERT(json_equal(json_object_get(j, "json"), want));
  json_decref(j);
  o = (weft_http_request_opts){.json_value = want};
  j = http_call_json(s, "PUT", "/anything", &o);
  ASSERT_STR_EQ(header_seen(j, "Content-Type"), "application/json");
  ASSERT(json_equal(json_object_get(j, "json"), want));
  json_decref(j);
  /* two bodies at once are refused */
  o.data = "x";
  o.data_len = 1;
  fails_with(s, "POST", "/anything", &o, -EINVAL);
  json_decref(want);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_body_json) {
  return with_httpbin(json_main);
}

/* ---- multipart ------------------------------------------------------------------- */

static void multipart_echo(weft_http_session *s, const weft_http_part *parts, size_t n) {
  weft_http_request_opts o = {.multipart = parts, .n_multipart = n};
  json_t *j = http_call_json(s, "POST", "/post", &o);

  ASSERT(strncmp(header_seen(j, "Content-Type"), "multipart/form-data; boundary=", 30) == 0);
  ASSERT_STR_EQ(http_json_field(j, "form", "field"), "value \xc3\xa9");
  ASSERT_STR_EQ(http_json_field(j, "form", "second"), "2");
  ASSERT_STR_EQ(http_json_field(j, "files", "upload"), "col1,col2\n1,2\n");
  ASSERT_STR_EQ(http_json_field(j, "files", "named"), "from memory");
  json_decref(j);
}

/* The raw body names each part's filename and type. */
static void multipart_raw(weft_http_session *s, const weft_http_part *parts, size_t n) {
  weft_http_request_opts o = {.multipart = parts, .n_multipart = n};
  json_t *j = http_call_json(s, "POST", "/expect", &o);
  const char *data = http_json_field(j, NULL, "data");

  ASSERT_NOT_NULL(strstr(data, "name=\"upload\"; filename=\"report.csv\"\r\n"
                               "Content-Type: text/csv\r\n\r\ncol1,col2\n1,2\n"));
  ASSERT_NOT_NULL(strstr(data, "name=\"named\"; filename=\"mem.bin\"\r\n"
                               "Content-Type: application/x-test\r\n"));
  ASSERT_NOT_NULL(strstr(data, "name=\"field\"\r\n"));
  json_decref(j);
}

static void *multipart_main(void *arg) {
  static const char csv[] = "col1,col2\n1,2\n";
  char path[64];
  weft_http_session *s = session_open(0);
  weft_http_part parts[] = {
      {.name = "field", .data = "value \xc3\xa9", .len = (size_t)-1},
      {.name = "upload", .path = path, .filename = "report.csv", .content_type = "text/csv"},
      {.name = "second", .data = "2x", .len = 1},
      {.name = "named",
       .data = "from memory",
       .len = (size_t)-1,
       .filename = "mem.bin",
       .content_type = "application/x-test"},
  };
  weft_http_request_opts o = {.multipart = parts, .n_multipart = 2};

  (void)arg;
  temp_file(path, csv, sizeof csv - 1);
  multipart_echo(s, parts, 4);
  multipart_raw(s, parts, 4);
  /* a file that is not there fails before anything is sent */
  unlink(path);
  fails_with(s, "POST", "/post", &o, -ENOENT);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_body_multipart) {
  return with_httpbin(multipart_main);
}

/* ---- streamed sources -------------------------------------------------------------- */

typedef struct source {
  size_t left;   /* bytes still to produce */
  size_t fail;   /* fail with -EIO once this many were produced (0: never) */
  size_t sent;   /* produced so far */
  unsigned call; /* calls made */
  uint32_t x;    /* xorshift state */
  EVP_MD_CTX *md;
} source;

static int source_fill(void *arg, void *buf, size_t cap, size_t *len) {
  static const size_t sizes[] = {1, 4093, 17, 65536, 333, 100000, 7, 2048};
  source *src = arg;
  size_t n = sizes[src->call++ % (sizeof sizes / sizeof sizes[0])];
  unsigned char *p = buf;

  *len = 0;
  if (src->fail && src->sent >= src->fail)
    return -EIO;
  if (src->call % 5 == 0)
    ASSERT_OK(weft_yield()); /* a source may suspend */
  n = n < cap ? n : cap;
  n = n < src->left ? n : src->left;
  for (size_t i = 0; i < n; i++) {
    src->x ^= src->x << 13;
    src->x ^= src->x >> 17;
    src->x ^= src->x << 5;
    p[i] = (unsigned char)src->x;
  }
  if (src->md)
    ASSERT_EQ(EVP_DigestUpdate(src->md, p, n), 1);
  src->left -= n;
  src->sent += n;
  *len = n;
  return 0;
}

static void source_digest(source *src, char hex[65]) {
  unsigned char md[32];
  unsigned int n = 0;

  ASSERT_EQ(EVP_DigestFinal_ex(src->md, md, &n), 1);
  EVP_MD_CTX_free(src->md);
  src->md = NULL;
  for (unsigned int i = 0; i < n; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void *stream_main(void *arg) {
  const size_t total = 5u << 20;
  source src = {.left = total, .x = 2463534242u, .md = EVP_MD_CTX_new()};
  weft_http_request_opts o = {.source = source_fill, .source_arg = &src, .source_len = -1};
  weft_http_session *s = session_open(0);
  char hex[65];
  json_t *j;

  (void)arg;
  ASSERT_EQ(EVP_DigestInit_ex(src.md, EVP_sha256(), NULL), 1);
  j = http_call_json(s, "POST", "/upload-sha256", &o);
  source_digest(&src, hex);
  ASSERT_EQ(src.sent, total);
  upload_is(j, hex, total);
  /* unknown size: sent chunked */
  src = (source){.left = 1000, .x = 1};
  j = http_call_json(s, "PUT", "/anything", &o);
  ASSERT_STR_EQ(header_seen(j, "Transfer-Encoding"), "chunked");
  ASSERT_NULL(header_seen(j, "Content-Length"));
  ASSERT_STR_EQ(header_seen(j, "Content-Type"), "application/octet-stream");
  json_decref(j);
  /* a known size: Content-Length */
  src = (source){.left = 70000, .x = 1};
  o.source_len = 70000;
  j = http_call_json(s, "POST", "/anything", &o);
  ASSERT_STR_EQ(header_seen(j, "Content-Length"), "70000");
  ASSERT_NULL(header_seen(j, "Transfer-Encoding"));
  json_decref(j);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_body_stream) {
  return with_httpbin(stream_main);
}

static void *source_error_main(void *arg) {
  source src = {.left = 1u << 20, .fail = 100000, .x = 7};
  weft_http_request_opts o = {.source = source_fill, .source_arg = &src};
  weft_http_session *s = session_open(0);
  json_t *j;

  (void)arg;
  fails_with(s, "POST", "/upload-sha256", &o, -EIO);
  ASSERT_GE(src.sent, 100000u);
  ASSERT_LT(src.sent, 1u << 20);
  /* the session goes on */
  j = http_call_json(s, "GET", "/get?after=1", NULL);
  ASSERT_STR_EQ(http_json_field(j, "args", "after"), "1");
  json_decref(j);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_body_source_error) {
  return with_httpbin(source_error_main);
}

/* ---- files, pre-compressed bodies, Expect ----------------------------------------- */

static void *data_file_main(void *arg) {
  const size_t size = 300001;
  unsigned char *buf = malloc(size);
  weft_http_request_opts o = {0};
  weft_http_session *s = session_open(0);
  char path[64], hex[65];
  json_t *j;

  (void)arg;
  for (size_t i = 0; i < size; i++)
    buf[i] = (unsigned char)(i * 131 + (i >> 9));
  temp_file(path, buf, size);
  sha256_hex(buf, size, hex);
  o.data_file = path;
  upload_is(http_call_json(s, "POST", "/upload-sha256", &o), hex, size);
  j = http_call_json(s, "PUT", "/anything", &o);
  ASSERT_STR_EQ(header_seen(j, "Content-Length"), "300001");
  ASSERT_STR_EQ(header_seen(j, "Content-Type"), "application/octet-stream");
  json_decref(j);
  unlink(path);
  fails_with(s, "POST", "/anything", &o, -ENOENT);
  free(buf);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_body_data_file) {
  return with_httpbin(data_file_main);
}

/* gzip of "weft sends this gzip body untouched\n" (mtime 0). */
static const unsigned char gz[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x2b, 0x4f, 0x4d, 0x2b,
    0x51, 0x28, 0x4e, 0xcd, 0x4b, 0x29, 0x56, 0x28, 0xc9, 0xc8, 0x2c, 0x56, 0x48, 0xaf,
    0xca, 0x2c, 0x50, 0x48, 0xca, 0x4f, 0xa9, 0x54, 0x28, 0xcd, 0x2b, 0xc9, 0x2f, 0x4d,
    0xce, 0x48, 0x4d, 0xe1, 0x02, 0x00, 0xde, 0xe5, 0xf7, 0x21, 0x24, 0x00, 0x00, 0x00};

static void *precompressed_main(void *arg) {
  weft_http_request_opts o = {
      .data = gz, .data_len = sizeof gz, .content_encoding = "gzip", .content_type = "text/plain"};
  weft_http_session *s = session_open(0);
  json_t *j;

  (void)arg;
  /* the server inflates what it got: the bytes went as given */
  j = http_call_json(s, "POST", "/anything", &o);
  ASSERT_STR_EQ(header_seen(j, "Content-Encoding"), "gzip");
  ASSERT_STR_EQ(header_seen(j, "Content-Length"), "56");
  ASSERT_STR_EQ(header_seen(j, "Content-Type"), "text/plain");
  ASSERT_STR_EQ(http_json_field(j, NULL, "data"), "weft sends this gzip body untouched\n");
  json_decref(j);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_body_precompressed) {
  return with_httpbin(precompressed_main);
}

static void *expect_main(void *arg) {
  const size_t big = 2u << 20;
  char *buf = malloc(big);
  weft_http_request_opts o = {.data = "0123456789", .data_len = 10, .expect_continue = 1};
  weft_http_session *s = session_open(0);
  json_t *j;

  (void)arg;
  j = http_call_json(s, "POST", "/expect", &o);
  ASSERT_STR_EQ(http_json_field(j, NULL, "expect"), "100-continue");
  ASSERT_EQ(json_integer_value(json_object_get(j, "bytes")), 10);
  ASSERT_STR_EQ(http_json_field(j, NULL, "data"), "0123456789");
  json_decref(j);
  /* a large body without it: curl's own Expect is not sent */
  memset(buf, 'e', big);
  o = (weft_http_request_opts){.data = buf, .data_len = big};
  j = http_call_json(s, "PUT", "/expect", &o);
  ASSERT(json_is_null(json_object_get(j, "expect")));
  ASSERT_EQ(json_integer_value(json_object_get(j, "bytes")), (json_int_t)big);
  json_decref(j);
  /* with a streamed body of unknown size */
  source src = {.left = 3000, .x = 3};
  o = (weft_http_request_opts){.source = source_fill, .source_arg = &src, .expect_continue = 1};
  j = http_call_json(s, "POST", "/expect", &o);
  ASSERT_STR_EQ(http_json_field(j, NULL, "expect"), "100-continue");
  ASSERT_EQ(json_integer_value(json_object_get(j, "bytes")), 3000);
  json_decref(j);
  free(buf);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_expect_continue) {
  return with_httpbin(expect_main);
}

/* ---- decompression ------------------------------------------------------------------- */

static void decoded(weft_http_session *s, const char *route, const char *key) {
  weft_http_response *r = http_send_ok(s, "GET", route, NULL);
  const char *ae;
  json_t *j;

  ASSERT_EQ(weft_http_response_status(r), 200);
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  weft_http_response_free(r);
  ASSERT(json_is_true(json_object_get(j, key)));
  ae = header_seen(j, "Accept-Encoding");
  ASSERT_NOT_NULL(ae);
  ASSERT_NOT_NULL(strstr(ae, "gzip"));
  ASSERT_NOT_NULL(strstr(ae, "deflate"));
  json_decref(j);
}

static void brotli_decoded(weft_http_session *s) {
  weft_http_response *r = http_send_ok(s, "GET", "/brotli", NULL);
  json_t *j;

  /* python3-brotli is a test dependency (scripts/bootstrap-deps) */
  ASSERT_EQ(weft_http_response_status(r), 200);
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  weft_http_response_free(r);
  ASSERT(json_is_true(json_object_get(j, "brotli")));
  json_decref(j);
}

/* A request that names its own Accept-Encoding sends only that one, and
 * what comes back is still decoded. */
static void own_accept_encoding(weft_http_session *s) {
  static const char *const h[] = {"Accept-Encoding: gzip", NULL};
  json_t *j = http_call_json(s, "GET", "/gzip", &(weft_http_request_opts){.headers = h});

  ASSERT(json_is_true(json_object_get(j, "gzipped")));
  ASSERT_STR_EQ(header_seen(j, "Accept-Encoding"), "gzip");
  json_decref(j);
}

/* The same named among the session's headers. */
static void session_accept_encoding(void) {
  static const char *const h[] = {"Accept-Encoding: deflate", NULL};
  weft_http_session *s;
  json_t *j;

  ASSERT_OK(
      weft_http_session_new(&s, &(weft_http_session_opts){.base_url = peer.url, .headers = h}));
  j = http_call_json(s, "GET", "/deflate", NULL);
  ASSERT(json_is_true(json_object_get(j, "deflated")));
  ASSERT_STR_EQ(header_seen(j, "Accept-Encoding"), "deflate");
  json_decref(j);
  http_session_done(s);
}

static void *decompress_main(void *arg) {
  weft_http_session *s = session_open(0);

  (void)arg;
  decoded(s, "/gzip", "gzipped");
  decoded(s, "/deflate", "deflated");
  brotli_decoded(s);
  own_accept_encoding(s);
  session_accept_encoding();
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_decompress) {
  return with_httpbin(decompress_main);
}

static void *no_decompress_main(void *arg) {
  weft_http_session *s = session_open(1);
  json_t *j;

  (void)arg;
  http_get_gzip_as_sent(s);
  j = http_call_json(s, "GET", "/headers", NULL);
  ASSERT_NULL(header_seen(j, "Accept-Encoding"));
  json_decref(j);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_no_decompress) {
  return with_httpbin(no_decompress_main);
}

/* A body that says gzip but is not. */
static void *bad_gzip_main(void *arg) {
  const weft_http_pair ce[] = {{"Content-Encoding", "gzip"}};
  weft_http_request_opts o = {.params = ce, .n_params = 1};
  weft_http_session *s = session_open(0);
  weft_http_response *r = NULL;
  const void *body;
  size_t len;
  int rc;
  json_t *j;

  (void)arg;
  rc = weft_http_request(s, "GET", "/response-headers", &o, &r);
  if (rc == 0) {
    ASSERT_STR_EQ(weft_http_response_header(r, "Content-Encoding"), "gzip");
    rc = weft_http_response_read(r, 0, &body, &len);
    weft_http_response_free(r);
  }
  ASSERT_EQ(rc, WEFT_HTTP_EDECOMPRESS);
  ASSERT(weft_http_last_error()[0] != '\0');
  j = http_call_json(s, "GET", "/get", NULL);
  json_decref(j);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_decompress_invalid) {
  return with_httpbin(bad_gzip_main);
}

/* ---- bad URLs ---------------------------------------------------------------------- */

static void *bad_urls_main(void *arg) {
  weft_http_session *s;
  weft_http_response *r;
  const size_t n = 64u << 10;
  char *huge = malloc(n + 64);
  int rc;

  (void)arg;
  ASSERT_OK(weft_http_session_new(&s, &(weft_http_session_opts){.timeout = {.total = 5}}));
  fails_with(s, "GET", "", NULL, WEFT_HTTP_EURL);
  fails_with(s, "GET", "http://", NULL, WEFT_HTTP_EURL);
  fails_with(s, "GET", "http:///path", NULL, WEFT_HTTP_EURL);
  fails_with(s, "GET", "/relative/without/base", NULL, WEFT_HTTP_EURL);
  fails_with(s, "GET", "ftp://x/", NULL, WEFT_HTTP_ESCHEME);
  ASSERT_NOT_NULL(strstr(weft_http_last_error(), "ftp"));
  fails_with(s, "GET", "file:///etc/passwd", NULL, WEFT_HTTP_ESCHEME);
  fails_with(s, "GET", "http://exa mple.com/", NULL, WEFT_HTTP_EURL);
  /* 64 KiB: the server refuses the line, or an error; never a crash */
  snprintf(huge, n + 64, "%s/anything?x=", peer.url);
  memset(huge + strlen(huge), 'a', n - strlen(huge));
  huge[n] = '\0';
  rc = weft_http_get(s, huge, NULL, &r);
  if (rc == 0) {
    ASSERT_GE(weft_http_response_status(r), 200);
    weft_http_response_free(r);
  } else {
    ASSERT_NULL(r);
  }
  free(huge);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_bad_urls) {
  return with_httpbin(bad_urls_main);
}

/* ---- bodies across redirects ------------------------------------------------------- */

/* 307/308 send the body again: a file is read again from its start. */
static void redirect_file(weft_http_session *s) {
  static const char text[] = "sent twice over a 307\n";
  const weft_http_pair to[] = {{"url", "/upload-sha256"}, {"status_code", "307"}};
  weft_http_request_opts o = {.params = to, .n_params = 2};
  weft_http_response *r;
  char path[64], hex[65];
  json_t *j;

  temp_file(path, text, sizeof text - 1);
  sha256_hex(text, sizeof text - 1, hex);
  o.data_file = path;
  r = http_send_ok(s, "POST", "/redirect-to", &o);
  ASSERT_EQ(weft_http_response_history_count(r), 1u);
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  weft_http_response_free(r);
  upload_is(j, hex, sizeof text - 1);
  unlink(path);
}

static void redirect_bodies(weft_http_session *s) {
  const weft_http_pair to308[] = {{"url", "/post"}, {"status_code", "308"}};
  const weft_http_pair to303[] = {{"url", "/anything"}, {"status_code", "303"}};
  const weft_http_part part = {.name = "p", .data = "multi", .len = (size_t)-1};
  weft_http_request_opts o = {.params = to308, .n_params = 2, .multipart = &part, .n_multipart = 1};
  json_t *j;

  j = http_call_json(s, "POST", "/redirect-to", &o);
  ASSERT_STR_EQ(http_json_field(j, "form", "p"), "multi");
  json_decref(j);
  /* 303: the next hop is a GET without the body */
  o = (weft_http_request_opts){.params = to303, .n_params = 2, .data = "gone", .data_len = 4};
  j = http_call_json(s, "POST", "/redirect-to", &o);
  ASSERT_STR_EQ(http_json_field(j, NULL, "method"), "GET");
  ASSERT_STR_EQ(http_json_field(j, NULL, "data"), "");
  ASSERT_NULL(header_seen(j, "Content-Type"));
  json_decref(j);
}

/* A streamed body cannot be sent twice: -ESPIPE, and the session goes on. */
static void redirect_source(weft_http_session *s) {
  const weft_http_pair to[] = {{"url", "/upload-sha256"}, {"status_code", "307"}};
  source src = {.left = 5000, .x = 9};
  weft_http_request_opts o = {
      .params = to, .n_params = 2, .source = source_fill, .source_arg = &src};
  json_t *j;

  fails_with(s, "POST", "/redirect-to", &o, -ESPIPE);
  j = http_call_json(s, "GET", "/get", NULL);
  json_decref(j);
}

static void *redirect_main(void *arg) {
  weft_http_session *s = session_open(0);

  (void)arg;
  redirect_file(s);
  redirect_bodies(s);
  redirect_source(s);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_body_redirect) {
  return with_httpbin(redirect_main);
}

/* A source gives the source_len it announced: ending early fails the
 * request (not a wait for the timeout); bytes past it are not read. */
static void *sized_source_main(void *arg) {
  source src = {.left = 1000, .x = 5};
  weft_http_request_opts o = {
      .source = source_fill, .source_arg = &src, .source_len = 5000, .timeout = {.total = 2}};
  weft_http_session *s = session_open(0);
  char hex[65];
  json_t *j;

  (void)arg;
  fails_with(s, "POST", "/upload-sha256", &o, -EINVAL);
  ASSERT_EQ(src.sent, 1000u);
  ASSERT_NOT_NULL(strstr(weft_http_last_error(), "source"));
  /* a longer source: its first source_len bytes, in pieces that do not
   * divide it */
  src = (source){.left = 200000, .x = 5, .md = EVP_MD_CTX_new()};
  ASSERT_EQ(EVP_DigestInit_ex(src.md, EVP_sha256(), NULL), 1);
  j = http_call_json(s, "POST", "/upload-sha256", &o);
  source_digest(&src, hex);
  ASSERT_EQ(src.sent, 5000u);
  upload_is(j, hex, 5000);
  http_session_done(s);
  return NULL;
}

TEST_IMPL(http_request_body_source_sized) {
  return with_httpbin(sized_source_main);
}
