/*
 * Transports over libuv streams (TCP sockets, Unix sockets, pipes), and the
 * helpers the connection and server code of src/net share.
 */
#ifndef WEFT_NET_UVSTREAM_H
#define WEFT_NET_UVSTREAM_H

#include <sys/un.h>
#include <uv.h>

#include "net/transport.h"

enum { WEFT__UVS_TCP = 1, WEFT__UVS_PIPE = 2 };

typedef struct weft__uvs {
  weft_transport base; /* must be first */
  union {
    uv_handle_t h;
    uv_stream_t s;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } u;
  uv_write_t wreq;
  uv_shutdown_t sreq;
  uv_connect_t creq;  /* while connecting (connect.c) */
  void *connect_ctx;  /* the connect attempt waiting on creq, or NULL */
  int connect_status; /* creq's result once done */
  /* Two write buffers: [0] is in flight in wreq, [1] gathers what is
   * written meanwhile; they swap when wreq completes. */
  char *wbuf[2];
  size_t wlen[2], wcap[2];
  int lost_err;
  uint8_t kind;
  uint8_t writing;        /* wreq in flight */
  uint8_t eof_pending;    /* write_eof waits for the buffer to drain */
  uint8_t close_pending;  /* close waits for the buffer to drain */
  uint8_t handle_init;    /* the uv handle was initialised */
  uint8_t handle_closing; /* uv_close was called */
  uint8_t is_socket;      /* pipe kind: the fd is a socket */
} weft__uvs;

/* A TCP transport on loop (handle initialised, no fd yet); family for
 * uv_tcp_init_ex (AF_UNSPEC: none). */
int weft__uvs_new_tcp(weft_loop *loop, int family, weft__uvs **out);
/* A pipe / Unix socket transport (handle initialised, no fd yet). */
int weft__uvs_new_pipe(weft_loop *loop, weft__uvs **out);
/* Close the handle (if any) and free the transport once it is closed,
 * without any protocol callback. For transports never made. */
void weft__uvs_discard(weft__uvs *u);
/* Attach the protocol, call connection_made, start reading. */
void weft__uvs_start(weft__uvs *u, const weft_protocol *proto, void *arg);
/* TCP options on an open socket. */
void weft__uvs_tcp_setup(weft__uvs *u, int nodelay_off, double keepalive);
/* A transport of kind WEFT__UVS_TCP or WEFT__UVS_PIPE, no fd yet. */
int weft__uvs_new(weft_loop *loop, int kind, weft__uvs **out);
/* Give a transport from weft__uvs_new its open fd: 0 or libuv's error
 * (the fd is then still the caller's). */
int weft__uvs_adopt(weft__uvs *u, int fd);
/* Wrap an open fd: weft__uvs_new, then weft__uvs_adopt. */
int weft__uvs_open(weft_loop *loop, int kind, int fd, weft__uvs **out);

/* ---- addresses (addr.c) ---------------------------------------------- */
typedef struct weft__addrs {
  struct sockaddr_storage *v;
  size_t n;
} weft__addrs;

/*
 * Resolve host/port into addresses (stream sockets). A numeric host needs
 * no lookup; NULL host with passive: the wildcards (IPv4 and IPv6 for
 * AF_UNSPEC). Returns 0 or the resolver's code; free with
 * weft__addrs_free.
 */
int weft__resolve(const char *host, int port, int family, int passive, struct weft_resolver *r,
                  weft__addrs *out);
void weft__addrs_free(weft__addrs *a);
socklen_t weft__sockaddr_len(const struct sockaddr *sa);
/* A Unix address from a path or abstract name ('@' or '\0' first). */
int weft__unix_addr(const char *path, struct sockaddr_un *out, socklen_t *len);

/* Ignore SIGPIPE (once) so writes to a closed peer return -EPIPE. */
void weft__net_ignore_sigpipe(void);

#endif
