/*
 * Request bodies as curl options: bytes, urlencoded forms and JSON as
 * POSTFIELDS (a copy owned by the body, so it outlives the caller's
 * options for as long as curl may send it), multipart via curl_mime (files
 * streamed by curl from disk), and streaming sources pumped by the engine.
 *
 * Options set here: CURLOPT_POST, CURLOPT_POSTFIELDS,
 * CURLOPT_POSTFIELDSIZE_LARGE, CURLOPT_MIMEPOST, CURLOPT_CUSTOMREQUEST
 * (any method but POST that carries a body: curl would send POST).
 * For a source (b->source non-NULL) the engine must set
 * CURLOPT_READFUNCTION / CURLOPT_READDATA to pump it; the size is
 * CURLOPT_POSTFIELDSIZE_LARGE (-1: curl sends "Transfer-Encoding: chunked"
 * over HTTP/1.1, DATA frames over HTTP/2). CURLOPT_UPLOAD is not used: it
 * would turn the request into a PUT.
 *
 * Headers appended: Content-Type (the body's default unless the request
 * already has one; an empty "Content-Type:" when there is no body, which
 * stops curl's form default), Content-Encoding, and "Expect: 100-continue"
 * or an empty "Expect:" that stops curl from adding it on its own.
 */
#include <inttypes.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "http/body_file.h"
#include "http/request.h"

static int count_bodies(const weft_http_request_opts *o) {
  return !!o->data + !!(o->form || o->n_form) + !!(o->multipart || o->n_multipart) + !!o->json +
         !!o->json_value + !!o->source + !!o->data_file;
}

static int add_header(struct curl_slist **headers, const char *line) {
  struct curl_slist *l = curl_slist_append(*headers, line);

  if (!l)
    return weft__http_fail(-ENOMEM, NULL);
  *headers = l;
  return 0;
}

static int add_header2(struct curl_slist **headers, const char *name, const char *value) {
  weft__http_sb sb = {0};
  int rc;

  if (strpbrk(value, "\r\n"))
    return weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in the %s", name);
  if (weft__http_sb_str(&sb, name) < 0 || weft__http_sb_add(&sb, ": ", 2) < 0 ||
      weft__http_sb_str(&sb, value) < 0) {
    weft_free(sb.s);
    return weft__http_fail(-ENOMEM, NULL);
  }
  rc = add_header(headers, sb.s);
  weft_free(sb.s);
  return rc;
}

static int names_content_type(const char *line) {
  return line && strncasecmp(line, "Content-Type", 12) == 0 && (line[12] == ':' || line[12] == ';');
}

/* The request sets Content-Type itself (in its options or the list). */
static int has_content_type(const weft_http_request_opts *o, struct curl_slist *headers) {
  for (const char *const *h = o->headers; h && *h; h++)
    if (names_content_type(*h))
      return 1;
  for (; headers; headers = headers->next)
    if (names_content_type(headers->data))
      return 1;
  return 0;
}

static int content_type(const weft_http_request_opts *o, const char *dflt,
                        struct curl_slist **headers) {
  if (o->content_type)
    return add_header2(headers, "Content-Type", o->content_type);
  if (has_content_type(o, *headers))
    return 0;
  return dflt ? add_header2(headers, "Content-Type", dflt) : add_header(headers, "Content-Type:");
}

static int set_fields(weft__http_body *b, weft__http_opts *co, const void *data, size_t len) {
  b->owned = weft_malloc(len + 1);
  if (!b->owned)
    return weft__http_fail(-ENOMEM, NULL);
  memcpy(b->owned, data, len);
  b->owned[len] = '\0';
  weft__http_opt_off(co, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len, "body");
  weft__http_opt_ptr(co, CURLOPT_POSTFIELDS, b->owned, "body");
  return 0;
}

static int json_body(weft__http_body *b, weft__http_opts *co, const weft_http_request_opts *o) {
  char *text;
  int rc;

  if (o->json)
    return set_fields(b, co, o->json, strlen(o->json));
  text = json_dumps(o->json_value, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!text)
    return weft__http_fail(-ENOMEM, "the JSON value cannot be serialized");
  rc = set_fields(b, co, text, strlen(text));
  free(text);
  return rc;
}

