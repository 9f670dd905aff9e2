/*
 * weft HTTP client: aiohttp's ClientSession in C, with libcurl's multi
 * interface as the protocol engine, driven by the weft loop (poll handles
 * and one timer; no thread of its own).
 *
 *   weft_http_session *s;
 *   weft_http_response *r;
 *   weft_http_session_new(&s, NULL);
 *   if (weft_http_get(s, "https://example.org/", NULL, &r) == 0) {
 *     const char *text;
 *     weft_http_response_text(r, NULL, 0, &text, NULL);
 *     printf("%d %s\n", weft_http_response_status(r), text);
 *     weft_http_response_free(r);
 *   }
 *   weft_http_session_close(s);
 *   weft_http_session_free(s);
 *
 * Every function that talks to the network is a suspension point: call it
 * from a task. Cancellation and the task's timeout scopes interrupt it
 * (-ECANCELED / -ETIMEDOUT); the transfer is removed and its connection is
 * closed rather than returned to the pool. A session belongs to the loop it
 * was created on.
 *
 * Returns are 0 or a negative code: errno values where errno has the word,
 * WEFT_HTTP_E* below otherwise. weft_http_last_error() gives the message
 * of the calling thread's last failure ("Failed to connect to 127.0.0.1
 * port 1 after 0 ms: Couldn't connect to server (Connection refused)",
 * "404, message='Not Found', url='http://...'").
 */
#ifndef WEFT_HTTP_H
#define WEFT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "weft/core.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_t; /* jansson's value (link jansson to use the JSON helpers) */
struct weft_resolver;
struct weft_file;

/* ------------------------------------------------------------------ */
/* Error codes                                                         */
/* ------------------------------------------------------------------ */

/* Codes errno has no word for, below -4300 (registered with
 * weft_strerror / weft_err_name). */
#define WEFT_HTTP_EURL (-4301)             /* malformed URL */
#define WEFT_HTTP_ESCHEME (-4302)          /* scheme other than http/https */
#define WEFT_HTTP_EDNS (-4303)             /* the host name could not be resolved */
#define WEFT_HTTP_ECONNECT_TIMEOUT (-4304) /* connect / sock_connect timeout */
#define WEFT_HTTP_EREAD_TIMEOUT (-4305)    /* sock_read: no data for that long */
#define WEFT_HTTP_ETLS_VERIFY (-4306)      /* the server's certificate was rejected */
#define WEFT_HTTP_ETLS (-4307)             /* another TLS failure (handshake, protocol) */
#define WEFT_HTTP_EREDIRECTS (-4308)       /* more redirects than max_redirects */
#define WEFT_HTTP_ETRUNCATED (-4309)       /* body shorter than Content-Length, or cut */
#define WEFT_HTTP_EBADCHUNK (-4310)        /* malformed chunked encoding */
#define WEFT_HTTP_EDECOMPRESS (-4311)      /* the body does not decompress */
#define WEFT_HTTP_ESTATUS (-4312)          /* status >= 400 with raise_for_status */
#define WEFT_HTTP_EPROTO (-4313)           /* malformed response (status line, headers) */
#define WEFT_HTTP_EPROXY (-4314)           /* the proxy failed (refused CONNECT, 407 ...) */
#define WEFT_HTTP_EINJECT (-4315)          /* CR, LF or NUL in a method, URL or header */
#define WEFT_HTTP_ECHARSET (-4316)         /* unknown character set */
#define WEFT_HTTP_EDECODE (-4317)          /* bytes not valid in the character set */
#define WEFT_HTTP_EJSON (-4318)            /* invalid JSON (message has line and column) */
#define WEFT_HTTP_ECONTENT_TYPE (-4319)    /* json() on a body that is not JSON */
/*
 * errno values used: -ECONNREFUSED (connection refused), -EHOSTUNREACH,
 * -ENETUNREACH (no route), -ECONNRESET (reset mid-request or mid-body),
 * -ECONNABORTED (a body call after a release that stopped the body
 * early), -ETIMEDOUT (the total timeout, or the task's own timeout
 * scope), -ECANCELED, -EFBIG (body over the maximum asked for),
 * -EOVERFLOW (read_line: a line over its maximum), -ESHUTDOWN (the
 * session is closed), -ESPIPE (a 307/308 would resend a one-shot
 * streaming body), -EINVAL (bad argument), -ENOMEM, -EPERM (called
 * outside a task).
 */

