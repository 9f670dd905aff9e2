/*
 * weft UDP: datagram endpoints (asyncio's create_datagram_endpoint).
 *
 * One object, two styles, chosen when the endpoint is opened:
 *  - task style (opts.protocol NULL): tasks call weft_udp_recvfrom, which
 *    suspends until a datagram arrives. Datagrams that arrive while no task
 *    waits are queued in the endpoint, up to a bound (see weft_udp_opts);
 *    past it the newest datagram is dropped and counted (weft_udp_dropped),
 *    as a full socket buffer drops it in the kernel.
 *  - protocol style (opts.protocol set): the protocol's callbacks run on the
 *    loop (asyncio's DatagramProtocol); nothing is queued.
 *
 * Sending never suspends: weft_udp_sendto writes the datagram at once when
 * the socket can take it, and otherwise queues a copy, so the caller's
 * buffer is free when it returns.
 *
 * A datagram larger than the caller's buffer is never cut silently:
 * weft_udp_recvfrom copies what fits, stores the full length and returns
 * -EMSGSIZE.
 */
#ifndef WEFT_UDP_H
#define WEFT_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "weft/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_udp weft_udp;

/* The largest datagram an endpoint receives whole (IPv6's limit, 65527,
 * fits: the receive buffer is this size). */
#define WEFT_UDP_MAX_DATAGRAM 65536u
/* Default bounds of the task-style receive queue. */
#define WEFT_UDP_QUEUE_DATAGRAMS 256u
#define WEFT_UDP_QUEUE_BYTES (1024u * 1024u)

/* Protocol callbacks (any may be NULL). They run on the loop thread, outside
 * any task, and must not suspend. Order: connection_made first (inside
 * weft_udp_open), then any number of datagram_received / error_received,
 * then connection_lost exactly once after weft_udp_close. */
typedef struct weft_udp_protocol {
  void (*connection_made)(weft_udp *u, void *arg);
  /* data is valid for the call only; addr is the sender. */
  void (*datagram_received)(weft_udp *u, const void *data, size_t len, const struct sockaddr *addr,
                            void *arg);
  /* A receive error (-ECONNREFUSED after an ICMP port unreachable on a
   * connected endpoint, ...) or a queued send that failed. */
  void (*error_received)(weft_udp *u, int err, void *arg);
  /* err: 0 after weft_udp_close. */
  void (*connection_lost)(weft_udp *u, int err, void *arg);
} weft_udp_protocol;

typedef struct weft_udp_opts {
  /* Local address: numeric IPv4/IPv6 or a host name; NULL binds the
   * wildcard of the family ("0.0.0.0", or "::" for AF_INET6). Port 0 picks
   * an ephemeral port (read it back with weft_udp_sockname). */
  const char *local_host;
  int local_port;
  /* Default peer (connect): weft_udp_send needs no address, and only
   * datagrams from this peer are received. NULL: not connected. */
  const char *remote_host;
  int remote_port;
  int family;        /* AF_UNSPEC (from the addresses), AF_INET, AF_INET6 */
  int reuse_address; /* SO_REUSEADDR */
  int reuse_port;    /* SO_REUSEPORT: several endpoints share one port */
  int broadcast;     /* SO_BROADCAST */
  int ipv6_only;     /* IPV6_V6ONLY on an IPv6 endpoint */
  /* Task style: the receive queue bounds; 0 takes the defaults above. */
  size_t queue_datagrams;
  size_t queue_bytes;
  /* Protocol style when set (copied); arg is passed to every callback. */
  const weft_udp_protocol *protocol;
  void *protocol_arg;
} weft_udp_opts;

/*
 * Open an endpoint on the current loop (call from a task: host names are
 * resolved with weft_getaddrinfo, which suspends; numeric addresses never
 * suspend). Returns 0 and *out, or -EINVAL (opts or out NULL, a port outside
 * 0..65535, a family other than AF_UNSPEC/AF_INET/AF_INET6, local and remote
 * of different families), -EPERM (no task or no loop), -EADDRINUSE,
 * -EADDRNOTAVAIL, -EACCES, -ENOMEM, a resolver error, or another error from
 * socket(2), bind(2), connect(2) or setsockopt(2). On error nothing is left
 * open and no callback has run.
 */
int weft_udp_open(weft_udp **out, const weft_udp_opts *opts);

/*
 * Close: stop receiving, drop the queue, wake every task in
 * weft_udp_recvfrom with -EPIPE. Queued sends are abandoned. The memory is
 * freed when libuv has closed the socket; connection_lost(u, 0) runs then.
 * u must not be used after this call. NULL is a no-op.
 */
void weft_udp_close(weft_udp *u);

