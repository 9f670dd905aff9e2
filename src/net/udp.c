/*
 * UDP endpoints: opening (resolve, socket, options, bind, connect) and
 * closing.
 */
#include <string.h>

#include "net/udp_internal.h"

typedef struct udp_addrs {
  struct sockaddr_storage local, remote;
  int family;
  uint8_t has_remote;
} udp_addrs;

static int opts_valid(const weft_udp_opts *o) {
  if (o->local_port < 0 || o->local_port > 65535 || o->remote_port < 0 || o->remote_port > 65535)
    return 0;
  if (o->family != AF_UNSPEC && o->family != AF_INET && o->family != AF_INET6)
    return 0;
  return 1;
}

/* The remote address first (it decides the family), then the local one in
 * that family. */
static int udp_resolve_addrs(const weft_udp_opts *o, udp_addrs *a) {
  const char *local = o->local_host;
  int rc;

  a->family = o->family;
  a->has_remote = o->remote_host != NULL;
  if (a->has_remote) {
    if ((rc = weft_udp_addr(&a->remote, o->remote_host, o->remote_port, a->family)) != 0)
      return rc == -EAFNOSUPPORT ? -EINVAL : rc;
    a->family = a->remote.ss_family;
  }
  if (!local)
    local = a->family == AF_INET6 ? "::" : "0.0.0.0";
  if ((rc = weft_udp_addr(&a->local, local, o->local_port, a->family)) != 0)
    return rc == -EAFNOSUPPORT ? -EINVAL : rc;
  a->family = a->local.ss_family;
  return 0;
}

static void udp_closed(uv_handle_t *h) {
  weft_udp *u = h->data;

  if (u->has_proto && u->proto.connection_lost)
    u->proto.connection_lost(u, 0, u->proto_arg);
  weft_free(u->rbuf);
  weft_free(u);
}

static int udp_set_reuse_port(weft_udp *u) {
  uv_os_fd_t fd;
  int on = 1;

  if (uv_fileno((uv_handle_t *)&u->h, &fd) != 0)
    return -EBADF;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
    return -errno;
  return 0;
}

/* Options, bind and connect on the open socket. */
static int udp_setup(weft_udp *u, const weft_udp_opts *o, const udp_addrs *a) {
  unsigned flags = 0;
  int rc;

  if (o->reuse_port && (rc = udp_set_reuse_port(u)) != 0)
    return rc;
  if (o->reuse_address)
    flags |= UV_UDP_REUSEADDR;
  if (o->ipv6_only && a->family == AF_INET6)
    flags |= UV_UDP_IPV6ONLY;
  if ((rc = uv_udp_bind(&u->h, (const struct sockaddr *)&a->local, flags)) != 0)
    return rc;
  if (o->broadcast && (rc = uv_udp_set_broadcast(&u->h, 1)) != 0)
    return rc;
  if (a->has_remote) {
    if ((rc = uv_udp_connect(&u->h, (const struct sockaddr *)&a->remote)) != 0)
      return rc;
    u->connected = 1;
  }
  return 0;
}

static weft_udp *udp_alloc(weft_loop *loop, const weft_udp_opts *o) {
  weft_udp *u = weft_calloc(1, sizeof *u);

  if (!u)
    return NULL;
  u->rbuf = weft_malloc(WEFT_UDP_MAX_DATAGRAM);
  if (!u->rbuf) {
    weft_free(u);
    return NULL;
  }
  u->loop = loop;
  u->tail = &u->head;
  u->max_datagrams = o->queue_datagrams ? o->queue_datagrams : WEFT_UDP_QUEUE_DATAGRAMS;
  u->max_bytes = o->queue_bytes ? o->queue_bytes : WEFT_UDP_QUEUE_BYTES;
  weft__list_init(&u->waiters);
  if (o->protocol) {
    u->has_proto = 1;
    u->proto = *o->protocol;
    u->proto_arg = o->protocol_arg;
  }
  return u;
}

int weft_udp_open(weft_udp **out, const weft_udp_opts *opts) {
  weft_loop *loop = weft_loop_current();
  udp_addrs a;
  weft_udp *u;
  int rc;

  if (!out || !opts || !opts_valid(opts))
    return -EINVAL;
  *out = NULL;
  if (!loop || !weft__current())
    return -EPERM;
  if ((rc = udp_resolve_addrs(opts, &a)) != 0)
    return rc;
  if (!(u = udp_alloc(loop, opts)))
    return -ENOMEM;
  if ((rc = uv_udp_init_ex(&loop->uv, &u->h, (unsigned)a.family)) != 0)
    goto fail_free;
  u->h.data = u;
  u->family = a.family;
  if ((rc = udp_setup(u, opts, &a)) != 0 || (rc = weft__udp_recv_start(u)) != 0)
    goto fail_close;
  if (u->has_proto && u->proto.connection_made)
    u->proto.connection_made(u, u->proto_arg);
  *out = u;
  return 0;

fail_close:
  u->has_proto = 0; /* no connection_lost without connection_made */
  u->closing = 1;
  uv_close((uv_handle_t *)&u->h, udp_closed);
  return rc;
fail_free:
  weft_free(u->rbuf);
  weft_free(u);
  return rc;
}

void weft_udp_close(weft_udp *u) {
  if (!u || u->closing)
    return;
  u->closing = 1;
  uv_udp_recv_stop(&u->h);
  weft__udp_recv_shutdown(u, -EPIPE);
  uv_close((uv_handle_t *)&u->h, udp_closed);
}

static int udp_name(const weft_udp *u, struct sockaddr_storage *addr, int peer) {
  int n = sizeof *addr;
  int rc;

  if (!u || !addr)
    return -EINVAL;
  if (u->closing)
    return -EPIPE;
  if (peer && !u->connected)
    return -ENOTCONN;
  memset(addr, 0, sizeof *addr);
  rc = peer ? uv_udp_getpeername(&u->h, (struct sockaddr *)addr, &n)
            : uv_udp_getsockname(&u->h, (struct sockaddr *)addr, &n);
  return rc;
}

int weft_udp_sockname(const weft_udp *u, struct sockaddr_storage *addr) {
  return udp_name(u, addr, 0);
}

int weft_udp_peername(const weft_udp *u, struct sockaddr_storage *addr) {
  return udp_name(u, addr, 1);
}

uint64_t weft_udp_dropped(const weft_udp *u) {
  return u ? u->dropped : 0;
}

size_t weft_udp_queued(const weft_udp *u) {
  return u ? u->nqueued : 0;
}

size_t weft_udp_send_queue_size(const weft_udp *u) {
  return u ? uv_udp_get_send_queue_size(&u->h) : 0;
}