/* Text for any code above and any code weft_strerror knows. Never NULL. */
const char *weft_http_strerror(int err);
/* The calling thread's last failure message ("" when none). Valid until
 * the thread's next HTTP call. */
const char *weft_http_last_error(void);

/* ------------------------------------------------------------------ */
/* Headers: an ordered, case-insensitive multi-map (CIMultiDict)       */
/* ------------------------------------------------------------------ */

typedef struct weft_http_headers weft_http_headers;

size_t weft_http_headers_count(const weft_http_headers *h);
/* The i-th header as received (name in its original case). -ERANGE past the end. */
int weft_http_headers_at(const weft_http_headers *h, size_t i, const char **name,
                         const char **value);
/* The first value of name (any case), or NULL. */
const char *weft_http_headers_get(const weft_http_headers *h, const char *name);
/* Every value of name in order: fills up to cap, returns how many there are. */
size_t weft_http_headers_get_all(const weft_http_headers *h, const char *name, const char **values,
                                 size_t cap);

/* ------------------------------------------------------------------ */
/* Cookie jar (aiohttp.CookieJar)                                      */
/* ------------------------------------------------------------------ */

typedef struct weft_cookie_jar weft_cookie_jar;

typedef struct weft_cookie {
  const char *name;
  const char *value;
  const char *domain; /* without a leading dot */
  const char *path;
  int64_t expires; /* Unix time; 0: a session cookie */
  int host_only;   /* 1: sent to domain only, not its subdomains */
  int secure;
  int http_only;
  const char *same_site; /* "Strict", "Lax", "None" or NULL */
} weft_cookie;

/* A jar. unsafe=0 (aiohttp's default) refuses cookies from hosts given as
 * IP addresses; unsafe=1 accepts them. */
int weft_cookie_jar_new(weft_cookie_jar **out, int unsafe);
void weft_cookie_jar_free(weft_cookie_jar *jar);
/* Store the cookies of one Set-Cookie header value received from url.
 * Returns 0 (also when the jar's rules drop it), -EINVAL (unparsable),
 * -ENOMEM. Expired cookies delete their match. */
int weft_cookie_jar_update(weft_cookie_jar *jar, const char *set_cookie, const char *url);
/* Set one cookie for url's host (initial cookies). */
int weft_cookie_jar_set(weft_cookie_jar *jar, const char *name, const char *value, const char *url);
/* filter_cookies(url): the cookies to send to url, as a Cookie header value
 * ("a=1; b=2", "" when none) in *header, freed with weft_free. */
int weft_cookie_jar_header(weft_cookie_jar *jar, const char *url, char **header);
/* Iteration over the stored (unexpired) cookies. */
size_t weft_cookie_jar_count(weft_cookie_jar *jar);
const weft_cookie *weft_cookie_jar_at(weft_cookie_jar *jar, size_t i);
/* Remove every cookie (domain NULL) or those of one domain. */
void weft_cookie_jar_clear(weft_cookie_jar *jar, const char *domain);
/* Netscape cookies.txt format (curl's, wget's). load adds to the jar.
 * Returns 0, -errno of the file, -EINVAL (a malformed line; the message
 * names it), -ENOMEM. */
int weft_cookie_jar_load(weft_cookie_jar *jar, const char *path);
int weft_cookie_jar_save(weft_cookie_jar *jar, const char *path);

/* ------------------------------------------------------------------ */
/* Session (ClientSession + TCPConnector)                              */
/* ------------------------------------------------------------------ */

typedef struct weft_http_session weft_http_session;
typedef struct weft_http_response weft_http_response;

