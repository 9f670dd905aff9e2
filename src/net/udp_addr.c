/*
 * UDP addresses: numeric parsing, name resolution, formatting.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "net/udp_internal.h"
#include "weft/dns.h"

static int family_ok(int family) {
  return family == AF_UNSPEC || family == AF_INET || family == AF_INET6;
}

socklen_t weft__udp_addr_len(const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET)
    return sizeof(struct sockaddr_in);
  if (sa->sa_family == AF_INET6)
    return sizeof(struct sockaddr_in6);
  return 0;
}

/* 0 when host is a numeric address of an allowed family, -EAGAIN when it is
 * not numeric (a name), -EAFNOSUPPORT when numeric but of the wrong family. */
int weft__udp_parse_numeric(struct sockaddr_storage *ss, const char *host, int port, int family) {
  memset(ss, 0, sizeof *ss);
  if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0)
    return family == AF_INET6 ? -EAFNOSUPPORT : 0;
  if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0)
    return family == AF_INET ? -EAFNOSUPPORT : 0;
  return -EAGAIN;
}

static int udp_resolve(struct sockaddr_storage *ss, const char *host, int port, int family) {
  struct addrinfo hints, *res = NULL;
  char service[8];
  int rc;

  memset(&hints, 0, sizeof hints);
  hints.ai_family = family;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_protocol = IPPROTO_UDP;
  snprintf(service, sizeof service, "%d", port);
  if ((rc = weft_getaddrinfo(host, service, &hints, &res)) != 0)
    return rc;
  rc = -EADDRNOTAVAIL;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_addrlen <= sizeof *ss && (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)) {
      memset(ss, 0, sizeof *ss);
      memcpy(ss, ai->ai_addr, ai->ai_addrlen);
      rc = 0;
      break;
    }
  }
  weft_freeaddrinfo(res);
  return rc;
}

int weft_udp_addr(struct sockaddr_storage *addr, const char *host, int port, int family) {
  int rc;

  if (!addr || !host || port < 0 || port > 65535 || !family_ok(family))
    return -EINVAL;
  rc = weft__udp_parse_numeric(addr, host, port, family);
  if (rc != -EAGAIN)
    return rc;
  if (!weft__current())
    return -EPERM;
  return udp_resolve(addr, host, port, family);
}

const char *weft_udp_addr_str(const struct sockaddr *addr, char *buf, size_t cap) {
  char ip[INET6_ADDRSTRLEN];
  int n = -1;

  if (!buf || cap == 0)
    return buf;
  if (addr && addr->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
    inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
    n = snprintf(buf, cap, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
  } else if (addr && addr->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
    inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
    n = snprintf(buf, cap, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
  }
  if (n < 0 || (size_t)n >= cap)
    snprintf(buf, cap, "?");
  return buf;
}

int weft_udp_addr_port(const struct sockaddr *addr) {
  if (addr && addr->sa_family == AF_INET)
    return ntohs(((const struct sockaddr_in *)addr)->sin_port);
  if (addr && addr->sa_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
  return -EINVAL;
}
