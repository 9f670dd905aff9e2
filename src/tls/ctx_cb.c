/* Callbacks every context installs: ALPN selection, SNI, key log, sessions. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tls/internal.h"

int weft__tls_alpn_wire(weft_tls_ctx *ctx, const char *const *alpn, size_t n) {
  size_t len = 0, off = 0;

  for (size_t i = 0; i < n; i++) {
    size_t l = alpn[i] ? strlen(alpn[i]) : 0;

    if (l == 0 || l > 255)
      return weft__tls_fail(-EINVAL, "ALPN protocol names must be 1 to 255 bytes");
    len += 1 + l;
  }
  if (n == 0)
    return 0;
  if (!(ctx->alpn = weft_malloc(len)))
    return weft__tls_fail(-ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(alpn[i]);

    ctx->alpn[off++] = (unsigned char)l;
    memcpy(ctx->alpn + off, alpn[i], l);
    off += l;
  }
  ctx->alpn_len = len;
  if (!ctx->server && SSL_CTX_set_alpn_protos(ctx->ssl, ctx->alpn, (unsigned)len) != 0)
    return weft__tls_fail(-ENOMEM, "out of memory");
  return 0;
}

/* Server preference: the first of our protocols the client offers. No
 * overlap: go on without ALPN (as asyncio). */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg) {
  weft_tls_ctx *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
  unsigned char *sel;

  (void)arg;
  if (!ctx->alpn || SSL_select_next_proto(&sel, outlen, ctx->alpn, (unsigned)ctx->alpn_len, in,
                                          inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = sel;
  return SSL_TLSEXT_ERR_OK;
}

static int name_matches(const char *pattern, const char *name) {
  const char *dot;

  if (strcasecmp(pattern, name) == 0)
    return 1;
  if (strncmp(pattern, "*.", 2) != 0 || !(dot = strchr(name, '.')) || dot == name)
    return 0;
  return strcasecmp(pattern + 1, dot) == 0;
}

static weft_tls_ctx *sni_lookup(weft_tls_ctx *ctx, const char *name) {
  weft_tls_ctx *chosen = ctx->sni ? ctx->sni(name, ctx->sni_arg) : NULL;

  for (weft__tls_sni *s = ctx->sni_map; s && !chosen; s = s->next)
    if (name_matches(s->name, name))
      chosen = s->ctx;
  return chosen;
}

static int sni_cb(SSL *ssl, int *alert, void *arg) {
  weft_tls_ctx *ctx = arg;
  const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  weft_tls_ctx *chosen;

  (void)alert;
  if (!name || !(chosen = sni_lookup(ctx, name)) || chosen == ctx)
    return SSL_TLSEXT_ERR_OK;
  SSL_set_SSL_CTX(ssl, chosen->ssl);
  /* Verification settings stay those of the listening context. */
  SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx->ssl), NULL);
  return SSL_TLSEXT_ERR_OK;
}

static void keylog_cb(const SSL *ssl, const char *line) {
  weft_tls_ctx *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));

  if (ctx && ctx->keylog) {
    fputs(line, ctx->keylog);
    fputc('\n', ctx->keylog);
    fflush(ctx->keylog);
  }
}

static int open_keylog(weft_tls_ctx *ctx, const char *file) {
  const char *path = file ? file : getenv("SSLKEYLOGFILE");

  if (!path || !*path)
    return 0;
  if (!(ctx->keylog = fopen(path, "a")))
    return weft__tls_fail(-errno, "cannot open the key log file %s", path);
  SSL_CTX_set_keylog_callback(ctx->ssl, keylog_cb);
  return 0;
}

int weft__tls_ctx_install_callbacks(weft_tls_ctx *ctx, const char *keylog_file) {
  if (ctx->server) {
    SSL_CTX_set_alpn_select_cb(ctx->ssl, alpn_select, NULL);
    SSL_CTX_set_tlsext_servername_callback(ctx->ssl, sni_cb);
    SSL_CTX_set_tlsext_servername_arg(ctx->ssl, ctx);
  } else if (ctx->session_cache) {
    SSL_CTX_set_session_cache_mode(ctx->ssl, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx->ssl, weft__tls_session_new_cb);
  }
  return open_keylog(ctx, keylog_file);
}
