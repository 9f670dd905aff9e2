/*
 * UDP socket options: broadcast, TTL, multicast membership, TTL, loop and
 * interface.
 */
#include "net/udp_internal.h"

static int udp_usable(const weft_udp *u) {
  if (!u)
    return -EINVAL;
  return u->closing ? -EPIPE : 0;
}

int weft_udp_set_broadcast(weft_udp *u, int on) {
  int rc = udp_usable(u);

  return rc ? rc : uv_udp_set_broadcast(&u->h, on != 0);
}

int weft_udp_set_ttl(weft_udp *u, int ttl) {
  int rc = udp_usable(u);

  if (rc)
    return rc;
  if (ttl < 1 || ttl > 255)
    return -EINVAL;
  return uv_udp_set_ttl(&u->h, ttl);
}

/* A numeric multicast group of the endpoint's family. */
static int udp_group_ok(const weft_udp *u, const char *group) {
  struct sockaddr_storage ss;

  if (!group || weft__udp_parse_numeric(&ss, group, 0, u->family) != 0)
    return 0;
  if (ss.ss_family == AF_INET)
    return IN_MULTICAST(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr));
  return IN6_IS_ADDR_MULTICAST(&((struct sockaddr_in6 *)&ss)->sin6_addr);
}

static int udp_membership(weft_udp *u, const char *group, const char *iface, uv_membership m) {
  int rc = udp_usable(u);

  if (rc)
    return rc;
  if (!udp_group_ok(u, group))
    return -EINVAL;
  return uv_udp_set_membership(&u->h, group, iface, m);
}

int weft_udp_join(weft_udp *u, const char *group, const char *iface) {
  return udp_membership(u, group, iface, UV_JOIN_GROUP);
}

int weft_udp_leave(weft_udp *u, const char *group, const char *iface) {
  return udp_membership(u, group, iface, UV_LEAVE_GROUP);
}

int weft_udp_set_multicast_ttl(weft_udp *u, int ttl) {
  int rc = udp_usable(u);

  if (rc)
    return rc;
  if (ttl < 0 || ttl > 255)
    return -EINVAL;
  return uv_udp_set_multicast_ttl(&u->h, ttl);
}

int weft_udp_set_multicast_loop(weft_udp *u, int on) {
  int rc = udp_usable(u);

  return rc ? rc : uv_udp_set_multicast_loop(&u->h, on != 0);
}

int weft_udp_set_multicast_interface(weft_udp *u, const char *iface) {
  int rc = udp_usable(u);

  if (rc)
    return rc;
  if (!iface)
    return -EINVAL;
  return uv_udp_set_multicast_interface(&u->h, iface);
}
