/*
 * TLS on connections and servers: the glue between the connect/server code
 * and weft_start_tls (include/weft/tls.h).
 */
#ifndef WEFT_NET_TLSHOOK_H
#define WEFT_NET_TLSHOOK_H

#include "net/uvstream.h"

/* Client side: run the handshake over u (suspends) and hand the TLS
 * transport to proto. On failure u is closed already. */
int weft__tls_client(weft__uvs *u, const char *host, const weft_protocol *proto, void *arg,
                     const weft_connect_opts *o, weft_transport **out);
/* Server side: start TLS on an accepted connection without suspending;
 * proto hears connection_made once the handshake is done. On failure
 * (returned) u is left to the caller. */
int weft__tls_server(weft__uvs *u, const weft_protocol *proto, void *arg,
                     const weft_server_opts *o);
/* Finish a connection: protocol setup shared by TCP and Unix clients. */
int weft__connect_finish(weft__uvs *u, const char *host, const weft_protocol *proto, void *arg,
                         const weft_connect_opts *o, weft_transport **out);

#endif
