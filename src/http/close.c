/*
 * Closing a session: new requests fail with -ESHUTDOWN; close() waits up
 * to close_grace for the requests still waiting for their headers, then
 * fails them with -ESHUTDOWN. Responses already returned keep working
 * (their transfers stay in the multi) until they are freed: the multi and
 * its pooled connections go when the last transfer does.
 */
#include <errno.h>
#include <stdio.h>

#include "http/engine.h"

static void closer_cancel(weft_task *t, void *obj) {
  weft_http_session *s = obj;

  (void)t;
  s->closer = NULL;
}

static void fail_in_flight(weft_http_session *s) {
  for (weft__list *n = s->xfers.next; n != &s->xfers; n = n->next) {
    weft__http_xfer *x = weft__container_of(n, weft__http_xfer, link);

    if (x->in_flight) {
      snprintf(x->msg, sizeof x->msg, "the session was closed");
      weft__http_xfer_fail(x, -ESHUTDOWN);
    }
  }
}

static void wait_in_flight(weft_http_session *s) {
  double grace = s->opts.close_grace > 0 ? s->opts.close_grace : 10;
  weft_scope scope;

  if (!weft__current() || s->closer || weft_timeout_enter(&scope, grace) < 0)
    return;
  while (s->in_flight > 0) {
    s->closer = weft__current();
    if (weft__park("http session close", closer_cancel, s) < 0)
      break;
  }
  s->closer = NULL;
  weft_timeout_leave(&scope);
}

static void shut(weft_http_session *s) {
  s->closed = 1;
  fail_in_flight(s);
  if (s->n_xfers == 0)
    weft__http_engine_teardown(s);
}

int weft_http_session_close(weft_http_session *s) {
  if (!s)
    return -EINVAL;
  if (s->closed)
    return 0;
  s->closed = 1;
  if (s->in_flight > 0)
    wait_in_flight(s);
  shut(s);
  return 0;
}

void weft_http_session_free(weft_http_session *s) {
  if (!s)
    return;
  if (!s->closed)
    shut(s);
  if (s->own_jar)
    weft_cookie_jar_free(s->jar);
  s->jar = NULL;
  curl_slist_free_all(s->resolve_list);
  curl_slist_free_all(s->default_headers);
  s->resolve_list = NULL;
  s->default_headers = NULL;
  s->freed = 1;
  weft__http_session_release(s);
}

/* A request got its headers or failed: close() may be waiting for it. */
void weft__http_session_settled(weft_http_session *s) {
  if (s->in_flight == 0 && s->closer)
    weft__wake(s->closer, 0);
}
