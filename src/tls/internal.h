/* TLS layer internals shared by the files of src/tls. */
#ifndef WEFT_TLS_INTERNAL_H
#define WEFT_TLS_INTERNAL_H

#include <openssl/ssl.h>
#include <stdio.h>

#include "weft/tls.h"

typedef struct weft__tls_session {
  struct weft__tls_session *next;
  char *key;
  SSL_SESSION *sess;
} weft__tls_session;

typedef struct weft__tls_sni {
  struct weft__tls_sni *next;
  char *name;
  weft_tls_ctx *ctx;
} weft__tls_sni;

struct weft_tls_ctx {
  SSL_CTX *ssl;
  unsigned refs;
  unsigned char server;
  unsigned char verify;
  unsigned char check_hostname;
  unsigned char session_cache;
  unsigned char *alpn; /* wire format */
  size_t alpn_len;
  FILE *keylog;
  weft_tls_sni_fn sni;
  void *sni_arg;
  weft__tls_sni *sni_map;
  weft__tls_session *sessions; /* most recent first */
  size_t nsessions;
};

/* Keep at most this many client sessions per context. */
#define WEFT__TLS_SESSIONS_MAX 64

/* Record the thread's last TLS error message (printf-style); returns code. */
int weft__tls_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append OpenSSL's queued error text to buf (and clear the queue). */
void weft__tls_err_text(char *buf, size_t len);

/* ctx_cb.c: callbacks installed on every SSL_CTX */
int weft__tls_ctx_install_callbacks(weft_tls_ctx *ctx, const char *keylog_file);
int weft__tls_alpn_wire(weft_tls_ctx *ctx, const char *const *alpn, size_t n);

/* session.c: client session cache */
void weft__tls_sessions_free(weft_tls_ctx *ctx);
SSL_SESSION *weft__tls_session_find(weft_tls_ctx *ctx, const char *key);
int weft__tls_session_new_cb(SSL *ssl, SSL_SESSION *sess);

/* buf.c: a ciphertext buffer, live bytes data[off, off + len). */
typedef struct weft__tls_buf {
  char *data;
  size_t off, len, cap;
} weft__tls_buf;

/* Room for at least n more bytes at the tail: where they go (*room: how
 * many fit), or NULL (out of memory). Add them to len once written. */
char *weft__tls_buf_reserve(weft__tls_buf *b, size_t n, size_t *room);
/* 0 or -ENOMEM. */
int weft__tls_buf_append(weft__tls_buf *b, const void *data, size_t n);
const char *weft__tls_buf_peek(const weft__tls_buf *b, size_t *len);
void weft__tls_buf_consume(weft__tls_buf *b, size_t n);
void weft__tls_buf_free(weft__tls_buf *b);

/* One connection: the SSL's app data points back at it. */
struct weft_tls_engine {
  SSL *ssl;
  BIO *in;  /* ciphertext from the peer, from ibuf */
  BIO *out; /* ciphertext for the peer, into obuf */
  weft__tls_buf ibuf, obuf;
  weft_tls_ctx *ctx;
  char *session_key;
  unsigned char handshake_done;
  unsigned char eof_in;
  unsigned char shutdown_sent;
  unsigned char peer_closed;
  unsigned char out_nomem; /* the output buffer could not grow */
  int error_code;          /* sticky once set */
  char error[256];
};

/* bio.c: a BIO over e->ibuf (output 0) or e->obuf (output 1), or NULL. */
BIO *weft__tls_bio_new(weft_tls_engine *e, int output);

/* engine_err.c: map an OpenSSL failure of ret to a weft code + message */
int weft__tls_engine_fail(weft_tls_engine *e, int ret);
/* Record an error found outside OpenSSL (the connection ended early). */
int weft__tls_engine_set_error(weft_tls_engine *e, int code, const char *message);

#endif
