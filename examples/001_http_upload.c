/*
 * Port of seed 001's "post数据的几种方式": (1) a form (data=dict, urlencoded);
 * (2) JSON (data=json.dumps(payload)); (3) a small file as multipart form
 * data, with filename and content type (FormData.add_field); (4) a large
 * file streamed without reading it into memory, once as a file given as
 * data and once through a file_sender generator; (5) a body compressed
 * before sending, with Content-Encoding: deflate.
 *
 * The base URL comes from WEFT_HTTPBIN (default https://httpbin.org). The
 * files are made in a temporary directory, removed at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <weft.h>

#define HUGE_LINES 20000 /* 20000 lines of 64 bytes: 1.28 MB */

static char base[256], dir[256], report[320], huge[320];
static weft_http_session *session;

/* POST to /post under a title; *j is the JSON the server echoed. */
static int post(const char *title, const weft_http_request_opts *o, json_t **j) {
  weft_http_response *r;
  char u[512];
  int rc;

  printf("--- %s ---\n", title);
  snprintf(u, sizeof u, "%s/post", base);
  if ((rc = weft_http_post(session, u, o, &r)) == 0)
    rc = weft_http_response_json(r, NULL, j);
  weft_http_response_free(r);
  return rc;
}

/* POST, then print the fields of the echoed JSON named in keys. */
static int post_fields(const char *title, const weft_http_request_opts *o,
                       const char *const *keys) {
  json_t *j = NULL;
  int rc = post(title, o, &j);

  for (; rc == 0 && *keys; keys++) {
    char *v = json_dumps(json_object_get(j, *keys), JSON_ENCODE_ANY | JSON_SORT_KEYS);
    printf("%s: %s\n", *keys, v ? v : "null");
    free(v);
  }
  json_decref(j);
  return rc;
}

/* The echoed "data" is 1.28 MB: print its length and how it was sent. */
static int post_huge(const char *title, const weft_http_request_opts *o) {
  json_t *j = NULL, *h;
  const char *te, *cl;
  int rc = post(title, o, &j);

  if (rc == 0) {
    h = json_object_get(j, "headers");
    te = json_string_value(json_object_get(h, "Transfer-Encoding"));
    cl = json_string_value(json_object_get(h, "Content-Length"));
    printf("the server got %zu bytes (%s%s)\n", json_string_length(json_object_get(j, "data")),
           te ? "Transfer-Encoding: " : "Content-Length: ",
           te   ? te
           : cl ? cl
                : "?");
  }
  json_decref(j);
  return rc;
}

/* @aiohttp.streamer def file_sender(writer, file_name): 64 KiB at a time */
static int file_sender(void *arg, void *buf, size_t cap, size_t *len) {
  ssize_t n = weft_file_read(arg, buf, cap < 65536 ? cap : 65536);

  if (n < 0)
    return (int)n;
  *len = (size_t)n;
  return 0;
}

static int streamed(void) {
  weft_http_request_opts as_file = {.data_file = huge};
  weft_http_request_opts gen = {.source = file_sender, .source_len = -1};
  weft_file *f;
  int rc;

  if ((rc = post_huge("(4) a large file as data", &as_file)) != 0)
    return rc;
  if ((rc = weft_file_open(&f, huge, "r")) != 0)
    return rc;
  gen.source_arg = f;
  rc = post_huge("(4) a large file from file_sender", &gen);
  weft_file_close(f);
  return rc;
}

