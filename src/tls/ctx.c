/* weft_tls_ctx: an SSL_CTX with weft's defaults (verify peers, TLS >= 1.2). */
#include <openssl/err.h>
#include <strings.h>
#include <string.h>
#include <unistd.h>

#include "tls/internal.h"

static int file_missing(const char *path) {
  return path && access(path, R_OK) != 0;
}

static int fail_ssl(int code, const char *what) {
  char buf[256] = "";

  weft__tls_err_text(buf, sizeof buf);
  return weft__tls_fail(code, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

static int load_cert_key(weft_tls_ctx *c, const weft_tls_ctx_opts *o) {
  const char *key = o->key_file ? o->key_file : o->cert_file;

  if (!o->cert_file)
    return c->server ? weft__tls_fail(-EINVAL, "a server context needs a certificate") : 0;
  if (file_missing(o->cert_file) || file_missing(key))
    return weft__tls_fail(-ENOENT, "cannot read %s",
                          file_missing(o->cert_file) ? o->cert_file : key);
  if (SSL_CTX_use_certificate_chain_file(c->ssl, o->cert_file) != 1)
    return fail_ssl(-EINVAL, "bad certificate file");
  if (SSL_CTX_use_PrivateKey_file(c->ssl, key, SSL_FILETYPE_PEM) != 1)
    return fail_ssl(-EINVAL, "bad private key file");
  if (SSL_CTX_check_private_key(c->ssl) != 1)
    return fail_ssl(-EINVAL, "the private key does not match the certificate");
  return 0;
}

static int load_cas(weft_tls_ctx *c, const weft_tls_ctx_opts *o) {
  if (file_missing(o->ca_file) || file_missing(o->ca_dir))
    return weft__tls_fail(-ENOENT, "cannot read %s",
                          file_missing(o->ca_file) ? o->ca_file : o->ca_dir);
  if (o->ca_file || o->ca_dir) {
    if (SSL_CTX_load_verify_locations(c->ssl, o->ca_file, o->ca_dir) != 1)
      return fail_ssl(-EINVAL, "bad CA certificates");
  } else if (!c->server && SSL_CTX_set_default_verify_paths(c->ssl) != 1) {
    return fail_ssl(-EINVAL, "cannot load the system CA store");
  }
  if (c->server && o->ca_file) {
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(o->ca_file);

    if (names)
      SSL_CTX_set_client_CA_list(c->ssl, names);
  }
  return 0;
}

static int verify_mode(const weft_tls_ctx *c) {
  switch (c->verify) {
  case WEFT_TLS_VERIFY_NONE:
    return SSL_VERIFY_NONE;
  case WEFT_TLS_VERIFY_OPTIONAL:
    return SSL_VERIFY_PEER;
  case WEFT_TLS_VERIFY_REQUIRED:
    return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  default:
    return c->server ? SSL_VERIFY_NONE : SSL_VERIFY_PEER;
  }
}

static int set_versions(weft_tls_ctx *c, const weft_tls_ctx_opts *o) {
  int min = o->min_version ? o->min_version : WEFT_TLS_V1_2;

  if ((min != WEFT_TLS_V1_2 && min != WEFT_TLS_V1_3) ||
      (o->max_version && o->max_version != WEFT_TLS_V1_2 && o->max_version != WEFT_TLS_V1_3) ||
      (o->max_version && o->max_version < min))
    return weft__tls_fail(-EINVAL, "unsupported TLS version bounds");
  SSL_CTX_set_min_proto_version(c->ssl, min);
  SSL_CTX_set_max_proto_version(c->ssl, o->max_version);
  if (o->ciphers && SSL_CTX_set_cipher_list(c->ssl, o->ciphers) != 1)
    return fail_ssl(-EINVAL, "bad cipher list");
  return 0;
}

static int configure(weft_tls_ctx *c, const weft_tls_ctx_opts *o) {
  int rc;

  if ((unsigned)o->verify > WEFT_TLS_VERIFY_REQUIRED ||
      (!c->server && o->verify == WEFT_TLS_VERIFY_OPTIONAL))
    return weft__tls_fail(-EINVAL, "bad verify mode");
  SSL_CTX_set_verify(c->ssl, verify_mode(c), NULL);
  SSL_CTX_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if ((rc = set_versions(c, o)) || (rc = load_cas(c, o)) || (rc = load_cert_key(c, o)))
    return rc;
  if ((rc = weft__tls_alpn_wire(c, o->alpn, o->alpn_count)))
    return rc;
  return weft__tls_ctx_install_callbacks(c, o->keylog_file);
}

int weft_tls_ctx_new(weft_tls_ctx **out, const weft_tls_ctx_opts *opts) {
  static const weft_tls_ctx_opts defaults;
  const weft_tls_ctx_opts *o = opts ? opts : &defaults;
  weft_tls_ctx *c;
  int rc;

  if (!out)
    return weft__tls_fail(-EINVAL, "out is NULL");
  *out = NULL;
  if (!(c = weft_calloc(1, sizeof *c)))
    return weft__tls_fail(-ENOMEM, "out of memory");
  c->refs = 1;
  c->server = o->server != 0;
  c->verify = (unsigned char)o->verify;
  c->check_hostname = !c->server && !o->no_check_hostname && o->verify != WEFT_TLS_VERIFY_NONE;
  c->session_cache = !c->server && !o->no_session_cache;
  c->sni = o->sni;
  c->sni_arg = o->sni_arg;
  c->ssl = SSL_CTX_new(c->server ? TLS_server_method() : TLS_client_method());
  if (!c->ssl) {
    rc = fail_ssl(-ENOMEM, "SSL_CTX_new");
    goto fail;
  }
  SSL_CTX_set_app_data(c->ssl, c);
  if ((rc = configure(c, o)))
    goto fail;
  *out = c;
  return 0;
fail:
  weft_tls_ctx_release(c);
  return rc;
}

weft_tls_ctx *weft_tls_ctx_retain(weft_tls_ctx *ctx) {
  if (ctx)
    ctx->refs++;
  return ctx;
}

static void sni_free(weft_tls_ctx *ctx) {
  while (ctx->sni_map) {
    weft__tls_sni *s = ctx->sni_map;

    ctx->sni_map = s->next;
    weft_tls_ctx_release(s->ctx);
    weft_free(s->name);
    weft_free(s);
  }
}

void weft_tls_ctx_release(weft_tls_ctx *ctx) {
  if (!ctx || --ctx->refs > 0)
    return;
  weft__tls_sessions_free(ctx);
  sni_free(ctx);
  SSL_CTX_free(ctx->ssl);
  if (ctx->keylog)
    fclose(ctx->keylog);
  weft_free(ctx->alpn);
  weft_free(ctx);
}

int weft_tls_ctx_is_server(const weft_tls_ctx *ctx) {
  return ctx && ctx->server;
}

void *weft_tls_ctx_ssl_ctx(weft_tls_ctx *ctx) {
  return ctx ? ctx->ssl : NULL;
}

int weft_tls_ctx_add_sni(weft_tls_ctx *ctx, const char *name, weft_tls_ctx *ctx_for_name) {
  weft__tls_sni *s;

  if (!ctx || !name || !ctx_for_name || !ctx->server || !ctx_for_name->server)
    return weft__tls_fail(-EINVAL, "SNI entries need two server contexts and a name");
  if (!(s = weft_calloc(1, sizeof *s)) || !(s->name = weft_strdup(name))) {
    weft_free(s);
    return weft__tls_fail(-ENOMEM, "out of memory");
  }
  s->ctx = weft_tls_ctx_retain(ctx_for_name);
  s->next = ctx->sni_map;
  ctx->sni_map = s;
  return 0;
}
