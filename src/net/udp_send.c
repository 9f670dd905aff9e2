/*
 * UDP sending: uv_udp_try_send at once, else a queued uv_udp_send with a
 * copy of the payload. Never suspends.
 */
#include <string.h>

#include "net/udp_internal.h"

typedef struct udp_send_req {
  uv_udp_send_t req;
  weft_udp *u;
  /* the payload follows */
} udp_send_req;

/* The largest payload of one datagram: 65535 minus the IP header (IPv4)
 * and the UDP header. */
static size_t udp_max_payload(int family) {
  return family == AF_INET6 ? 65527u : 65507u;
}

static void udp_sent(uv_udp_send_t *req, int status) {
  udp_send_req *s = req->data;
  weft_udp *u = s->u;

  weft_free(s);
  if (status == 0 || status == UV_ECANCELED || u->closing)
    return;
  if (!u->has_proto)
    weft__udp_deliver_error(u, status);
  else if (u->proto.error_received)
    u->proto.error_received(u, status, u->proto_arg);
}

static int udp_send_queued(weft_udp *u, const void *buf, size_t len, const struct sockaddr *addr) {
  udp_send_req *s = weft_malloc(sizeof *s + len);
  uv_buf_t b;
  int rc;

  if (!s)
    return -ENOMEM;
  s->u = u;
  s->req.data = s;
  if (len)
    memcpy(s + 1, buf, len);
  b = uv_buf_init((char *)(s + 1), (unsigned)len);
  if ((rc = uv_udp_send(&s->req, &u->h, &b, 1, addr, udp_sent)) != 0)
    weft_free(s);
  return rc;
}

static int udp_check_dest(const weft_udp *u, const struct sockaddr *addr) {
  if (!addr)
    return u->connected ? 0 : -EDESTADDRREQ;
  if (u->connected)
    return -EISCONN;
  if (addr->sa_family != u->family)
    return -EINVAL;
  return 0;
}

int weft_udp_sendto(weft_udp *u, const void *buf, size_t len, const struct sockaddr *addr) {
  uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
  int rc;

  if (!u || (!buf && len))
    return -EINVAL;
  if (u->closing)
    return -EPIPE;
  if ((rc = udp_check_dest(u, addr)) != 0)
    return rc;
  if (len > udp_max_payload(u->family))
    return -EMSGSIZE;
  if (!buf)
    b.base = u->rbuf; /* an empty datagram still needs a base */
  rc = uv_udp_try_send(&u->h, &b, 1, addr);
  if (rc >= 0)
    return 0;
  if (rc != UV_EAGAIN && rc != UV_ENOSYS)
    return rc;
  return udp_send_queued(u, buf, len, addr);
}

int weft_udp_send(weft_udp *u, const void *buf, size_t len) {
  return weft_udp_sendto(u, buf, len, NULL);
}
