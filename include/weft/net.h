/*
 * weft networking: transports and protocols (asyncio's callback interface),
 * connections over TCP, Unix sockets and pipes, and servers.
 *
 * A protocol is a struct of callbacks; a transport moves bytes for it. The
 * transport calls its protocol in the order asyncio guarantees:
 * connection_made once, then data_received any number of times, then at most
 * one eof_received, then connection_lost once (never before connection_made,
 * nothing after it). Callbacks run on the loop thread, outside any task; they
 * must not suspend (spawn a task or call weft_call_soon to do so).
 *
 * Errors are 0 or a negative errno; libuv codes pass through unchanged.
 */
#ifndef WEFT_NET_H
#define WEFT_NET_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "weft/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_transport weft_transport;
typedef struct weft_server weft_server;
/* A TLS context (include/weft/tls.h). */
typedef struct weft_tls_ctx weft_tls_ctx;
/* A DNS resolver (include/weft/dns.h); NULL means the system resolver. */
struct weft_resolver;

/* ------------------------------------------------------------------ */
/* Protocols                                                           */
/* ------------------------------------------------------------------ */

/*
 * Protocol callbacks. Every one gets the transport and the arg given with
 * the protocol. Only data_received is required.
 *
 * - connection_made: the transport is ready; it may be written at once.
 * - data_received: data is a view into the transport's read buffer, valid
 *   only for the call (copy what you keep).
 * - eof_received: the peer will send no more. Return nonzero to keep the
 *   transport open for writing (half-close); 0 (or no callback) closes it.
 * - connection_lost: the last call. err is 0 for a normal close or EOF, or
 *   the error that ended the connection (-ECONNRESET, -EPIPE, ...). The
 *   transport is valid during the call and is freed after it returns
 *   unless retained (weft_transport_retain).
 * - pause_writing / resume_writing: the write buffer went above the high
 *   water mark / back down to the low one (edge-triggered, paired).
 */
typedef struct weft_protocol {
  void (*connection_made)(weft_transport *tr, void *arg);
  void (*data_received)(weft_transport *tr, const char *data, size_t len, void *arg);
  int (*eof_received)(weft_transport *tr, void *arg);
  void (*connection_lost)(weft_transport *tr, int err, void *arg);
  void (*pause_writing)(weft_transport *tr, void *arg);
  void (*resume_writing)(weft_transport *tr, void *arg);
} weft_protocol;

/*
 * A server's protocol factory: called for every accepted connection before
 * connection_made, with the new transport. Set *proto and *proto_arg and
 * return 0, or return a negative code to refuse the connection (it is
 * closed; no callback of any protocol runs for it).
 */
typedef int (*weft_protocol_factory)(void *factory_arg, weft_transport *tr,
                                     const weft_protocol **proto, void **proto_arg);

/* ------------------------------------------------------------------ */
/* Transports                                                          */
/* ------------------------------------------------------------------ */

#define WEFT_WRITE_HIGH_DEFAULT (64u * 1024u)
#define WEFT_WRITE_LOW_DEFAULT (16u * 1024u)

/*
 * Write len bytes. Never suspends: what the kernel does not take at once is
 * copied into the transport's buffer and sent as the socket allows; the
 * buffer may grow past the high water mark (the protocol is told through
 * pause_writing and should stop producing). Returns 0; -EPIPE when the
 * transport is closing or closed or write_eof was called; -ENOMEM;
 * -ENOTSUP on a read-only pipe; the socket's error (-EPIPE, -ECONNRESET)
 * when the kernel refused the data at once. A write error ends the
 * connection through connection_lost(err).
 */
int weft_transport_write(weft_transport *tr, const void *data, size_t len);
/* writelines: the buffers in order, as one write. Same codes. */
int weft_transport_writev(weft_transport *tr, const struct iovec *iov, size_t n);
/*
 * Close the write side once the buffer is flushed (shutdown(SHUT_WR)); the
 * transport keeps reading. 0 (also when repeated), -EPIPE when closing,
 * -ENOTSUP when the transport cannot half-close (can_write_eof is 0).
 */
int weft_transport_write_eof(weft_transport *tr);
/* 1 if write_eof is supported (TCP, Unix sockets, write pipes), else 0. */
int weft_transport_can_write_eof(const weft_transport *tr);
/*
 * Close: stop reading at once, send what is buffered, then close the socket
 * and call connection_lost(0). Calling it again has no effect.
 */
void weft_transport_close(weft_transport *tr);
/* Close at once, dropping the buffer; connection_lost(0) follows. */
void weft_transport_abort(weft_transport *tr);
/* 1 once close or abort was called or the connection was lost. */
int weft_transport_is_closing(const weft_transport *tr);
/* Stop / restart delivering data_received. 0, or -EPIPE when closing.
 * Pausing a paused transport (or resuming a reading one) is a no-op. */