/* data = zlib.compress(my_data), made ahead of time */
static const unsigned char compressed[] = {
    0x78, 0x9c, 0xcb, 0xad, 0x8c, 0x4f, 0x49, 0x2c, 0x49, 0xb4, 0x52, 0x28, 0xc9, 0xc8, 0x2c,
    0x56, 0x48, 0xca, 0x4f, 0xa9, 0x54, 0x28, 0x4f, 0x2c, 0x56, 0x48, 0xce, 0xcf, 0x2d, 0x28,
    0x4a, 0x2d, 0x2e, 0x4e, 0x4d, 0x51, 0x48, 0x4a, 0x4d, 0xcb, 0x2f, 0x4a, 0x55, 0xc8, 0x2c,
    0x01, 0x4b, 0x14, 0xa7, 0xe6, 0x95, 0xe8, 0x28, 0x94, 0x67, 0x96, 0x64, 0x28, 0x54, 0xe5,
    0x64, 0x26, 0xe9, 0xc1, 0x14, 0x72, 0xe5, 0x0e, 0x5f, 0x83, 0x00, 0x7f, 0xcd, 0x6b, 0x45};

static int uploads(void) {
  static const weft_http_pair payload[] = {{"key1", "value1"}, {"key2", "value2"}};
  static const char *const form_keys[] = {"form", NULL}, *const json_keys[] = {"json", NULL};
  static const char *const file_keys[] = {"files", NULL}, *const data_keys[] = {"data", NULL};
  weft_http_part file = {.name = "file",
                         .path = report,
                         .filename = "report.xls",
                         .content_type = "application/vnd.ms-excel"};
  weft_http_request_opts form = {.form = payload, .n_form = 2};
  weft_http_request_opts json = {.json = "{\"some\": \"data\"}"};
  weft_http_request_opts multi = {.multipart = &file, .n_multipart = 1};
  weft_http_request_opts deflated = {
      .data = compressed, .data_len = sizeof compressed, .content_encoding = "deflate"};
  int rc;

  if ((rc = post_fields("(1) a form", &form, form_keys)) == 0 &&
      (rc = post_fields("(2) json", &json, json_keys)) == 0 &&
      (rc = post_fields("(3) a small file, multipart", &multi, file_keys)) == 0 &&
      (rc = streamed()) == 0)
    rc = post_fields("(5) pre-compressed, Content-Encoding: deflate", &deflated, data_keys);
  return rc;
}

/* report.xls (a few bytes) and huge_file (1.28 MB of text lines). */
static int make_files(void) {
  char line[65];
  weft_file *f;
  int rc;

  snprintf(report, sizeof report, "%s/report.xls", dir);
  snprintf(huge, sizeof huge, "%s/huge_file", dir);
  if ((rc = weft_file_open(&f, report, "w")) != 0)
    return rc;
  weft_file_write(f, "id,name\n1,weft\n", 15);
  if ((rc = weft_file_close(f)) != 0 || (rc = weft_file_open(&f, huge, "w")) != 0)
    return rc;
  for (int i = 0; i < HUGE_LINES && rc == 0; i++) {
    snprintf(line, sizeof line, "line %08d of the huge file, streamed from the disk.........\n", i);
    rc = weft_file_write(f, line, 64) == 64 ? 0 : -EIO;
  }
  int rc2 = weft_file_close(f);
  return rc ? rc : rc2;
}

static void *amain(void *arg) {
  char *d;
  int rc;

  (void)arg;
  if ((rc = weft_fs_mkdtemp("/tmp/weft-upload-XXXXXX", &d)) != 0)
    return weft_fail(rc, "mkdtemp");
  snprintf(dir, sizeof dir, "%s", d);
  weft_free(d);
  if ((rc = make_files()) == 0 && (rc = weft_http_session_new(&session, NULL)) == 0) {
    if ((rc = uploads()) != 0)
      printf("error: %s\n", weft_http_last_error());
    weft_http_session_close(session);
    weft_http_session_free(session);
  }
  weft_fs_remove(report);
  weft_fs_remove(huge);
  weft_fs_rmdir(dir);
  return rc ? weft_fail(rc, "upload") : NULL;
}

int main(void) {
  const char *b = getenv("WEFT_HTTPBIN");

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://httpbin.org");
  return weft_run(amain, NULL, NULL) ? 1 : 0;
}
