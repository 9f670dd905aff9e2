/*
 * UDP endpoints: the state shared by src/net/udp*.c.
 */
#ifndef WEFT_NET_UDP_INTERNAL_H
#define WEFT_NET_UDP_INTERNAL_H

#include <uv.h>

#include "core/internal.h"
#include "weft/udp.h"

/* A datagram in the receive queue, its bytes after the header; or a socket
 * error (err != 0, no bytes). */
typedef struct weft__udp_dgram {
  struct weft__udp_dgram *next;
  struct sockaddr_storage addr;
  size_t len;
  int err;
} weft__udp_dgram;

/* A task parked in weft_udp_recvfrom; the datagram is copied straight into
 * its buffer. */
typedef struct weft__udp_waiter {
  weft__list link;
  weft_task *task;
  void *buf;
  size_t cap;
  size_t *len;
  struct sockaddr_storage *addr;
} weft__udp_waiter;

struct weft_udp {
  uv_udp_t h;
  weft_loop *loop;
  int family;
  uint8_t connected;
  uint8_t closing;
  uint8_t has_proto;
  weft_udp_protocol proto;
  void *proto_arg;
  /* receiving */
  char *rbuf; /* WEFT_UDP_MAX_DATAGRAM bytes, reused by every receive */
  uint8_t rbuf_busy;
  weft__udp_dgram *head, **tail;
  size_t nqueued, qbytes;
  size_t max_datagrams, max_bytes;
  uint64_t dropped;
  weft__list waiters; /* weft__udp_waiter */
};

/* udp_recv.c */
int weft__udp_recv_start(weft_udp *u);
/* Wake every waiter with code and free the queue. */
void weft__udp_recv_shutdown(weft_udp *u, int code);
/* Task style: hand an error to the first waiter or queue it. */
void weft__udp_deliver_error(weft_udp *u, int err);

/* udp_addr.c */
int weft__udp_parse_numeric(struct sockaddr_storage *ss, const char *host, int port, int family);
socklen_t weft__udp_addr_len(const struct sockaddr *sa);

#endif
