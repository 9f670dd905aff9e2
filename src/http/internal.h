/*
 * The HTTP client's engine and response internals: sessions own a curl
 * multi handle driven by the loop; a request is a chain of hops
 * (redirects), each one curl easy transfer (weft__http_xfer); the final
 * hop's transfer stays attached to the response while the task reads the
 * body.
 *
 * Ownership: session.c, engine.c, xfer*.c, redirect.c, curlerr.c (the
 * engine) fill the transfer; response*.c (the response side) read it
 * through the fields and functions below.
 */
#ifndef WEFT_HTTP_INTERNAL_H
#define WEFT_HTTP_INTERNAL_H

#include <curl/curl.h>
#include <uv.h>

#include "core/internal.h"
#include "http/cookie.h"
#include "http/request.h"

typedef struct weft__http_xfer weft__http_xfer;

/* A byte buffer: data[off, len) is unread. */
typedef struct weft__http_buf {
  char *data;
  size_t off, len, cap;
} weft__http_buf;

/* One redirect response kept in a response's history. */
typedef struct weft__http_hop {
  int status;
  char *url;
  weft_http_headers *headers;
} weft__http_hop;

struct weft_http_response {
  weft_http_session *session;
  weft__http_xfer *xfer; /* NULL once released */
  int status;
  int version; /* 10, 11, 20 */
  char reason[64];
  char *url;
  weft_http_headers *headers;
  char *raw_headers;
  size_t raw_len;
  char *media_type; /* parsed Content-Type, lazily (response.c) */
  char *charset;
  int ct_parsed;
  weft__http_hop *history;
  size_t n_history;
  weft_cookie *cookies; /* parsed Set-Cookie values of every hop */
  size_t n_cookies;
  /* Body as read by read()/text() (response_read.c). */
  char *body;
  size_t body_len;
  int body_done;
  char *text;
  size_t text_len;
  size_t max_body;     /* request's cap, 0: none */
  double deadline;     /* the total timeout's end (weft_time clock), 0: none */
  double sock_read;    /* seconds, 0: none */
  weft__http_buf line; /* read_line's assembled line when it spans arrivals */
  /* Additions of the response side (response*.c). */
  size_t body_cap;    /* allocated size of body */
  size_t pending;     /* bytes of the last read_any/read_chunk view, consumed at the next call */
  uint64_t consumed;  /* body bytes handed out so far (checked against max_body) */
  int err;            /* sticky failure of the response itself (-EFBIG) */
  char *text_charset; /* the charset text was decoded with (NULL: UTF-8) */
  int text_flags;
  int text_ok; /* text holds the decoding for text_charset/text_flags */
};

/* ---- byte buffers (xfer_buf.c) ------------------------------------- */
/* Append n bytes (kept NUL-terminated), moving the unread part to the
 * front or growing the buffer when needed. 0 or -ENOMEM (nothing set). */
int weft__http_buf_append(weft__http_buf *b, const void *data, size_t n);
/* At least cap bytes of room in all (data kept); 0 or -ENOMEM. */
int weft__http_buf_grow(weft__http_buf *b, size_t cap);
void weft__http_buf_free(weft__http_buf *b);

/* ---- body flow between engine and response (xfer.c) ---------------- */
/*
 * The transfer buffers body bytes as curl delivers them into `in`, pausing
 * the transfer when read_bufsize is reached. The response side reads from
 * weft__http_body_peek/consume and waits for more with weft__http_body_wait.
 */
/* The unread bytes now buffered (a view; may be empty). */
const char *weft__http_body_peek(weft_http_response *r, size_t *len);
/* The size of the piece at the front as it arrived (for read_chunk). */
size_t weft__http_body_chunk_len(weft_http_response *r);
/* Mark n bytes of the peeked data read; resumes a paused transfer. */
void weft__http_body_consume(weft_http_response *r, size_t n);
/*
 * Suspend until more bytes are buffered or the body ends. Applies the
 * response's total deadline (-ETIMEDOUT) and sock_read
 * (WEFT_HTTP_EREAD_TIMEOUT). Returns 0 (data or end; see
 * weft__http_body_ended), the transfer's error (-ECONNRESET,
 * WEFT_HTTP_ETRUNCATED, WEFT_HTTP_EBADCHUNK, WEFT_HTTP_EDECOMPRESS ...,
 * sticky, message set), -ECANCELED.
 */
int weft__http_body_wait(weft_http_response *r);
/*
 * For a read of the whole body: let the rest gather in the transfer's
 * buffer, with no pause at read_bufsize, and suspend until the transfer
 * is done. limit (SIZE_MAX: none) bounds the bytes buffered: a write that
 * would pass it stops the wait with *refused_n set to its length. hint
 * (the Content-Length plus one, 0 if unknown) sizes the buffer at once.
 * Returns as weft__http_body_wait.
 */
int weft__http_body_fill(weft_http_response *r, size_t limit, size_t hint, size_t *refused_n);
/* The buffer holding the whole body (no byte read before), handed over
 * with its length and size; NULL if the body is not complete and whole
 * there. */
char *weft__http_body_adopt(weft_http_response *r, size_t *len, size_t *cap);
/* 1 when the whole body has arrived (nothing more will be buffered). */
int weft__http_body_ended(weft_http_response *r);
/* Detach the transfer: back to the pool when complete, else closed. */
void weft__http_xfer_release(weft_http_response *r);

/* ---- response objects (response.c) --------------------------------- */
int weft__http_response_new(weft_http_session *s, weft_http_response **out);
/* curl_global_init with weft's memory functions for libcurl (curl_mem.c):
 * libc's, with blocks of 16 KiB to 272 KiB curl frees kept per thread for
 * its next requests. The functions themselves (exposed for tests), and
 * the bytes this thread keeps. */
CURLcode weft__http_curl_global_init(void);
void *weft__http_curl_malloc(size_t n);
void weft__http_curl_free(void *p);
void *weft__http_curl_realloc(void *p, size_t n);
char *weft__http_curl_strdup(const char *s);
void *weft__http_curl_calloc(size_t n, size_t size);
size_t weft__http_curl_kept(void);
/* A session of this thread starts / ends: the blocks are kept only while
 * the thread has a session, and freed when its last one is. */
void weft__http_curl_hold(void);
void weft__http_curl_release(void);

/* A kept body buffer of at least want bytes (its size in *cap), or NULL. */
char *weft__http_body_take(weft_http_session *s, size_t want, size_t *cap);
/* Keep a freed response's body buffer for the next response, or free it. */
void weft__http_body_give(weft_http_session *s, char *buf, size_t cap);
/* Parse the response's Content-Type now: 0, or -ENOMEM (message set),
 * where content_type() and charset() would answer as if it had none. */
int weft__http_response_parse_ct(const weft_http_response *r);
/* Frees everything the response owns except its transfer (already released). */
void weft__http_response_destroy(weft_http_response *r);
/* Start of every body call (response_stream.c): consume the previous
 * view, then the response's sticky failure if any. */
int weft__http_response_enter(weft_http_response *r);
/* The body went past max: close the response, -EFBIG from now on. */
int weft__http_response_too_big(weft_http_response *r, size_t max);

/* ---- curl results (curlerr.c) --------------------------------------- */
/* A finished transfer's CURLcode as a weft code, with the message set
 * from curl's error buffer; os_errno (CURLINFO_OS_ERRNO) names a failed
 * connect's cause. */
int weft__http_curl_error(CURLcode code, const char *errbuf, int connected, long os_errno);

#endif /* WEFT_HTTP_INTERNAL_H */
