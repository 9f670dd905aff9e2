/* Client session cache: one resumable session per key ("host:port"). */
#include <string.h>

#include "tls/internal.h"

static void session_free(weft__tls_session *s) {
  SSL_SESSION_free(s->sess);
  weft_free(s->key);
  weft_free(s);
}

void weft__tls_sessions_free(weft_tls_ctx *ctx) {
  while (ctx->sessions) {
    weft__tls_session *s = ctx->sessions;

    ctx->sessions = s->next;
    session_free(s);
  }
  ctx->nsessions = 0;
}

static weft__tls_session **find_slot(weft_tls_ctx *ctx, const char *key) {
  weft__tls_session **p = &ctx->sessions;

  while (*p && strcmp((*p)->key, key) != 0)
    p = &(*p)->next;
  return p;
}

SSL_SESSION *weft__tls_session_find(weft_tls_ctx *ctx, const char *key) {
  weft__tls_session **p = key ? find_slot(ctx, key) : NULL;

  return p && *p ? (*p)->sess : NULL;
}

static void drop_oldest(weft_tls_ctx *ctx) {
  weft__tls_session **p = &ctx->sessions;

  while (*p && (*p)->next)
    p = &(*p)->next;
  if (*p) {
    session_free(*p);
    *p = NULL;
    ctx->nsessions--;
  }
}

/* OpenSSL hands us a new session (TLS 1.3: each ticket): keep the newest
 * per key. Returning 1 keeps OpenSSL's reference for us. */
int weft__tls_session_new_cb(SSL *ssl, SSL_SESSION *sess) {
  weft_tls_engine *e = SSL_get_app_data(ssl);
  weft_tls_ctx *ctx = e ? e->ctx : NULL;
  weft__tls_session **p, *s;

  if (!ctx || !e->session_key)
    return 0;
  p = find_slot(ctx, e->session_key);
  if ((s = *p)) {
    *p = s->next;
    SSL_SESSION_free(s->sess);
  } else {
    if (!(s = weft_calloc(1, sizeof *s)) || !(s->key = weft_strdup(e->session_key))) {
      weft_free(s);
      return 0;
    }
    if (++ctx->nsessions > WEFT__TLS_SESSIONS_MAX)
      drop_oldest(ctx);
  }
  s->sess = sess;
  s->next = ctx->sessions;
  ctx->sessions = s;
  return 1;
}

size_t weft_tls_ctx_session_count(const weft_tls_ctx *ctx) {
  return ctx ? ctx->nsessions : 0;
}
