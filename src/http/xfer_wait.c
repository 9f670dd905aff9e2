/*
 * The requesting task waiting on its transfer: parked until a condition
 * (final headers, body bytes) or the end of the transfer, with the total
 * deadline and sock_read as timeout scopes, and the upload pump run in the
 * task whenever curl paused for more of a streaming source.
 */
#include <errno.h>
#include <math.h>

#include "http/engine.h"

#define PUMP_PIECE 65536

static void wait_cancel(weft_task *t, void *obj) {
  weft__http_xfer *x = obj;

  (void)t;
  x->task = NULL;
}

/* Call the source once (it may suspend) and resume the upload. The call
 * runs in a scope ending at the total deadline, which a failure of the
 * transfer meanwhile (close, the server resetting) also expires. */
static int call_source(weft__http_xfer *x, char *buf, size_t *len, double deadline) {
  weft_scope scope;
  int rc;

  rc = weft_timeout_enter_at(&scope, deadline > 0 ? deadline : INFINITY);
  if (rc < 0)
    return weft__http_fail(rc, NULL);
  x->source_scope = &scope;
  weft__http_clear_error();
  rc = x->body.source(x->body.source_arg, buf, PUMP_PIECE, len);
  x->source_scope = NULL;
  if (weft_timeout_leave(&scope) == -ETIMEDOUT && !x->err && rc < 0)
    return weft__http_fail(-ETIMEDOUT, "the total timeout expired");
  if (x->err && rc < 0)
    return weft__http_xfer_code(x);
  if (rc < 0 && !weft_http_last_error()[0]) /* keep the source's own message */
    weft__http_fail(rc, "the request body's source failed: %s", weft_http_strerror(rc));
  return rc;
}

static int pump(weft__http_xfer *x, double deadline) {
  char *buf = weft_malloc(PUMP_PIECE);
  size_t len = 0;
  int rc;

  if (!buf)
    return weft__http_fail(-ENOMEM, NULL);
  x->up_want = 0;
  rc = call_source(x, buf, &len, deadline);
  if (rc == 0 && len > 0)
    rc = weft__http_buf_append(&x->up, buf, len) < 0 ? weft__http_fail(-ENOMEM, NULL) : 0;
  else if (rc == 0)
    x->up_eof = 1;
  weft_free(buf);
  if (rc < 0)
    return rc;
  x->paused_send = 0;
  weft__http_xfer_pause(x);
  return 0;
}

/* Park once, within a scope ending at when (INFINITY: none). *mine says
 * whether that scope expired. */
static int park_until(weft__http_xfer *x, double when, int *mine) {
  weft_scope scope;
  int rc, rc2;

  *mine = 0;
  if (isinf(when)) {
    x->task = weft__current();
    rc = weft__park("http", wait_cancel, x);
    x->task = NULL;
    return rc;
  }
  rc = weft_timeout_enter_at(&scope, when);
  if (rc < 0)
    return rc;
  x->task = weft__current();
  rc = weft__park("http", wait_cancel, x);
  x->task = NULL;
  *mine = weft_timeout_expired(&scope);
  rc2 = weft_timeout_leave(&scope);
  if (rc == 0 && rc2 < 0 && !*mine)
    rc = rc2;
  return rc;
}

static double next_deadline(weft__http_xfer *x, double deadline, double sock_read) {
  double when = deadline > 0 ? deadline : INFINITY;

  if (sock_read > 0 && x->activity + sock_read < when)
    when = x->activity + sock_read;
  return when;
}

static int timed_out(weft__http_xfer *x, double deadline, double sock_read) {
  double now = weft_time();

  if (deadline > 0 && now >= deadline)
    return weft__http_fail(-ETIMEDOUT, "the total timeout expired");
  if (sock_read > 0 && now >= x->activity + sock_read)
    return weft__http_fail(WEFT_HTTP_EREAD_TIMEOUT, "no data from the server for %g s", sock_read);
  return 0;
}

int weft__http_xfer_wait(weft__http_xfer *x, int (*cond)(weft__http_xfer *), double deadline,
                         double sock_read) {
  int rc, mine;

  if (!weft__current())
    return weft__http_fail(-EPERM, "HTTP calls must run in a task");
  for (;;) {
    if (cond(x))
      return 0;
    if (x->err)
      return weft__http_xfer_code(x);
    if (x->done)
      return 0;
    if (x->up_want && x->body.source) {
      rc = pump(x, deadline);
      if (rc < 0)
        return rc;
      continue;
    }
    rc = park_until(x, next_deadline(x, deadline, sock_read), &mine);
    if (mine) {
      rc = timed_out(x, deadline, sock_read);
      if (rc < 0)
        return rc;
      continue; /* data came meanwhile: a new silence starts */
    }
    if (rc < 0)
      return weft__http_fail(rc, "%s",
                             rc == -ETIMEDOUT ? "the request timed out" : weft_http_strerror(rc));
  }
}