int weft_transport_pause_reading(weft_transport *tr);
int weft_transport_resume_reading(weft_transport *tr);
/* 1 while data_received may be called (not paused, not closing, no EOF). */
int weft_transport_is_reading(const weft_transport *tr);
/* Bytes written but not yet handed to the kernel. */
size_t weft_transport_get_write_buffer_size(const weft_transport *tr);
/*
 * Water marks for pause_writing/resume_writing. high 0 means the default
 * (64 KiB); low (size_t)-1 means high / 4. Returns 0 or -EINVAL (low >
 * high). Crossing the new marks calls the protocol at once.
 */
int weft_transport_set_write_buffer_limits(weft_transport *tr, size_t high, size_t low);
void weft_transport_get_write_buffer_limits(const weft_transport *tr, size_t *high, size_t *low);
/* The peer's / our address. 0, -ENOTCONN (closed), -ENOTSUP (pipe fds),
 * or a libuv error. */
int weft_transport_peername(const weft_transport *tr, struct sockaddr_storage *out);
int weft_transport_sockname(const weft_transport *tr, struct sockaddr_storage *out);
/* The file descriptor, or -EBADF once closed. Owned by the transport. */
int weft_transport_fileno(const weft_transport *tr);
/* Switch the protocol (asyncio's set_protocol); the new one gets the next
 * callbacks, starting with no connection_made. */
void weft_transport_set_protocol(weft_transport *tr, const weft_protocol *proto, void *arg);
const weft_protocol *weft_transport_get_protocol(const weft_transport *tr, void **arg);
/* Keep the transport's memory valid beyond connection_lost. */
weft_transport *weft_transport_retain(weft_transport *tr);
void weft_transport_release(weft_transport *tr);
/* The loop the transport belongs to. */
weft_loop *weft_transport_loop(const weft_transport *tr);

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

typedef struct weft_connect_opts {
  int family; /* AF_UNSPEC (default), AF_INET or AF_INET6 */
  /* Bind to this local address / port before connecting (NULL / 0: any). */
  const char *local_host;
  int local_port;
  /* Happy eyeballs (RFC 8305): start the next address after this many
   * seconds while the previous attempts are pending. 0: one at a time. */
  double happy_eyeballs_delay;
  int nodelay_off;                /* 1: leave Nagle's algorithm on (TCP_NODELAY off) */
  double keepalive;               /* > 0: SO_KEEPALIVE with this idle time in seconds */
  weft_tls_ctx *tls;              /* TLS over the connection (weft_start_tls) */
  const char *server_hostname;    /* SNI and hostname check; default: host */
  double tls_handshake_timeout;   /* seconds, 0 = default (60) */
  struct weft_resolver *resolver; /* NULL: the system resolver */
  size_t write_high, write_low;   /* 0: defaults (64 KiB / 16 KiB) */
} weft_connect_opts;

#define WEFT_CONNECT_OPTS_INIT \
  { 0 }

/*
 * asyncio's loop.create_connection: resolve host (names through the
 * resolver, numeric addresses directly), try each address in order (or
 * staggered with happy_eyeballs_delay) until one connects, then call
 * proto->connection_made and start reading. Suspends the calling task;
 * timeouts and cancellation come from its scopes.
 *
 * Returns 0 and *out, or: -EINVAL (bad arguments, port out of range),
 * -EPERM (not in a task), the resolver's error (e.g. UV_EAI_NONAME), the
 * error of the last address tried (-ECONNREFUSED, -ENETUNREACH, ...),
 * -ETIMEDOUT or -ECANCELED from the task's scopes (every pending attempt is
 * closed), -ENOMEM, or a TLS error when opts->tls is set. On failure no
 * protocol callback has run.
 */
int weft_create_connection(const char *host, int port, const weft_protocol *proto, void *arg,
                           const weft_connect_opts *opts, weft_transport **out);

/*
 * Connect to a Unix socket: a path, or a Linux abstract name given with a
 * leading '@' or '\0' (the name follows it, up to the next NUL; an empty
 * string is therefore read as '\0' followed by a name and must not be
 * passed). Same codes as weft_create_connection; -ENAMETOOLONG
 * for a path that does not fit sockaddr_un. opts may be NULL (only tls,
 * server_hostname, tls_handshake_timeout and the write marks apply).
 */
int weft_create_unix_connection(const char *path, const weft_protocol *proto, void *arg,
                                const weft_connect_opts *opts, weft_transport **out);

/*
 * Wrap an open file descriptor: a connected TCP or Unix socket, or a pipe
 * (stdin/stdout included). The transport owns fd from then on and closes it.
 * connection_made runs before it returns; does not suspend. Returns 0,
 * -EBADF, -EINVAL (a regular file or an unsupported kind), -ENOMEM, or a
 * libuv error; on failure fd is left open and owned by the caller.
 */
int weft_connect_fd(int fd, const weft_protocol *proto, void *arg, weft_transport **out);
/* asyncio's connect_read_pipe / connect_write_pipe: a read-only transport
 * (writes return -ENOTSUP) or a write-only one (never reads; the peer
 * closing the pipe shows as connection_lost). Same codes. */
int weft_connect_read_pipe(int fd, const weft_protocol *proto, void *arg, weft_transport **out);
int weft_connect_write_pipe(int fd, const weft_protocol *proto, void *arg, weft_transport **out);

/* ------------------------------------------------------------------ */
/* Servers                                                             */
/* ------------------------------------------------------------------ */

