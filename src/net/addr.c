/*
 * Socket addresses: formatting and parsing, Unix addresses, and resolving
 * a host and port into the list of addresses a connection or server tries.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "net/uvstream.h"
#include "weft/dns.h"

#define MAX_ADDRS 64

socklen_t weft__sockaddr_len(const struct sockaddr *sa) {
  switch (sa->sa_family) {
  case AF_INET:
    return sizeof(struct sockaddr_in);
  case AF_INET6:
    return sizeof(struct sockaddr_in6);
  default:
    return sizeof(struct sockaddr_un);
  }
}

int weft_sockaddr_port(const struct sockaddr *sa) {
  if (!sa)
    return -EINVAL;
  if (sa->sa_family == AF_INET)
    return ntohs(((const struct sockaddr_in *)sa)->sin_port);
  if (sa->sa_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
  return -EINVAL;
}

static int format_unix(const struct sockaddr_un *un, char *buf, size_t len) {
  int n;

  if (un->sun_path[0] == '\0' && un->sun_path[1] != '\0')
    n = snprintf(buf, len, "@%s", un->sun_path + 1);
  else if (un->sun_path[0] == '\0')
    n = snprintf(buf, len, "<unnamed>");
  else
    n = snprintf(buf, len, "%s", un->sun_path);
  return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int weft_sockaddr_format(const struct sockaddr *sa, char *buf, size_t len) {
  char host[INET6_ADDRSTRLEN];
  int n;

  if (!sa || !buf)
    return -EINVAL;
  if (sa->sa_family == AF_UNIX)
    return format_unix((const struct sockaddr_un *)sa, buf, len);
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof host);
    n = snprintf(buf, len, "%s:%d", host, weft_sockaddr_port(sa));
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof host);
    n = snprintf(buf, len, "[%s]:%d", host, weft_sockaddr_port(sa));
  } else {
    return -EINVAL;
  }
  return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* A numeric host (or NULL: the wildcard) of family. -EINVAL if not
 * numeric. */
static int parse_numeric(const char *host, int port, int family, struct sockaddr_storage *out) {
  struct sockaddr_in *in4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;

  memset(out, 0, sizeof *out);
  if ((family == AF_UNSPEC || family == AF_INET) &&
      (!host ? family != AF_INET6 : inet_pton(AF_INET, host, &in4->sin_addr) == 1)) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    return 0;
  }
  memset(out, 0, sizeof *out);
  if ((family == AF_UNSPEC || family == AF_INET6) &&
      (!host || inet_pton(AF_INET6, host, &in6->sin6_addr) == 1)) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    return 0;
  }
  return -EINVAL;
}

int weft_sockaddr_parse(const char *host, int port, int family, struct sockaddr_storage *out) {
  if (!out || port < 0 || port > 65535)
    return -EINVAL;
  if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
    return -EINVAL;
  return parse_numeric(host, port, family, out);
}

void weft__addrs_free(weft__addrs *a) {
  weft_free(a->v);
  a->v = NULL;
  a->n = 0;
}

static int addrs_add(weft__addrs *a, const struct sockaddr *sa, socklen_t len) {
  for (size_t i = 0; i < a->n; i++)
    if (memcmp(&a->v[i], sa, len) == 0)
      return 0; /* duplicate */
  if (a->n == MAX_ADDRS)
    return 0;
  memset(&a->v[a->n], 0, sizeof a->v[0]);
  memcpy(&a->v[a->n++], sa, len);
  return 0;
}

static int resolve_wildcards(int port, int family, weft__addrs *out) {
  static const int fams[2] = {AF_INET, AF_INET6};

  for (int i = 0; i < 2; i++) {
    if (family != AF_UNSPEC && family != fams[i])
      continue;
    parse_numeric(NULL, port, fams[i], &out->v[out->n++]);
  }
  return 0;
}

static int resolve_names(const char *host, int port, int family, int passive,
                         struct weft_resolver *r, weft__addrs *out) {
  struct addrinfo hints, *res = NULL;
  char service[16];
  int rc;

  memset(&hints, 0, sizeof hints);
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  snprintf(service, sizeof service, "%d", port);
  rc = weft_resolver_getaddrinfo(r, host, service, &hints, &res);
  if (rc)
    return rc;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
    if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
      addrs_add(out, ai->ai_addr, ai->ai_addrlen);
  weft_freeaddrinfo(res);
  return out->n ? 0 : UV_EAI_NONAME;
}

int weft__resolve(const char *host, int port, int family, int passive, struct weft_resolver *r,
                  weft__addrs *out) {
  int rc;

  out->n = 0;
  if (!(out->v = weft_calloc(MAX_ADDRS, sizeof *out->v)))
    return -ENOMEM;
  if (!host && passive)
    rc = resolve_wildcards(port, family, out);
  else if (host && parse_numeric(host, port, family, &out->v[0]) == 0)
    rc = (out->n = 1, 0);
  else if (!host)
    rc = -EINVAL;
  else
    rc = resolve_names(host, port, family, passive, r, out);
  if (rc)
    weft__addrs_free(out);
  return rc;
}

int weft__unix_addr(const char *path, struct sockaddr_un *out, socklen_t *len) {
  size_t n;
  int abstract;

  if (!path)
    return -EINVAL;
  abstract = path[0] == '@' || path[0] == '\0';
  n = abstract ? strlen(path + 1) + 1 : strlen(path);
  if (n == 0 || (abstract && n == 1))
    return -EINVAL;
  if (n >= sizeof out->sun_path)
    return -ENAMETOOLONG;
  memset(out, 0, sizeof *out);
  out->sun_family = AF_UNIX;
  memcpy(out->sun_path, path, n);
  if (abstract)
    out->sun_path[0] = '\0';
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (abstract ? 0 : 1));
  return 0;
}