/*
 * Send one datagram of len bytes (0 is allowed) to addr; addr NULL sends to
 * the connected peer. Never suspends. Returns 0 (sent, or queued with a copy
 * of buf), -EINVAL (u NULL, buf NULL with len > 0, an address family other
 * than the endpoint's), -EDESTADDRREQ (addr NULL and not connected),
 * -EISCONN (addr given on a connected endpoint), -EMSGSIZE (larger than a
 * datagram can be: over 65507 bytes on IPv4, 65527 on IPv6), -EPIPE
 * (closing), -ENOMEM, or the socket's error: -ENETUNREACH, -EHOSTUNREACH,
 * -EACCES (broadcast address without the broadcast flag), -ECONNREFUSED (a
 * previous datagram of a connected endpoint was refused), -ENOBUFS.
 * A queued send that fails later goes to error_received (protocol style) or
 * is returned by the next weft_udp_recvfrom (task style).
 */
int weft_udp_sendto(weft_udp *u, const void *buf, size_t len, const struct sockaddr *addr);
/* weft_udp_sendto(u, buf, len, NULL): to the connected peer. */
int weft_udp_send(weft_udp *u, const void *buf, size_t len);

/*
 * Receive one datagram (task style): suspends until one is queued. Copies up
 * to cap bytes into buf, sets *len to the datagram's full length and *addr
 * (may be NULL) to the sender. Returns 0, -EMSGSIZE (longer than cap: the
 * first cap bytes were copied, *len is the full length, the datagram is
 * consumed), -ECANCELED / -ETIMEDOUT (the caller's scope; no datagram is
 * consumed), -ECONNREFUSED or another socket error (an ICMP error on a
 * connected endpoint, or a queued send that failed), -EPIPE (the endpoint
 * was closed), -EINVAL (u or len NULL, buf NULL with cap > 0, a protocol
 * endpoint), -EPERM (outside a task).
 */
int weft_udp_recvfrom(weft_udp *u, void *buf, size_t cap, size_t *len,
                      struct sockaddr_storage *addr);
/* Without suspending: 0 and a datagram as above, or -EAGAIN when none is
 * queued (or the same errors). */
int weft_udp_try_recvfrom(weft_udp *u, void *buf, size_t cap, size_t *len,
                          struct sockaddr_storage *addr);

/* Datagrams dropped because the receive queue was full. */
uint64_t weft_udp_dropped(const weft_udp *u);
/* Datagrams waiting in the receive queue. */
size_t weft_udp_queued(const weft_udp *u);
/* Bytes of datagrams queued for sending (not yet accepted by the socket). */
size_t weft_udp_send_queue_size(const weft_udp *u);

/* The local address (after open the endpoint is always bound), and the
 * connected peer. 0, -EINVAL (NULL argument), -ENOTCONN (peername of an
 * unconnected endpoint), -EPIPE (closing). */
int weft_udp_sockname(const weft_udp *u, struct sockaddr_storage *addr);
int weft_udp_peername(const weft_udp *u, struct sockaddr_storage *addr);

/* Socket options. Each returns 0, -EINVAL (u NULL, a value out of range,
 * an address that does not parse or is not multicast), -EPIPE (closing), or
 * the setsockopt error (-EADDRNOTAVAIL: no such interface, -ENODEV ...). */
int weft_udp_set_broadcast(weft_udp *u, int on);
int weft_udp_set_ttl(weft_udp *u, int ttl); /* 1..255 */
/* Join or leave a multicast group (numeric address); iface is the numeric
 * address of the local interface, NULL for the default one. */
int weft_udp_join(weft_udp *u, const char *group, const char *iface);
int weft_udp_leave(weft_udp *u, const char *group, const char *iface);
int weft_udp_set_multicast_ttl(weft_udp *u, int ttl); /* 0..255 */
int weft_udp_set_multicast_loop(weft_udp *u, int on);
/* The interface outgoing multicast leaves from (numeric address). */
int weft_udp_set_multicast_interface(weft_udp *u, const char *iface);

/*
 * Fill *addr from a host (numeric IPv4/IPv6, or a name resolved with
 * weft_getaddrinfo: suspends, so call it from a task) and port. family
 * AF_UNSPEC takes the first address found. 0, -EINVAL (NULL argument, port
 * outside 0..65535, bad family), -EPERM (a name outside a task), or the
 * resolver's error.
 */
int weft_udp_addr(struct sockaddr_storage *addr, const char *host, int port, int family);
/* "1.2.3.4:53" or "[::1]:53" into buf; returns buf ("?" if addr is not
 * IPv4/IPv6 or does not fit). */
const char *weft_udp_addr_str(const struct sockaddr *addr, char *buf, size_t cap);
/* The port of an IPv4/IPv6 address, -EINVAL for anything else. */
int weft_udp_addr_port(const struct sockaddr *addr);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_UDP_H */
