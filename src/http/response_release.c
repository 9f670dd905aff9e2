/*
 * release() and free(): the transfer goes back to the engine (its
 * connection to the pool when the body was read to its end, else closed),
 * then the response's memory.
 */
#include "http/internal.h"

void weft_http_response_release(weft_http_response *r) {
  if (!r)
    return;
  if (r->pending) {
    weft__http_body_consume(r, r->pending);
    r->pending = 0;
  }
  weft__http_xfer_release(r);
}

void weft_http_response_free(weft_http_response *r) {
  if (!r)
    return;
  weft_http_response_release(r);
  weft__http_response_destroy(r);
}
