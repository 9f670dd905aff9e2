/*
 * release() and free(): the transfer goes back to the engine (its
 * connection to the pool when the body was read to its end, else closed),
 * then the response's memory. Body calls after a release that left part
 * of the body unread fail with -ECONNABORTED, as aiohttp's do ("Connection
 * closed"), rather than report a short body as complete.
 */
#include <errno.h>

#include "http/internal.h"

void weft_http_response_release(weft_http_response *r) {
  if (!r)
    return;
  if (r->pending) {
    weft__http_body_consume(r, r->pending);
    r->pending = 0;
  }
  if (r->xfer && !r->err && !r->body_done && !weft__http_body_ended(r))
    r->err = -ECONNABORTED;
  weft__http_xfer_release(r);
}

void weft_http_response_free(weft_http_response *r) {
  if (!r)
    return;
  weft_http_response_release(r);
  weft__http_response_destroy(r);
}