typedef struct weft_server_opts {
  int family;                     /* AF_UNSPEC (default), AF_INET or AF_INET6 */
  int backlog;                    /* listen() backlog; 0: 511 */
  int reuse_address_off;          /* 1: do not set SO_REUSEADDR (on by default) */
  int reuse_port;                 /* 1: SO_REUSEPORT (one server per loop per core) */
  size_t max_connections;         /* > 0: accept pauses at this many live ones */
  double accept_retry_delay;      /* after EMFILE/ENFILE or short memory at accept; 0: 0.25 s */
  int nodelay_off;                /* accepted TCP connections: leave Nagle on */
  double keepalive;               /* > 0: SO_KEEPALIVE with this idle time */
  weft_tls_ctx *tls;              /* TLS on every accepted connection */
  double tls_handshake_timeout;   /* seconds, 0 = default (60) */
  size_t write_high, write_low;   /* 0: defaults for accepted transports */
  struct weft_resolver *resolver; /* for host names; NULL: system */
} weft_server_opts;

#define WEFT_SERVER_OPTS_INIT \
  { 0 }

/*
 * asyncio's loop.create_server: listen on every address of every host
 * (nhosts 0 or hosts NULL, or a NULL host: all interfaces, IPv4 and IPv6)
 * on port (0: an ephemeral port, read it back with weft_server_port; with
 * several addresses and port 0, each listener gets its own port). For each
 * accepted connection, factory picks the protocol, then connection_made
 * runs. With opts->tls the handshake runs first (without a task): the
 * factory sees the TCP transport, the protocol gets the TLS transport once
 * the handshake is done, and connections failing it are closed unseen.
 * Accepting starts at once. May suspend to resolve names.
 *
 * Returns 0 and *out, or -EINVAL (bad arguments), -EADDRINUSE,
 * -EADDRNOTAVAIL, -EACCES, the resolver's error, -ENOMEM, -EPERM (not in a
 * task when a name must be resolved), -ECANCELED / -ETIMEDOUT.
 */
int weft_create_server(const char *const *hosts, size_t nhosts, int port,
                       weft_protocol_factory factory, void *factory_arg,
                       const weft_server_opts *opts, weft_server **out);
/*
 * A Unix socket server on path (or an abstract name, '@' / '\0'). A stale
 * socket file at path is removed first; the file is removed on close.
 * Same codes, plus -ENAMETOOLONG.
 */
int weft_create_unix_server(const char *path, weft_protocol_factory factory, void *factory_arg,
                            const weft_server_opts *opts, weft_server **out);
/* How many listening sockets, and their addresses. */
size_t weft_server_nsockets(const weft_server *srv);
/* 0, -EINVAL (i out of range or closed), or a libuv error. */
int weft_server_sockname(const weft_server *srv, size_t i, struct sockaddr_storage *out);
/* The port of the first listening socket (0 for Unix servers). */
int weft_server_port(const weft_server *srv);
/* Live connections accepted by this server and not yet lost. */
size_t weft_server_connections(const weft_server *srv);
/* 1 while accepting (not closed). */
int weft_server_is_serving(const weft_server *srv);
/*
 * Suspend until the server is closed. Returns 0 after weft_server_close,
 * -ECANCELED / -ETIMEDOUT from the task's scopes (the server is then closed,
 * as asyncio's serve_forever does), -EPERM outside a task.
 */
int weft_server_serve_forever(weft_server *srv);
/* Stop accepting and close the listening sockets; live connections go on.
 * Idempotent. */
void weft_server_close(weft_server *srv);
/*
 * Suspend until the server is closed and every connection it accepted is
 * lost. grace_seconds < 0 or INFINITY: wait without limit; otherwise after
 * that long the remaining connections are aborted (connection_lost(0)) and
 * the call waits for them to end. Returns 0, -ECANCELED / -ETIMEDOUT from
 * the task's scopes (connections are left alone), -EPERM outside a task.
 */
int weft_server_wait_closed(weft_server *srv, double grace_seconds);
/* Abort every live connection of the server now. */
void weft_server_abort_clients(weft_server *srv);
/* Close (if needed) and free. Live connections stay open and detach from
 * the server; the memory goes when the last listener handle is closed. */
void weft_server_free(weft_server *srv);

/* ------------------------------------------------------------------ */
/* Addresses                                                           */
/* ------------------------------------------------------------------ */

/* "1.2.3.4:80", "[::1]:80", a Unix path, "@abstract" or "<unnamed>" into
 * buf. Returns 0, -EINVAL (unknown family), -ENOSPC (buf too small). */
int weft_sockaddr_format(const struct sockaddr *sa, char *buf, size_t len);
/* The port of an IPv4/IPv6 address, -EINVAL for other families. */
int weft_sockaddr_port(const struct sockaddr *sa);
/* Parse a numeric IPv4/IPv6 host (NULL: the wildcard of family; AF_UNSPEC
 * defaults to IPv4) and a port into out. 0, -EINVAL. */
int weft_sockaddr_parse(const char *host, int port, int family, struct sockaddr_storage *out);

#ifdef __cplusplus
}
#endif

#endif