/* Pass as a count or a timeout to mean "no limit". */
#define WEFT_HTTP_UNLIMITED (-1)

/*
 * ClientTimeout, in seconds. 0: the default (total 300 s, the others
 * none); WEFT_HTTP_UNLIMITED: none. total covers the whole request
 * including reading the body; connect covers getting a connection (from
 * the pool or new, the resolver's lookup and the proxy included);
 * sock_connect one TCP+TLS connect;
 * sock_read the longest silence while waiting for data.
 */
typedef struct weft_http_timeout {
  double total;
  double connect;
  double sock_connect;
  double sock_read;
} weft_http_timeout;

typedef struct weft_http_session_opts {
  const char *base_url;        /* relative request URLs join onto it */
  const char *const *headers;  /* "Name: value" strings, NULL-terminated */
  const char *user_agent;      /* NULL: "weft/<version>" */
  weft_cookie_jar *cookie_jar; /* shared (not freed by the session); NULL: own jar */
  int cookie_jar_unsafe;       /* the own jar accepts cookies from IP hosts */
  const char *const *cookies;  /* initial "name=value" strings, NULL-terminated */
  /* Connector. */
  int limit;          /* connections at once: 0 = 100, WEFT_HTTP_UNLIMITED */
  int limit_per_host; /* per host: 0 = unlimited */
  int force_close;    /* 1: a new connection for every request */
  weft_http_timeout timeout;
  /* TLS. */
  int insecure;        /* 1: do not verify the server (aiohttp ssl=False) */
  const char *ca_file; /* PEM CA bundle; NULL: the system store */
  const char *ca_dir;
  const char *cert_file; /* client certificate (PEM) */
  const char *key_file;  /* its key; NULL: in cert_file */
  const char *key_password;
  int http2; /* 1: offer HTTP/2 (ALPN) and multiplex on it */
  /* Proxies. */
  const char *proxy;      /* http://, https:// or socks5:// URL, may hold user:pass@ */
  const char *proxy_auth; /* "user:password" (BasicAuth) */
  int trust_env;          /* 1: HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment */
  /* Behaviour. */
  const char *auth;     /* "user:password": Basic authorization */
  int raise_for_status; /* 1: status >= 400 fails the request (WEFT_HTTP_ESTATUS) */
  int no_decompress;    /* 1: keep gzip/deflate/br/zstd bodies as sent */
  int max_redirects;    /* 0: 10 */
  size_t read_bufsize;  /* body bytes buffered before the transfer pauses (not while
                           a whole-body read waits); 0: 64 KiB */
  /* Resolution. */
  struct weft_resolver *resolver; /* names resolve through it (AsyncResolver) */
  const char *const *resolve;     /* static "host:port:address" overrides, NULL-terminated */
  double ttl_dns_cache;           /* seconds a looked-up name is kept: 0 = 10,
                                     WEFT_HTTP_UNLIMITED = for the session's life */
  int no_dns_cache;               /* 1: look the name up for every request */
  double close_grace;             /* seconds close() waits for in-flight requests; 0: 10 */
} weft_http_session_opts;

/* A session on the current loop (call from a task or with a current loop).
 * opts may be NULL. Returns 0, -EINVAL (a malformed option; the message
 * says which), -ENOMEM, -EPERM (no current loop). */
int weft_http_session_new(weft_http_session **out, const weft_http_session_opts *opts);
/* Wait up to close_grace for in-flight requests, cancel the rest, close
 * the pooled connections. Requests after it fail with -ESHUTDOWN. */
int weft_http_session_close(weft_http_session *s);
/* Free a session (closing it first without waiting if it is open). */
void weft_http_session_free(weft_http_session *s);
weft_cookie_jar *weft_http_session_cookie_jar(weft_http_session *s);

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/* A name/value pair: query parameters, form fields, cookies. */
typedef struct weft_http_pair {
  const char *name;
  const char *value;
} weft_http_pair;

