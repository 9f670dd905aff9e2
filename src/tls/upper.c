/* The TLS transport as the transport of the upper protocol. */
#include "tls/tlstr.h"

void weft__tls_stop_timer(weft__tls_tr *t) {
  if (!t->shutdown_timer)
    return;
  if (weft_handle_cancel(t->shutdown_timer))
    weft__transport_release(&t->base); /* the timer's reference */
  weft_handle_release(t->shutdown_timer);
  t->shutdown_timer = NULL;
}

void weft__tls_shutdown_step(weft__tls_tr *t) {
  int rc = weft_tls_engine_shutdown(t->eng);

  weft__tls_flush(t);
  if (rc == -EAGAIN)
    return;
  weft__tls_stop_timer(t);
  weft__tls_end(t, 0);
}

static void shutdown_timeout(void *arg) {
  weft__tls_tr *t = arg;

  weft__tls_end(t, 0); /* the peer never answered: close anyway */
  weft__transport_release(&t->base);
}

static int tls_write(weft_transport *tr, const struct iovec *iov, size_t n, size_t total) {
  weft__tls_tr *t = (weft__tls_tr *)tr;

  (void)total;
  for (size_t i = 0; i < n; i++) {
    ssize_t rc = weft_tls_engine_write(t->eng, iov[i].iov_base, iov[i].iov_len);

    if (rc < 0)
      return (int)rc;
  }
  return weft__tls_flush(t);
}

static void tls_close(weft_transport *tr) {
  weft__tls_tr *t = (weft__tls_tr *)tr;

  if (t->lower_lost || t->shutting_down)
    return;
  t->shutting_down = 1;
  weft__tls_shutdown_step(t);
  if (t->lower_lost || weft_transport_is_closing(t->lower))
    return;
  weft__transport_retain(&t->base);
  if (weft_call_later(t->base.loop, t->shutdown_timeout, shutdown_timeout, t, &t->shutdown_timer)) {
    weft__transport_release(&t->base);
    weft__tls_end(t, 0);
  }
}

static void tls_abort(weft_transport *tr) {
  weft__tls_tr *t = (weft__tls_tr *)tr;

  weft__tls_stop_timer(t);
  if (!t->lower_lost)
    weft_transport_abort(t->lower);
}

static int tls_pause(weft_transport *tr) {
  weft__tls_tr *t = (weft__tls_tr *)tr;

  t->paused = 1;
  if (!t->lower_lost)
    weft_transport_pause_reading(t->lower);
  return 0;
}

static void resume_soon(void *arg) {
  weft__tls_tr *t = arg;

  weft_handle_release(t->resume_call);
  t->resume_call = NULL;
  weft__tls_pump(t);
  weft__transport_release(&t->base);
}

/* Plaintext already decrypted is delivered from the loop, not from inside
 * the caller's resume_reading. */
static int tls_resume(weft_transport *tr) {
  weft__tls_tr *t = (weft__tls_tr *)tr;
  int rc;

  t->paused = 0;
  if (!t->lower_lost)
    weft_transport_resume_reading(t->lower);
  if (t->resume_call)
    return 0;
  weft__transport_retain(&t->base);
  if ((rc = weft_call_soon(t->base.loop, resume_soon, t, &t->resume_call)))
    weft__transport_release(&t->base);
  return rc;
}

static int tls_peername(const weft_transport *tr, struct sockaddr_storage *out) {
  const weft__tls_tr *t = (const weft__tls_tr *)tr;

  return t->lower_lost ? -ENOTCONN : weft_transport_peername(t->lower, out);
}

static int tls_sockname(const weft_transport *tr, struct sockaddr_storage *out) {
  const weft__tls_tr *t = (const weft__tls_tr *)tr;

  return t->lower_lost ? -ENOTCONN : weft_transport_sockname(t->lower, out);
}

static int tls_fileno(const weft_transport *tr) {
  const weft__tls_tr *t = (const weft__tls_tr *)tr;

  return t->lower_lost ? -EBADF : weft_transport_fileno(t->lower);
}

static void tls_free(weft_transport *tr) {
  weft__tls_tr *t = (weft__tls_tr *)tr;

  weft_handle_release(t->shutdown_timer);
  weft_tls_engine_free(t->eng);
  weft_transport_release(t->lower);
  weft_free(t);
}

const weft__transport_ops weft__tls_ops = {
    .name = "tls",
    .write = tls_write,
    .close = tls_close,
    .abort = tls_abort,
    .pause_reading = tls_pause,
    .resume_reading = tls_resume,
    .peername = tls_peername,
    .sockname = tls_sockname,
    .fileno = tls_fileno,
    .free = tls_free,
};

int weft_tls_is_tls(const weft_transport *tr) {
  return tr && tr->ops == &weft__tls_ops;
}

int weft_tls_info_get(const weft_transport *tr, weft_tls_info *info) {
  if (!weft_tls_is_tls(tr) || !info)
    return -EINVAL;
  return weft_tls_engine_info(((const weft__tls_tr *)tr)->eng, info);
}

const char *weft_tls_transport_error(const weft_transport *tr) {
  if (!weft_tls_is_tls(tr))
    return "";
  return weft_tls_engine_error(((const weft__tls_tr *)tr)->eng);
}