static int form_body(weft__http_body *b, weft__http_opts *co, const weft_http_request_opts *o) {
  int rc = weft__http_pairs_encode(o->form, o->n_form, 1, &b->owned);

  if (rc < 0)
    return rc;
  weft__http_opt_off(co, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(b->owned), "form");
  weft__http_opt_ptr(co, CURLOPT_POSTFIELDS, b->owned, "form");
  return 0;
}

static int curl_fail(CURLcode cc, const char *what) {
  if (cc == CURLE_OUT_OF_MEMORY)
    return weft__http_fail(-ENOMEM, NULL);
  return weft__http_fail(-EINVAL, "%s: %s", what, curl_easy_strerror(cc));
}

/* A file part: checked now (curl would only fail mid-transfer). */
static int file_part(curl_mimepart *mp, const weft_http_part *p) {
  struct stat st;
  CURLcode cc;

  if (stat(p->path, &st) < 0 || access(p->path, R_OK) < 0)
    return weft__http_fail(-errno, "open '%s': %s", p->path, strerror(errno));
  if (S_ISDIR(st.st_mode))
    return weft__http_fail(-EISDIR, "open '%s': %s", p->path, strerror(EISDIR));
  cc = curl_mime_filedata(mp, p->path);
  if (cc == CURLE_OK && p->filename)
    cc = curl_mime_filename(mp, p->filename);
  if (cc == CURLE_OK)
    cc = curl_mime_type(mp, p->content_type ? p->content_type : "application/octet-stream");
  return cc ? curl_fail(cc, p->path) : 0;
}

static int data_part(curl_mimepart *mp, const weft_http_part *p) {
  size_t len = p->len == (size_t)-1 ? strlen(p->data) : p->len;
  CURLcode cc = curl_mime_data(mp, p->data, len);

  if (cc == CURLE_OK && p->filename)
    cc = curl_mime_filename(mp, p->filename);
  if (cc == CURLE_OK)
    cc = curl_mime_type(mp, p->content_type ? p->content_type : "text/plain");
  return cc ? curl_fail(cc, p->name) : 0;
}

static int check_part(const weft_http_part *p, size_t i) {
  if (!p->name)
    return weft__http_fail(-EINVAL, "multipart part %zu has no name", i);
  if (!p->data == !p->path)
    return weft__http_fail(-EINVAL, "multipart part '%s' needs one of data and path", p->name);
  if (strpbrk(p->name, "\r\n") || (p->filename && strpbrk(p->filename, "\r\n")) ||
      (p->content_type && strpbrk(p->content_type, "\r\n")))
    return weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in multipart part %zu", i);
  return 0;
}

static int multipart_body(weft__http_body *b, CURL *easy, weft__http_opts *co,
                          const weft_http_request_opts *o) {
  int rc = 0;

  b->mime = curl_mime_init(easy);
  if (!b->mime)
    return weft__http_fail(-ENOMEM, NULL);
  for (size_t i = 0; i < o->n_multipart && rc == 0; i++) {
    const weft_http_part *p = &o->multipart[i];
    curl_mimepart *mp;
    rc = check_part(p, i);
    if (rc < 0)
      break;
    mp = curl_mime_addpart(b->mime);
    if (!mp)
      return weft__http_fail(-ENOMEM, NULL);
    rc = curl_mime_name(mp, p->name) ? weft__http_fail(-ENOMEM, NULL) : 0;
    if (rc == 0)
      rc = p->path ? file_part(mp, p) : data_part(mp, p);
  }
  if (rc == 0)
    weft__http_opt_ptr(co, CURLOPT_MIMEPOST, b->mime, "multipart");
  return rc;
}

/* A source of known size gives source_len bytes: one that ends early
 * fails the request (curl would wait for a response to a body that never
 * ends); bytes past source_len are not asked for. */
static int sized_read(void *arg, void *buf, size_t cap, size_t *len) {
  weft__http_body *b = arg;
  int64_t left = b->source_len - b->sized_sent;
  int rc;

  *len = 0;
  if (left <= 0)
    return 0;
  if ((uint64_t)left < cap)
    cap = (size_t)left;
  rc = b->sized_source(b->sized_arg, buf, cap, len);
  if (rc < 0)
    return rc;
  if (*len == 0)
    return weft__http_fail(-EINVAL,
                           "the body source ended after %" PRId64 " of its %" PRId64 " bytes",
                           b->sized_sent, b->source_len);
  b->sized_sent += (int64_t)*len;
  return 0;
}