/* One part of a multipart/form-data body. */
typedef struct weft_http_part {
  const char *name;
  const void *data;         /* the bytes, or NULL with path */
  size_t len;               /* of data; (size_t)-1: strlen(data) */
  const char *path;         /* a file streamed from disk */
  const char *filename;     /* sent as the part's filename (default: path's base name) */
  const char *content_type; /* NULL: text/plain for data, application/octet-stream for files */
} weft_http_part;

/*
 * A streaming body. Called in the requesting task (it may suspend: read
 * a file, await a generator or a queue). Fill up to cap bytes into buf and
 * set *len; *len = 0 ends the body. Return 0 or a negative code, which
 * fails the request with it.
 */
typedef int (*weft_http_source_fn)(void *arg, void *buf, size_t cap, size_t *len);

typedef struct weft_http_request_opts {
  /* Query: pairs (duplicates kept, percent-encoded) or one raw string
   * appended as is (aiohttp params='key=value+1'). */
  const weft_http_pair *params;
  size_t n_params;
  const char *params_raw;
  const char *const *headers; /* "Name: value", NULL-terminated; override the session's */
  const weft_http_pair *cookies;
  size_t n_cookies;
  /* Body: at most one of data, form, multipart, json, json_value, source,
   * data_file (-EINVAL otherwise). */
  const void *data;
  size_t data_len;            /* (size_t)-1: strlen(data) */
  const weft_http_pair *form; /* application/x-www-form-urlencoded */
  size_t n_form;
  const weft_http_part *multipart;
  size_t n_multipart;
  const char *json;                /* JSON text, sent as application/json */
  const struct json_t *json_value; /* a jansson value, serialized */
  weft_http_source_fn source;
  void *source_arg;
  int64_t source_len;           /* -1 or 0 with source: unknown (chunked) */
  const char *data_file;        /* the body streamed from this file */
  const char *content_type;     /* overrides the body's default */
  const char *content_encoding; /* body already compressed: header set, bytes untouched */
  int expect_continue;          /* send Expect: 100-continue */
  /* Behaviour (0: the session's). */
  int no_redirects; /* allow_redirects=False */
  int max_redirects;
  weft_http_timeout timeout; /* fields left 0 inherit the session's */
  const char *proxy;
  const char *proxy_auth;
  int insecure;
  const char *auth;
  int raise_for_status; /* 1 on, -1 off, 0 the session's */
  size_t max_body;      /* the body may not exceed it (-EFBIG); 0: no cap */
} weft_http_request_opts;

/*
 * session.request(method, url, ...): send the request and suspend until
 * the final response's headers arrive (after redirects). *out then holds
 * a response whose body is read with the functions below; free it with
 * weft_http_response_free. opts may be NULL.
 * Returns 0 or one of the codes above; on failure *out is NULL and
 * weft_http_last_error() says why.
 */
int weft_http_request(weft_http_session *s, const char *method, const char *url,
                      const weft_http_request_opts *opts, weft_http_response **out);
int weft_http_get(weft_http_session *s, const char *url, const weft_http_request_opts *opts,
                  weft_http_response **out);
int weft_http_post(weft_http_session *s, const char *url, const weft_http_request_opts *opts,
                   weft_http_response **out);
int weft_http_put(weft_http_session *s, const char *url, const weft_http_request_opts *opts,
                  weft_http_response **out);
int weft_http_delete(weft_http_session *s, const char *url, const weft_http_request_opts *opts,
                     weft_http_response **out);
int weft_http_head(weft_http_session *s, const char *url, const weft_http_request_opts *opts,
                   weft_http_response **out);
int weft_http_options(weft_http_session *s, const char *url, const weft_http_request_opts *opts,
                      weft_http_response **out);
int weft_http_patch(weft_http_session *s, const char *url, const weft_http_request_opts *opts,
                    weft_http_response **out);

/* ------------------------------------------------------------------ */
/* Responses (ClientResponse)                                          */
/* ------------------------------------------------------------------ */

