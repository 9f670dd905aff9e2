/*
 * TLS on connections: hands the connected lower transport to
 * weft_start_tls.
 */
#include <errno.h>

#include "core/internal.h"
#include "net/tlshook.h"

int weft__tls_client(weft__uvs *u, const char *host, const weft_protocol *proto, void *arg,
                     const weft_connect_opts *o, weft_transport **out) {
  WEFT__UNUSED(u);
  WEFT__UNUSED(host);
  WEFT__UNUSED(proto);
  WEFT__UNUSED(arg);
  WEFT__UNUSED(o);
  WEFT__UNUSED(out);
  return -ENOTSUP;
}
