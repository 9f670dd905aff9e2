/*
 * TLS on connections and servers: the connected (or accepted) transport
 * becomes the lower transport of weft_start_tls / weft_tls_wrap.
 */
#include <errno.h>

#include "core/internal.h"
#include "net/tlshook.h"
#include "weft/tls.h"

/* The lower transport's protocol until TLS takes it over. */
static void lower_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  WEFT__UNUSED(tr);
  WEFT__UNUSED(data);
  WEFT__UNUSED(len);
  WEFT__UNUSED(arg);
}

static const weft_protocol lower_proto = {.data_received = lower_data};

int weft__tls_client(weft__uvs *u, const char *host, const weft_protocol *proto, void *arg,
                     const weft_connect_opts *o, weft_transport **out) {
  weft_tls_opts topts = {0};

  topts.server_hostname = o->server_hostname ? o->server_hostname : host;
  topts.handshake_timeout = o->tls_handshake_timeout;
  weft__uvs_start(u, &lower_proto, NULL);
  return weft_start_tls(&u->base, proto, arg, o->tls, &topts, out);
}

int weft__tls_server(weft__uvs *u, const weft_protocol *proto, void *arg,
                     const weft_server_opts *o) {
  weft_tls_opts topts = {0};

  topts.server_side = 1;
  topts.handshake_timeout = o->tls_handshake_timeout;
  weft__uvs_start(u, &lower_proto, NULL);
  return weft_tls_wrap(&u->base, proto, arg, o->tls, &topts);
}
