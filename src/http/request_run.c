/*
 * session.request(): the hops of one request (redirects followed by the
 * engine), the task suspended until the final headers, then a response
 * holding the transfer for the body. The per-method wrappers.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "http/engine.h"

static double pick(double req, double sess) {
  return req != 0 ? req : sess;
}

static void req_timeouts(weft__http_req *q) {
  const weft_http_timeout *rt = q->ro ? &q->ro->timeout : NULL;
  const weft_http_timeout *st = &q->s->opts.timeout;
  double total = pick(rt ? rt->total : 0, st->total);
  double sock_read = pick(rt ? rt->sock_read : 0, st->sock_read);

  if (total == 0)
    total = 300;
  q->deadline = total > 0 ? weft_time() + total : 0;
  q->sock_read = sock_read > 0 ? sock_read : 0;
}

static int headers_ready(weft__http_xfer *x) {
  return x->headers_done;
}

static int never(weft__http_xfer *x) {
  (void)x;
  return 0;
}

/* Drop the body of a redirect response, reading it to its end so the
 * connection goes back to the pool. */
static int drain(weft__http_req *q) {
  weft__http_xfer *x = q->x;
  int rc;

  x->discard = 1;
  x->in.off = x->in.len = 0;
  x->p_head = x->p_len = 0;
  if (x->paused_recv) {
    x->paused_recv = 0;
    weft__http_xfer_pause(x);
  }
  rc = weft__http_xfer_wait(x, never, q->deadline, q->sock_read);
  if (rc < 0 && x->done && x->err != -ESHUTDOWN && x->err != -ENOMEM)
    rc = 0; /* a broken redirect body does not matter: its connection is closed */
  weft__http_xfer_detach(x);
  return rc;
}

static int one_hop(weft__http_req *q) {
  weft__http_xfer *x = q->x;
  int rc = weft__http_hop_setup(q);

  if (rc == 0)
    rc = weft__http_xfer_start(x);
  if (rc == 0)
    rc = weft__http_xfer_wait(x, headers_ready, q->deadline, q->sock_read);
  if (rc == 0 && !x->headers_done)
    rc = weft__http_fail(WEFT_HTTP_EPROTO, "the server sent no response headers");
  if (rc == 0)
    rc = weft__http_req_cookies(q);
  return rc;
}

static int run_hops(weft__http_req *q) {
  int rc;

  for (;;) {
    if (q->s->closed)
      return weft__http_fail(-ESHUTDOWN, "the session was closed");
    rc = one_hop(q);
    if (rc < 0 || !weft__http_redirect_wanted(q))
      return rc;
    rc = drain(q);
    if (rc == 0)
      rc = weft__http_redirect_follow(q);
    if (rc < 0)
      return rc;
  }
}

static int raise_wanted(weft__http_req *q) {
  int r = q->ro ? q->ro->raise_for_status : 0;

  return r == 1 || (r == 0 && q->s->opts.raise_for_status);
}

static int raw_copy(weft_http_response *r, weft__http_xfer *x) {
  r->raw_headers = weft_malloc(x->raw.len - x->raw.off + 1);
  if (!r->raw_headers)
    return -ENOMEM;
  memcpy(r->raw_headers, x->raw.data + x->raw.off, x->raw.len - x->raw.off);
  r->raw_len = x->raw.len - x->raw.off;
  r->raw_headers[r->raw_len] = '\0';
  return 0;
}

/* Move what the request gathered into a new response. */
static int make_response(weft__http_req *q) {
  weft__http_xfer *x = q->x;
  weft_http_response *r;

  if (weft__http_response_new(q->s, &r) < 0)
    return weft__http_fail(-ENOMEM, NULL);
  if (raw_copy(r, x) < 0) {
    weft__http_response_destroy(r);
    return weft__http_fail(-ENOMEM, NULL);
  }
  r->status = x->status;
  r->version = x->version;
  snprintf(r->reason, sizeof r->reason, "%s", x->reason);
  weft__http_headers_free(r->headers);
  r->headers = x->headers;
  x->headers = NULL;
  r->url = q->url;
  q->url = NULL;
  r->url[strcspn(r->url, "#")] = '\0'; /* resp.url drops the fragment */
  r->history = q->history;
  r->n_history = q->n_history;
  q->history = NULL;
  q->n_history = 0;
  r->cookies = q->cookies;
  r->n_cookies = q->n_cookies;
  q->cookies = NULL;
  q->n_cookies = 0;
  r->max_body = q->ro ? q->ro->max_body : 0;
  r->deadline = q->deadline;
  r->sock_read = q->sock_read;
  r->xfer = x;
  q->x = NULL;
  q->r = r;
  return 0;
}

