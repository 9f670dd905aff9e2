/* weft_start_tls: upgrade a transport, suspending until the handshake is
 * done. */
#include "tls/tlstr.h"

static void hs_cancel(weft_task *task, void *obj) {
  weft__tls_tr *t = obj;

  (void)task;
  t->waiter = NULL;
}

/* "host:port" of the peer, so sessions are kept per server. */
static void session_key(weft_transport *lower, const weft_tls_opts *o, char *buf, size_t len) {
  struct sockaddr_storage ss;
  int port = -1;

  buf[0] = '\0';
  if (o->session_key || !o->server_hostname)
    return;
  if (weft_transport_peername(lower, &ss) == 0)
    port = weft_sockaddr_port((struct sockaddr *)&ss);
  snprintf(buf, len, "%s:%d", o->server_hostname, port);
}

static int tls_new(weft__tls_tr **out, weft_transport *lower, weft_tls_ctx *ctx,
                   const weft_tls_opts *o) {
  char key[300];
  weft__tls_tr *t;
  int rc;

  session_key(lower, o, key, sizeof key);
  if (!(t = weft_calloc(1, sizeof *t)))
    return weft__tls_fail(-ENOMEM, "out of memory");
  rc = weft_tls_engine_new(&t->eng, ctx,
                           &(weft_tls_engine_opts){.server_hostname = o->server_hostname,
                                                   .session_key = key[0] ? key : o->session_key});
  if (rc) {
    weft_free(t);
    return rc;
  }
  weft__transport_init(&t->base, &weft__tls_ops, weft_transport_loop(lower));
  t->lower = weft_transport_retain(lower);
  t->hs_code = WEFT__TLS_HS_RUNNING;
  t->shutdown_timeout = o->shutdown_timeout > 0 ? o->shutdown_timeout : WEFT_TLS_SHUTDOWN_TIMEOUT;
  *out = t;
  return 0;
}

static int check_args(weft_transport *lower, const weft_protocol *proto, weft_tls_ctx *ctx,
                      const weft_tls_opts *o) {
  if (!lower || !proto || !proto->data_received || !ctx)
    return weft__tls_fail(-EINVAL, "NULL argument");
  if ((o->server_side != 0) != weft_tls_ctx_is_server(ctx))
    return weft__tls_fail(-EINVAL, "server_side does not match the context");
  if (weft_transport_is_closing(lower))
    return weft__tls_fail(-EPIPE, "the transport is closing");
  return 0;
}

/* The TLS transport becomes lower's protocol; lower reads again (the
 * caller may have paused it so no handshake byte went elsewhere). */
static void install(weft__tls_tr *t) {
  weft_transport_set_protocol(t->lower, &weft__tls_lower_proto, t);
  t->lower->buffered = &weft__tls_lower_buffered;
  weft_transport_resume_reading(t->lower);
}

/* Wait for the handshake inside its own timeout. */
static int wait_handshake(weft__tls_tr *t, double timeout) {
  weft_scope scope;
  int rc;

  if (t->hs_code != WEFT__TLS_HS_RUNNING)
    return t->hs_code;
  if ((rc = weft_timeout_enter(&scope, timeout)))
    return rc;
  t->waiter = weft__current();
  rc = weft__park("tls handshake", hs_cancel, t);
  t->waiter = NULL;
  weft_timeout_leave(&scope);
  if (t->hs_code == WEFT__TLS_HS_RUNNING) /* interrupted */
    t->hs_code = rc;
  return t->hs_code;
}

static void quiet_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  (void)tr;
  (void)data;
  (void)len;
  (void)arg;
}

/* A failure before the TLS transport took lower over: lower is closed all
 * the same, and its previous protocol hears nothing more. */
static void drop_lower(weft_transport *lower) {
  static const weft_protocol quiet = {.data_received = quiet_data};

  weft_transport_set_protocol(lower, &quiet, NULL);
  weft_transport_close(lower);
}

static int fail_message(weft__tls_tr *t, int rc, double timeout) {
  const char *why = weft_tls_engine_error(t->eng);

  if (why[0])
    return weft__tls_fail(rc, "%s", why);
  if (rc == -ETIMEDOUT)
    return weft__tls_fail(rc, "TLS handshake timed out (limit %g s)", timeout);
  if (rc == -ECANCELED)
    return weft__tls_fail(rc, "TLS handshake cancelled");
  if (rc == WEFT_TLS_HANDSHAKE_EOF)
    return weft__tls_fail(rc, "peer closed the connection during the TLS handshake");
  return weft__tls_fail(rc, "TLS handshake failed: connection lost (%s)", weft_strerror(rc));
}

