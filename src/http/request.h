/*
 * The HTTP client's request side, as the engine uses it: URLs, headers,
 * bodies, the curl easy-handle options of one request, and decoding of
 * received bodies. No suspension and no loop here, except in the body
 * sources, which the engine calls from the requesting task.
 */
#ifndef WEFT_HTTP_REQUEST_H
#define WEFT_HTTP_REQUEST_H

#include <curl/curl.h>
#include <stdarg.h>

#include "http/opts.h"
#include "weft/http.h"

/* ---- errors (errors.c) ------------------------------------------- */
/* Record the calling thread's message for weft_http_last_error() and
 * return code. fmt NULL: weft_http_strerror(code). */
int weft__http_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void weft__http_clear_error(void);

/* ---- URLs and validation (url.c) --------------------------------- */
/* The request URL: url joined onto base (either may be NULL, not both),
 * then params / params_raw appended to the query (aiohttp's encoding).
 * Checks scheme (http/https only) and CR/LF/NUL. *out freed with
 * weft_free. Returns 0, WEFT_HTTP_EURL, WEFT_HTTP_ESCHEME,
 * WEFT_HTTP_EINJECT, -ENOMEM (message set). */
int weft__http_url_build(const char *base, const char *url, const weft_http_pair *params,
                         size_t n_params, const char *params_raw, char **out);
/* A URL already in the form curl's URL API would give back: "http://" or
 * "https://", a lower-case host name whose last label starts with a letter
 * or a dotted quad, a port other than the scheme's default, then a path of
 * characters that need no encoding (no dot segments) and an optional
 * query, no fragment, at most 8 KiB. Returns 1 and fills *out (spans into
 * url; port is the default one when none is given) or 0 (use curl). */
typedef struct weft__http_url_parts {
  int https;
  const char *host;
  size_t host_len;
  int port;
  const char *path; /* from its '/' up to the '?' or the end */
  size_t path_len;
  const char *query; /* after the '?', or NULL */
} weft__http_url_parts;
int weft__http_url_simple(const char *url, weft__http_url_parts *out);
/* A redirect target (Location) resolved against the URL it came from. */
int weft__http_url_join(const char *from, const char *location, char **out);
/* The host of an absolute URL, lower-case, without brackets; port from the
 * URL or the scheme's default. */
int weft__http_url_host(const char *url, char *host, size_t cap, int *port, int *https);
/* Two URLs have the same scheme, host and port (Authorization survives
 * a redirect only then): 1, 0 (not, or either URL unparsable), -ENOMEM. */
int weft__http_url_same_origin(const char *a, const char *b);
/* A method is a token (RFC 9110): WEFT_HTTP_EINJECT / -EINVAL otherwise. */
int weft__http_check_method(const char *method);
/* "Name: value": a token name, a value without CR/LF/NUL. */
int weft__http_check_header(const char *line);

/* ---- headers (headers.c) ----------------------------------------- */
weft_http_headers *weft__http_headers_new(void);
void weft__http_headers_free(weft_http_headers *h);
/* Add one header line as curl's HEADERFUNCTION delivers it ("Name: value\r\n").
 * A status line or blank line is not a header: returns 1, adds nothing.
 * A folded continuation line (leading space) extends the last value.
 * Returns 0, 1, WEFT_HTTP_EPROTO (no colon), -ENOMEM. */
int weft__http_headers_add_line(weft_http_headers *h, const char *line, size_t len);
int weft__http_headers_add(weft_http_headers *h, const char *name, const char *value);
/* Parse "HTTP/1.1 200 OK\r\n": version 10/11/20, status, reason (copied
 * into reason, cap bytes). Returns 0 or WEFT_HTTP_EPROTO. */
int weft__http_parse_status_line(const char *line, size_t len, int *version, int *status,
                                 char *reason, size_t cap);
/* The standard reason phrase of a status ("" for unknown ones). */
const char *weft__http_reason(int status);
/* "text/html; charset=GB2312" -> media type "text/html" and charset
 * "GB2312" (either NULL when absent); freed with weft_free. */
int weft__http_parse_content_type(const char *value, char **media, char **charset);

/* ---- bodies (body.c) --------------------------------------------- */
typedef struct weft__http_body {
  /* Filled by weft__http_body_prepare; the engine reads these. */
  weft_http_source_fn source; /* non-NULL: the engine pumps this from the task */
  void *source_arg;
  int64_t source_len; /* -1: unknown, sent chunked */
  /* Private to body.c. */
  curl_mime *mime;
  char *owned; /* encoded form / JSON text */
  struct weft__http_file_src *file;
  /* A source of known size, pumped through a check of its length. */
  weft_http_source_fn sized_source;
  void *sized_arg;
  int64_t sized_sent;
} weft__http_body;

/* Add the body options of opts to co (POSTFIELDS / MIMEPOST / UPLOAD +
 * INFILESIZE for sources, Content-Type and Content-Encoding headers
 * appended to *headers, Expect). method is the request's; a body with GET
 * is sent as is; easy is the handle a multipart body is made for. Returns
 * 0, -EINVAL (two bodies, a part without name ...),
 * -ENOENT and others for a multipart or data_file that cannot be opened,
 * -ENOMEM (message set). */
int weft__http_body_prepare(weft__http_body *b, CURL *easy, weft__http_opts *co, const char *method,
                            const weft_http_request_opts *opts, struct curl_slist **headers);
/* Rewind for a 307/308 redirect: 0, or -ESPIPE for a one-shot source. */
int weft__http_body_rewind(weft__http_body *b);
void weft__http_body_free(weft__http_body *b);