int weft_http_response_status(const weft_http_response *r);
const char *weft_http_response_reason(const weft_http_response *r); /* "OK", "Not Found" */
int weft_http_response_version(const weft_http_response *r);        /* 10, 11, 20 */
const char *weft_http_response_url(const weft_http_response *r);    /* final URL */
const weft_http_headers *weft_http_response_headers(const weft_http_response *r);
const char *weft_http_response_header(const weft_http_response *r, const char *name);
/* The header block exactly as received (status line to the blank line). */
const char *weft_http_response_raw_headers(const weft_http_response *r, size_t *len);
/* Content-Length, or -1 when absent. */
int64_t weft_http_response_content_length(const weft_http_response *r);
/* The media type without parameters ("text/html"); "application/octet-stream" if absent. */
const char *weft_http_response_content_type(const weft_http_response *r);
/* The charset parameter of Content-Type, or NULL. */
const char *weft_http_response_charset(const weft_http_response *r);
/* history: the redirect responses before this one, oldest first. */
size_t weft_http_response_history_count(const weft_http_response *r);
int weft_http_response_history(const weft_http_response *r, size_t i, int *status, const char **url,
                               const weft_http_headers **headers);
/* The cookies the response (and its redirects) set, as parsed. */
size_t weft_http_response_cookie_count(const weft_http_response *r);
const weft_cookie *weft_http_response_cookie(const weft_http_response *r, size_t i);
/* raise_for_status: 0 below 400, else WEFT_HTTP_ESTATUS with the message
 * "404, message='Not Found', url='http://...'". */
int weft_http_response_raise_for_status(const weft_http_response *r);

/*
 * read(): the whole (remaining) body. *data is owned by the response and
 * NUL-terminated (not counted in *len). max 0: no cap; a body larger than
 * max fails with -EFBIG and the response is closed.
 */
int weft_http_response_read(weft_http_response *r, size_t max, const void **data, size_t *len);
/*
 * text(encoding): the body decoded to UTF-8. encoding NULL: the charset
 * of Content-Type, else UTF-8 (as aiohttp, after a UTF-8 check). flags
 * WEFT_HTTP_TEXT_REPLACE puts U+FFFD for undecodable bytes instead of
 * failing with WEFT_HTTP_EDECODE. Unknown charset: WEFT_HTTP_ECHARSET.
 * *text is owned by the response.
 */
#define WEFT_HTTP_TEXT_REPLACE 1
int weft_http_response_text(weft_http_response *r, const char *encoding, int flags,
                            const char **text, size_t *len);
/*
 * json(): the body parsed by jansson into *out (json_decref it). The
 * Content-Type must be application/json or +json unless content_type
 * gives another ("" accepts any): WEFT_HTTP_ECONTENT_TYPE otherwise.
 * Invalid JSON: WEFT_HTTP_EJSON, the message has the line and column.
 */
int weft_http_response_json(weft_http_response *r, const char *content_type, struct json_t **out);

/* Streaming (resp.content). Each waits for data and returns 0 with
 * *len = 0 at the end of the body. */
/* read(n): up to cap bytes into buf, waiting for at least one. */
int weft_http_response_read_some(weft_http_response *r, void *buf, size_t cap, size_t *len);
/* readany(): the bytes buffered now (or the next to arrive), as a view
 * valid until the next call on r. */
int weft_http_response_read_any(weft_http_response *r, const void **data, size_t *len);
/* readchunk(): the next piece as it arrived from the network; a view. */
int weft_http_response_read_chunk(weft_http_response *r, const void **data, size_t *len);
/* readline(): up to and including '\n' (or the end); a view. Lines over
 * max (0: 64 KiB) fail with -EOVERFLOW. */
int weft_http_response_read_line(weft_http_response *r, size_t max, const char **line, size_t *len);
int weft_http_response_at_eof(const weft_http_response *r);

/* release(): finish with the body. The connection goes back to the pool
 * if the body was read to its end, else it is closed. */
void weft_http_response_release(weft_http_response *r);
/* Release (if not yet) and free. NULL is fine. */
void weft_http_response_free(weft_http_response *r);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_HTTP_H */