int weft_start_tls(weft_transport *lower, const weft_protocol *proto, void *arg, weft_tls_ctx *ctx,
                   const weft_tls_opts *opts, weft_transport **out) {
  static const weft_tls_opts defaults;
  const weft_tls_opts *o = opts ? opts : &defaults;
  double timeout = o->handshake_timeout > 0 ? o->handshake_timeout : WEFT_TLS_HANDSHAKE_TIMEOUT;
  weft__tls_tr *t;
  int rc;

  if (!weft__current())
    return weft__tls_fail(-EPERM, "weft_start_tls must run in a task");
  if ((rc = check_args(lower, proto, ctx, o)) || !out || (rc = tls_new(&t, lower, ctx, o))) {
    rc = rc ? rc : weft__tls_fail(-EINVAL, "NULL argument");
    if (lower)
      drop_lower(lower);
    return rc;
  }
  *out = NULL;
  install(t);
  weft__transport_retain(&t->base); /* ours until we return */
  weft__tls_hs_step(t);
  rc = wait_handshake(t, timeout);
  if (!rc && t->lower_lost)
    rc = WEFT_TLS_HANDSHAKE_EOF;
  if (rc) {
    rc = fail_message(t, rc, timeout);
    weft__tls_end(t, rc);
    weft__transport_release(&t->base);
    return rc;
  }
  weft__transport_make(&t->base, proto, arg);
  weft__tls_pump(t); /* data that came with the last handshake flight */
  *out = &t->base;
  weft__transport_release(&t->base);
  return 0;
}

void weft__tls_wrap_done(weft__tls_tr *t, int code) {
  if (t->hs_timer) {
    if (weft_handle_cancel(t->hs_timer))
      weft__transport_release(&t->base);
    weft_handle_release(t->hs_timer);
    t->hs_timer = NULL;
  }
  if (!code && t->lower_lost)
    code = WEFT_TLS_HANDSHAKE_EOF;
  if (code) {
    code = fail_message(t, code, t->hs_timeout);
    if (t->wrap_failed)
      t->wrap_failed(code, weft_tls_last_error(), t->wrap_failed_arg);
    weft__tls_end(t, code);
  } else {
    weft__transport_make(&t->base, t->wrap_proto, t->wrap_arg);
    weft__tls_pump(t);
  }
  weft__transport_release(&t->base); /* the wrap's reference */
}

static void hs_timeout(void *arg) {
  weft__tls_tr *t = arg;

  weft__tls_hs_finish(t, -ETIMEDOUT);
  weft__transport_release(&t->base); /* the timer's reference */
}

int weft_tls_wrap(weft_transport *lower, const weft_protocol *proto, void *arg, weft_tls_ctx *ctx,
                  const weft_tls_opts *opts) {
  static const weft_tls_opts defaults;
  const weft_tls_opts *o = opts ? opts : &defaults;
  weft__tls_tr *t;
  int rc;

  if ((rc = check_args(lower, proto, ctx, o)) || (rc = tls_new(&t, lower, ctx, o)))
    return rc;
  t->wrap = 1;
  t->wrap_proto = proto;
  t->wrap_arg = arg;
  t->wrap_failed = o->handshake_failed;
  t->wrap_failed_arg = o->handshake_arg;
  t->hs_timeout = o->handshake_timeout > 0 ? o->handshake_timeout : WEFT_TLS_HANDSHAKE_TIMEOUT;
  weft__transport_retain(&t->base); /* the timer's */
  if ((rc = weft_call_later(t->base.loop, t->hs_timeout, hs_timeout, t, &t->hs_timer))) {
    t->lower = NULL;
    weft_transport_release(lower);
    weft_tls_engine_free(t->eng);
    weft_free(t);
    return weft__tls_fail(rc, "out of memory");
  }
  weft__transport_retain(&t->base); /* the wrap's, until the outcome */
  install(t);
  weft__tls_hs_step(t);
  return 0;
}
