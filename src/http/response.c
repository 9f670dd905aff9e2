/*
 * Response objects (ClientResponse): creation and destruction, and the
 * accessors of what arrived with the headers (status, reason, version,
 * final URL, headers, raw header block, history, cookies, the parsed
 * Content-Type and Content-Length) and raise_for_status.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http/engine.h"

int weft__http_response_new(weft_http_session *s, weft_http_response **out) {
  weft_http_response *r = weft_calloc(1, sizeof *r);

  *out = NULL;
  if (!r)
    return weft__http_fail(-ENOMEM, NULL);
  r->session = s;
  s->n_responses++;
  *out = r;
  return 0;
}

static void free_history(weft_http_response *r) {
  for (size_t i = 0; i < r->n_history; i++) {
    weft_free(r->history[i].url);
    weft__http_headers_free(r->history[i].headers);
  }
  weft_free(r->history);
  r->history = NULL;
  r->n_history = 0;
}

static void free_cookies(weft_http_response *r) {
  for (size_t i = 0; i < r->n_cookies; i++)
    weft__http_cookie_clear(&r->cookies[i]);
  weft_free(r->cookies);
  r->cookies = NULL;
  r->n_cookies = 0;
}

void weft__http_response_destroy(weft_http_response *r) {
  if (!r)
    return;
  free_history(r);
  free_cookies(r);
  weft__http_headers_free(r->headers);
  weft_free(r->url);
  weft_free(r->raw_headers);
  weft_free(r->media_type);
  weft_free(r->charset);
  weft_free(r->text);
  weft_free(r->text_charset);
  weft_free(r->line.data);
  weft__http_body_give(r->session, r->body, r->body_cap);
  r->session->n_responses--;
  weft__http_session_release(r->session);
  weft_free(r);
}

int weft_http_response_status(const weft_http_response *r) {
  return r->status;
}

const char *weft_http_response_reason(const weft_http_response *r) {
  return r->reason;
}

int weft_http_response_version(const weft_http_response *r) {
  return r->version;
}

const char *weft_http_response_url(const weft_http_response *r) {
  return r->url ? r->url : "";
}

const weft_http_headers *weft_http_response_headers(const weft_http_response *r) {
  return r->headers;
}

const char *weft_http_response_header(const weft_http_response *r, const char *name) {
  return r->headers ? weft_http_headers_get(r->headers, name) : NULL;
}

const char *weft_http_response_raw_headers(const weft_http_response *r, size_t *len) {
  if (len)
    *len = r->raw_headers ? r->raw_len : 0;
  return r->raw_headers ? r->raw_headers : "";
}

/* Content-Length: digits only (optional surrounding blanks), else -1. */
int64_t weft_http_response_content_length(const weft_http_response *r) {
  const char *v = weft_http_response_header(r, "Content-Length");
  int64_t n = 0;

  if (!v)
    return -1;
  while (*v == ' ' || *v == '\t')
    v++;
  if (*v < '0' || *v > '9')
    return -1;
  for (; *v >= '0' && *v <= '9'; v++) {
    if (n > (INT64_MAX - 9) / 10)
      return -1;
    n = n * 10 + (*v - '0');
  }
  while (*v == ' ' || *v == '\t')
    v++;
  return *v ? -1 : n;
}

/* Parse Content-Type once (the response is logically const: a cache). */
static int parse_ct(const weft_http_response *cr) {
  weft_http_response *r = (weft_http_response *)cr;

  if (r->ct_parsed)
    return 0;
  if (weft__http_parse_content_type(weft_http_response_header(r, "Content-Type"), &r->media_type,
                                    &r->charset) < 0)
    return -ENOMEM; /* tried again next time */
  r->ct_parsed = 1;
  return 0;
}

int weft__http_response_parse_ct(const weft_http_response *r) {
  return parse_ct(r) < 0 ? weft__http_fail(-ENOMEM, NULL) : 0;
}

const char *weft_http_response_content_type(const weft_http_response *r) {
  parse_ct(r);
  return r->media_type && *r->media_type ? r->media_type : "application/octet-stream";
}

const char *weft_http_response_charset(const weft_http_response *r) {
  parse_ct(r);
  return r->charset;
}

size_t weft_http_response_history_count(const weft_http_response *r) {
  return r->n_history;
}

int weft_http_response_history(const weft_http_response *r, size_t i, int *status, const char **url,
                               const weft_http_headers **headers) {
  if (i >= r->n_history)
    return -ERANGE;
  if (status)
    *status = r->history[i].status;
  if (url)
    *url = r->history[i].url ? r->history[i].url : "";
  if (headers)
    *headers = r->history[i].headers;
  return 0;
}

size_t weft_http_response_cookie_count(const weft_http_response *r) {
  return r->n_cookies;
}

const weft_cookie *weft_http_response_cookie(const weft_http_response *r, size_t i) {
  return i < r->n_cookies ? &r->cookies[i] : NULL;
}

int weft_http_response_raise_for_status(const weft_http_response *r) {
  if (r->status < 400)
    return 0;
  return weft__http_fail(WEFT_HTTP_ESTATUS, "%d, message='%s', url='%s'", r->status, r->reason,
                         weft_http_response_url(r));
}
