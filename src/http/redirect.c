/*
 * Redirects, handled by the engine rather than curl's FOLLOWLOCATION (as
 * aiohttp): each 3xx with a Location is kept in the history (status, url,
 * headers), its body drained so the connection can be reused, and the
 * request moves on: 303 (and 301/302 after a POST) become a GET without a
 * body, 307/308 send the same method and body again, Authorization does
 * not cross origins, and more than max_redirects fail.
 */
#include <errno.h>
#include <string.h>

#include "http/engine.h"

static int is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

int weft__http_redirect_wanted(weft__http_req *q) {
  weft__http_xfer *x = q->x;

  if ((q->ro && q->ro->no_redirects) || !is_redirect(x->status) || !x->headers)
    return 0;
  return weft_http_headers_get(x->headers, "Location") != NULL;
}

static int history_add(weft__http_req *q) {
  weft__http_hop *h = weft_realloc(q->history, (q->n_history + 1) * sizeof *h);

  if (!h)
    return weft__http_fail(-ENOMEM, NULL);
  q->history = h;
  h[q->n_history].status = q->x->status;
  h[q->n_history].url = q->url;
  h[q->n_history].headers = q->x->headers;
  q->n_history++;
  q->url = NULL;
  q->x->headers = NULL;
  return 0;
}

/* The method and body of the next hop (aiohttp's rules). */
static void next_method(weft__http_req *q, int status) {
  int to_get = (status == 303 && strcmp(q->methodp, "HEAD") != 0) ||
               ((status == 301 || status == 302) && strcmp(q->methodp, "POST") == 0);

  if (!to_get)
    return;
  q->methodp = "GET";
  q->keep_body = 0;
}

int weft__http_redirect_follow(weft__http_req *q) {
  const char *loc = weft_http_headers_get(q->x->headers, "Location");
  char *next = NULL;
  int rc, status = q->x->status;

  if (q->n_history + 1 > (size_t)q->max_redirects)
    return weft__http_fail(WEFT_HTTP_EREDIRECTS, "too many redirects (%d), last to %s",
                           q->max_redirects, loc);
  rc = weft__http_url_join(q->url, loc, &next);
  if (rc < 0)
    return rc;
  rc = weft__http_url_same_origin(q->url, next);
  if (rc == 0)
    q->auth_allowed = 0;
  rc = rc < 0 ? weft__http_fail(rc, NULL) : history_add(q);
  if (rc < 0) {
    weft_free(next);
    return rc;
  }
  q->url = next;
  next_method(q, status);
  return 0;
}