static void check_size(weft__http_body *b) {
  if (b->source_len < 0)
    return;
  b->sized_source = b->source;
  b->sized_arg = b->source_arg;
  b->sized_sent = 0;
  b->source = sized_read;
  b->source_arg = b;
}

static int source_body(weft__http_body *b, weft__http_opts *co, const weft_http_request_opts *o) {
  int rc = 0;

  if (o->source) {
    b->source = o->source;
    b->source_arg = o->source_arg;
    b->source_len = o->source_len > 0 ? o->source_len : -1;
  } else {
    rc = weft__http_file_src_new(b, o->data_file);
  }
  if (rc < 0)
    return rc;
  check_size(b);
  weft__http_opt_long(co, CURLOPT_POST, 1L, "source");
  weft__http_opt_ptr(co, CURLOPT_POSTFIELDS, NULL, "source");
  weft__http_opt_off(co, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->source_len, "source");
  return 0;
}

/* The body itself and its default content type (NULL: none). */
static int set_body(weft__http_body *b, CURL *easy, weft__http_opts *co,
                    const weft_http_request_opts *o, const char **ctype) {
  *ctype = NULL;
  if (o->data) {
    *ctype = "application/octet-stream";
    return set_fields(b, co, o->data, o->data_len == (size_t)-1 ? strlen(o->data) : o->data_len);
  }
  if (o->form || o->n_form) {
    *ctype = "application/x-www-form-urlencoded";
    return form_body(b, co, o);
  }
  if (o->json || o->json_value) {
    *ctype = "application/json";
    return json_body(b, co, o);
  }
  if (o->multipart || o->n_multipart)
    return multipart_body(b, easy, co, o);
  if (o->source || o->data_file) {
    *ctype = "application/octet-stream";
    return source_body(b, co, o);
  }
  return 0;
}

/* POST, PUT and PATCH without a body still say Content-Length: 0, as
 * aiohttp does. */
static int empty_body(weft__http_body *b, weft__http_opts *co, const char *method) {
  if (strcmp(method, "POST") && strcmp(method, "PUT") && strcmp(method, "PATCH"))
    return 0;
  return set_fields(b, co, "", 0);
}

static int body_headers(const weft_http_request_opts *o, const char *ctype, int multipart,
                        struct curl_slist **headers) {
  int rc = 0;

  if (!multipart || o->content_type)
    rc = content_type(o, ctype, headers);
  if (rc == 0 && o->content_encoding)
    rc = add_header2(headers, "Content-Encoding", o->content_encoding);
  if (rc == 0)
    rc = add_header(headers, o->expect_continue ? "Expect: 100-continue" : "Expect:");
  return rc;
}

int weft__http_body_prepare(weft__http_body *b, CURL *easy, weft__http_opts *co, const char *method,
                            const weft_http_request_opts *o, struct curl_slist **headers) {
  const char *ctype = NULL;
  int rc, n;

  memset(b, 0, sizeof *b);
  if (!o)
    o = &(weft_http_request_opts){0};
  n = count_bodies(o);
  if (n > 1)
    return weft__http_fail(-EINVAL, "only one body (data, form, multipart, json, json_value, "
                                    "source, data_file) may be given");
  rc = n ? set_body(b, easy, co, o, &ctype) : empty_body(b, co, method);
  if (rc == 0 && (n || b->owned))
    rc = body_headers(o, ctype, !!b->mime, headers);
  if (rc == 0 && (n || b->owned) && strcmp(method, "POST") != 0)
    weft__http_opt_str(co, CURLOPT_CUSTOMREQUEST, method, "method");
  if (rc < 0)
    weft__http_body_free(b);
  return rc;
}

int weft__http_body_rewind(weft__http_body *b) {
  if (b->file)
    return weft__http_file_src_rewind(b->file);
  if (b->source)
    return weft__http_fail(-ESPIPE, "a streamed request body cannot be sent again");
  return 0;
}

void weft__http_body_free(weft__http_body *b) {
  if (!b)
    return;
  curl_mime_free(b->mime);
  weft_free(b->owned);
  weft__http_file_src_free(b->file);
  memset(b, 0, sizeof *b);
}