/* ---- per-request curl options (setup.c) -------------------------- */
/* Everything of one hop except the engine's callbacks, body, cookies,
 * default headers and resolver: method, URL, headers (session's, then
 * request's, Authorization), TLS, proxy (+ trust_env), connect timeout
 * (min of connect and sock_connect), decompression, HTTP version,
 * static resolve overrides, force_close. *headers receives the header
 * list (appended to; the caller sets CURLOPT_HTTPHEADER after adding
 * its own and frees it). The options are added to o, which the caller
 * applies (opts.h). auth_allowed 0 drops Authorization (cross-origin
 * redirect). Returns 0, WEFT_HTTP_EINJECT, -EINVAL, -ENOMEM. */
int weft__http_setup_easy(weft__http_opts *o, const weft_http_session_opts *so,
                          const weft_http_request_opts *ro, const char *method, const char *url,
                          int auth_allowed, struct curl_slist **headers);

/* The header lines weft adds to every request that does not name them
 * itself, built once per session into *out: Accept-Encoding with the
 * codings libcurl decodes (none with no_decompress; curl then sends no
 * header of its own and still decodes), then User-Agent, each unless the
 * session's headers have one. 0, WEFT_HTTP_EINJECT (CR or LF in the
 * User-Agent), -ENOMEM. */
int weft__http_default_headers(const weft_http_session_opts *so, struct curl_slist **out);
/* Append copies of the default lines the request's headers rh do not
 * replace. 0 or -ENOMEM. */
int weft__http_add_default_headers(const struct curl_slist *defaults, const char *const *rh,
                                   struct curl_slist **headers);

/* CURLOPT_DNS_CACHE_TIMEOUT for curl's own lookups: the session's
 * ttl_dns_cache (dns_cache.c). */
long weft__http_dns_curl_timeout(const weft_http_session_opts *o);

/* A request's timeout field (weft_http_timeout), else the session's; 0 when
 * there is none (0 or WEFT_HTTP_UNLIMITED). Not for total, whose 0 means
 * 300 s. */
double weft__http_timeout_pick(double req, double sess);

/* Does curl reach url's host (lower-case, from weft__http_url_host)
 * through a proxy: the request's or session's, or with trust_env the
 * environment's unless NO_PROXY names the host? The proxy then resolves
 * the origin, so the session's resolver is not asked. */
int weft__http_uses_proxy(const weft_http_session_opts *so, const weft_http_request_opts *ro,
                          const char *url, const char *host);

/* ---- the Cookie header (cookie_line.c) --------------------------- */
/* "Cookie: ..." from the jar's header value, the initial cookies
 * ("a=1; b=2") and the request's pairs (each may be NULL/0): jar first,
 * initial cookies the jar has no name for, request cookies replacing
 * same-named ones; values outside the cookie grammar quoted as Python's
 * http.cookies does. *line NULL when there is no cookie; freed with
 * weft_free. Returns 0 or -ENOMEM. */
int weft__http_cookie_line(const char *jar, const char *initial, const weft_http_pair *cookies,
                           size_t n_cookies, char **line);

/* ---- decoding (text.c, json.c) ----------------------------------- */
/* Decode len bytes in charset (NULL: UTF-8) to NUL-terminated UTF-8 in
 * *out (weft_free). flags: WEFT_HTTP_TEXT_REPLACE. Returns 0,
 * WEFT_HTTP_ECHARSET, WEFT_HTTP_EDECODE (message has the offset), -ENOMEM. */
int weft__http_decode_text(const char *charset, int flags, const void *data, size_t len, char **out,
                           size_t *outlen);
/* Is media (no parameters) acceptable for json() with content_type
 * (NULL: application/json or any +json; "": anything)? */
int weft__http_json_type_ok(const char *media, const char *content_type);
/* Parse JSON; WEFT_HTTP_EJSON with "line L column C: text" on failure. */
int weft__http_parse_json(const void *data, size_t len, struct json_t **out);

/* ---- additions of the request side -------------------------------- */
/* A growing NUL-terminated string (weft_malloc'd s; zero-initialise). */
typedef struct weft__http_sb {
  char *s;
  size_t len, cap;
} weft__http_sb;
/* Append bytes / a string / s percent-encoded (space as '+'; form 1:
 * urllib's quote_plus, form 0: yarl's query quoting). 0 or -ENOMEM. */
int weft__http_sb_add(weft__http_sb *sb, const void *data, size_t len);
/* Room for more bytes (and the NUL) past len. 0 or -ENOMEM. */
int weft__http_sb_reserve(weft__http_sb *sb, size_t more);
int weft__http_sb_str(weft__http_sb *sb, const char *s);
int weft__http_sb_quote(weft__http_sb *sb, const char *s, int form);
/* "a=1&b=2" from pairs (form 1: application/x-www-form-urlencoded as
 * aiohttp; 0: a query as yarl). *out weft_malloc'd. 0, -EINVAL (NULL
 * name or value), -ENOMEM (message set). */
int weft__http_pairs_encode(const weft_http_pair *pairs, size_t n, int form, char **out);
/*
 * The session's static resolve overrides (so->resolve, "host:port:address"
 * as curl's CURLOPT_RESOLVE) added to o. weft__http_setup_easy does not set
 * them: the list must outlive every transfer's start, so the session builds
 * it once (*list NULL: built here; else reused) and frees it with
 * curl_slist_free_all when it is freed. No overrides: *list stays NULL and
 * nothing is set. Returns 0, WEFT_HTTP_EINJECT, -EINVAL (malformed entry),
 * -ENOMEM.
 */
int weft__http_setup_resolve(weft__http_opts *o, const weft_http_session_opts *so,
                             struct curl_slist **list);

#endif /* WEFT_HTTP_REQUEST_H */
