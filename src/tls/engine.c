/* weft_tls_engine: one TLS connection over two memory BIOs. */
#include <arpa/inet.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "tls/internal.h"

static int is_ip(const char *host) {
  unsigned char buf[16];

  return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int setup_client(weft_tls_engine *e, const weft_tls_engine_opts *o) {
  const char *host = o->server_hostname;
  const char *key = o->session_key ? o->session_key : host;
  SSL_SESSION *sess;

  if (!host)
    return e->ctx->check_hostname
               ? weft__tls_fail(-EINVAL, "a verifying client needs server_hostname")
               : 0;
  if (!is_ip(host) && SSL_set_tlsext_host_name(e->ssl, host) != 1)
    return weft__tls_fail(-EINVAL, "bad server name %s", host);
  if (e->ctx->check_hostname) {
    int ok = is_ip(host) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(e->ssl), host)
                         : SSL_set1_host(e->ssl, host);

    if (ok != 1)
      return weft__tls_fail(-EINVAL, "bad server name %s", host);
  }
  if (e->ctx->session_cache && key) {
    if (!(e->session_key = weft_strdup(key)))
      return weft__tls_fail(-ENOMEM, "out of memory");
    if ((sess = weft__tls_session_find(e->ctx, key)))
      SSL_set_session(e->ssl, sess);
  }
  return 0;
}

static int setup_bios(weft_tls_engine *e) {
  e->in = weft__tls_bio_new(e, 0);
  e->out = weft__tls_bio_new(e, 1);
  if (!e->in || !e->out) {
    BIO_free(e->in);
    BIO_free(e->out);
    e->in = e->out = NULL;
    return weft__tls_fail(-ENOMEM, "out of memory");
  }
  SSL_set_bio(e->ssl, e->in, e->out);
  return 0;
}

int weft_tls_engine_new(weft_tls_engine **out, weft_tls_ctx *ctx,
                        const weft_tls_engine_opts *opts) {
  static const weft_tls_engine_opts defaults;
  weft_tls_engine *e;
  int rc;

  if (!out || !ctx)
    return weft__tls_fail(-EINVAL, "NULL engine or context");
  *out = NULL;
  if (!(e = weft_calloc(1, sizeof *e)))
    return weft__tls_fail(-ENOMEM, "out of memory");
  e->ctx = weft_tls_ctx_retain(ctx);
  if (!(e->ssl = SSL_new(ctx->ssl))) {
    rc = weft__tls_fail(-ENOMEM, "out of memory");
    goto fail;
  }
  SSL_set_app_data(e->ssl, e);
  if ((rc = setup_bios(e)))
    goto fail;
  if (ctx->server)
    SSL_set_accept_state(e->ssl);
  else if ((rc = setup_client(e, opts ? opts : &defaults)))
    goto fail;
  else
    SSL_set_connect_state(e->ssl);
  *out = e;
  return 0;
fail:
  weft_tls_engine_free(e);
  return rc;
}

void weft_tls_engine_free(weft_tls_engine *e) {
  if (!e)
    return;
  /* OpenSSL drops the session of a connection freed without shutdown;
   * one that saw no error stays resumable. */
  if (e->ssl && e->handshake_done && !e->error_code)
    SSL_set_shutdown(e->ssl, SSL_get_shutdown(e->ssl) | SSL_SENT_SHUTDOWN);
  SSL_free(e->ssl); /* frees the BIOs */
  weft__tls_buf_free(&e->ibuf);
  weft__tls_buf_free(&e->obuf);
  weft_tls_ctx_release(e->ctx);
  weft_free(e->session_key);
  weft_free(e);
}

int weft_tls_engine_feed(weft_tls_engine *e, const void *data, size_t len) {
  return len ? weft__tls_buf_append(&e->ibuf, data, len) : 0;
}

void weft_tls_engine_feed_eof(weft_tls_engine *e) {
  e->eof_in = 1;
}

int weft_tls_engine_handshake(weft_tls_engine *e) {
  int ret;

  if (e->error_code)
    return weft__tls_fail(e->error_code, "%s", e->error);
  if (e->handshake_done)
    return 0;
  ERR_clear_error();
  ret = SSL_do_handshake(e->ssl);
  if (ret == 1) {
    e->handshake_done = 1;
    return 0;
  }
  return weft__tls_engine_fail(e, ret);
}

int weft_tls_engine_handshake_done(const weft_tls_engine *e) {
  return e->handshake_done;
}

ssize_t weft_tls_engine_read(weft_tls_engine *e, void *buf, size_t len) {
  int rc, n;

  if ((rc = weft_tls_engine_handshake(e)))
    return rc;
  if (e->peer_closed)
    return 0;
  ERR_clear_error();
  n = SSL_read(e->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
  if (n > 0)
    return n;
  if (SSL_get_error(e->ssl, n) == SSL_ERROR_ZERO_RETURN) {
    e->peer_closed = 1;
    return 0;
  }
  return weft__tls_engine_fail(e, n);
}

ssize_t weft_tls_engine_write(weft_tls_engine *e, const void *data, size_t len) {
  const char *p = data;
  size_t left = len;

  if (e->error_code)
    return e->error_code;
  if (e->shutdown_sent)
    return -EPIPE;
  if (!e->handshake_done)
    return -EAGAIN;
  while (left > 0) {
    int n;

    ERR_clear_error();
    n = SSL_write(e->ssl, p, left > INT_MAX ? INT_MAX : (int)left);
    if (n <= 0)
      return weft__tls_engine_fail(e, n);
    p += n;
    left -= (size_t)n;
  }
  return (ssize_t)len;
}

size_t weft_tls_engine_pending(const weft_tls_engine *e) {
  return e->obuf.len;
}

size_t weft_tls_engine_take(weft_tls_engine *e, void *buf, size_t len) {
  size_t have;
  const char *p = weft__tls_buf_peek(&e->obuf, &have);

  if (len > have)
    len = have;
  if (len == 0)
    return 0;
  memcpy(buf, p, len);
  weft__tls_buf_consume(&e->obuf, len);
  return len;
}

int weft_tls_engine_peer_closed(const weft_tls_engine *e) {
  return e->peer_closed;
}

const char *weft_tls_engine_error(const weft_tls_engine *e) {
  return e->error;
}