static int status_check(weft__http_req *q) {
  weft_http_response *r = q->r;
  int rc;

  if (r->status < 400 || !raise_wanted(q))
    return 0;
  rc = weft__http_fail(WEFT_HTTP_ESTATUS, "%d, message='%s', url='%s'", r->status, r->reason,
                       r->url);
  weft__http_xfer_release(r);
  weft__http_response_destroy(r);
  q->r = NULL;
  return rc;
}

static void req_free(weft__http_req *q) {
  weft_free(q->url);
  for (size_t i = 0; i < q->n_history; i++) {
    weft_free(q->history[i].url);
    weft__http_headers_free(q->history[i].headers);
  }
  weft_free(q->history);
  for (size_t i = 0; i < q->n_cookies; i++)
    weft__http_cookie_clear(&q->cookies[i]);
  weft_free(q->cookies);
  if (q->x)
    weft__http_xfer_free(q->x);
}

static void req_init(weft__http_req *q, weft_http_session *s, const char *method,
                     const weft_http_request_opts *ro) {
  int mr = ro && ro->max_redirects ? ro->max_redirects : s->opts.max_redirects;

  memset(q, 0, sizeof *q);
  q->s = s;
  q->ro = ro;
  if (ro)
    q->hop_ro = *ro;
  q->methodp = method;
  q->keep_body = 1;
  q->auth_allowed = 1;
  q->max_redirects = mr > 0 ? mr : 10;
  req_timeouts(q);
}

static int check_args(weft_http_session *s, const char *method, const char *url,
                      weft_http_response **out) {
  int rc;

  if (!out || !s || !method || (!url && !s->opts.base_url))
    return weft__http_fail(-EINVAL, "session, method, url or out is NULL");
  *out = NULL;
  if (!weft__current())
    return weft__http_fail(-EPERM, "HTTP requests must be made from a task");
  if (s->closed)
    return weft__http_fail(-ESHUTDOWN, "the session is closed");
  rc = weft__http_check_method(method);
  return rc < 0 ? rc : 0;
}

static int request_run(weft__http_req *q, const char *url) {
  const weft_http_request_opts *ro = q->ro;
  int rc = weft__http_url_build(q->s->opts.base_url, url, ro ? ro->params : NULL,
                                ro ? ro->n_params : 0, ro ? ro->params_raw : NULL, &q->url);

  if (rc == 0)
    rc = weft__http_xfer_new(q->s, &q->x);
  if (rc < 0)
    return rc;
  q->x->in_flight = 1;
  q->s->in_flight++;
  rc = run_hops(q);
  q->x->in_flight = 0;
  q->s->in_flight--;
  weft__http_session_settled(q->s);
  if (rc == 0)
    rc = make_response(q);
  if (rc == 0)
    rc = status_check(q);
  return rc;
}

int weft_http_request(weft_http_session *s, const char *method, const char *url,
                      const weft_http_request_opts *opts, weft_http_response **out) {
  weft__http_req q;
  int rc;

  weft__http_clear_error();
  rc = check_args(s, method, url, out);
  if (rc < 0)
    return rc;
  req_init(&q, s, method, opts);
  rc = request_run(&q, url);
  req_free(&q);
  if (rc == 0)
    *out = q.r;
  return rc;
}

#define WEFT__HTTP_METHOD(fn, name)                                                 \
  int fn(weft_http_session *s, const char *url, const weft_http_request_opts *opts, \
         weft_http_response **out) {                                                \
    return weft_http_request(s, name, url, opts, out);                              \
  }

WEFT__HTTP_METHOD(weft_http_get, "GET")
WEFT__HTTP_METHOD(weft_http_post, "POST")
WEFT__HTTP_METHOD(weft_http_put, "PUT")
WEFT__HTTP_METHOD(weft_http_delete, "DELETE")
WEFT__HTTP_METHOD(weft_http_head, "HEAD")
WEFT__HTTP_METHOD(weft_http_options, "OPTIONS")
WEFT__HTTP_METHOD(weft_http_patch, "PATCH")
