/*
 * weft DNS: getaddrinfo/getnameinfo on libuv's thread pool, and an
 * asynchronous DNS client (aiodns) on c-ares driven by the weft loop.
 *
 * Every function here is a suspension point: call it from a task. It
 * returns 0 or a negative code; cancellation and timeouts of the task's
 * scopes interrupt it (-ECANCELED / -ETIMEDOUT) and abandon just that
 * lookup, whose late answer is freed when it arrives.
 */
#ifndef WEFT_DNS_H
#define WEFT_DNS_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "weft/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Error codes                                                         */
/* ------------------------------------------------------------------ */

/*
 * getaddrinfo/getnameinfo failures are libuv's UV_EAI_* codes, negative
 * already and distinct from every errno; WEFT_EAI_* name the same values
 * without needing <uv.h>. weft_strerror() and weft_dns_strerror() give
 * their text.
 */
#define WEFT_EAI_ADDRFAMILY (-3000) /* UV_EAI_ADDRFAMILY: no address of that family */
#define WEFT_EAI_AGAIN (-3001)      /* UV_EAI_AGAIN: temporary failure, try again */
#define WEFT_EAI_BADFLAGS (-3002)   /* UV_EAI_BADFLAGS: bad ai_flags */
#define WEFT_EAI_FAIL (-3004)       /* UV_EAI_FAIL: permanent failure */
#define WEFT_EAI_FAMILY (-3005)     /* UV_EAI_FAMILY: ai_family not supported */
#define WEFT_EAI_MEMORY (-3006)     /* UV_EAI_MEMORY: out of memory */
#define WEFT_EAI_NODATA (-3007)     /* UV_EAI_NODATA: no address for the name */
#define WEFT_EAI_NONAME (-3008)     /* UV_EAI_NONAME: unknown name or service */
#define WEFT_EAI_OVERFLOW (-3009)   /* UV_EAI_OVERFLOW: buffer too small */
#define WEFT_EAI_SERVICE (-3010)    /* UV_EAI_SERVICE: service unknown for the socket type */
#define WEFT_EAI_SOCKTYPE (-3011)   /* UV_EAI_SOCKTYPE: ai_socktype not supported */
#define WEFT_EAI_BADHINTS (-3013)   /* UV_EAI_BADHINTS: inconsistent hints */
#define WEFT_EAI_PROTOCOL (-3014)   /* UV_EAI_PROTOCOL: ai_protocol not supported */

/*
 * The resolver's failures that errno has no word for get codes of their
 * own, below -4200 (outside errno's range and libuv's UV_* codes):
 */
#define WEFT_DNS_ENXDOMAIN (-4201)    /* the name does not exist (NXDOMAIN) */
#define WEFT_DNS_ENODATA (-4202)      /* the name exists, no record of that type */
#define WEFT_DNS_ESERVFAIL (-4203)    /* the server failed (SERVFAIL) */
#define WEFT_DNS_EREFUSED (-4204)     /* the server refused the query (REFUSED) */
#define WEFT_DNS_EBADRESP (-4205)     /* a malformed or unusable response */
#define WEFT_DNS_EFORMERR (-4206)     /* the server found the query malformed */
#define WEFT_DNS_ENOTIMP (-4207)      /* the server does not implement the query */
#define WEFT_DNS_EBADNAME (-4208)     /* the name is malformed (label > 63, ...) */
#define WEFT_DNS_ECONNREFUSED (-4209) /* no server could be reached */
/*
 * Others reuse errno: -ETIMEDOUT (no answer after every try of every
 * server, or the task's timeout scope), -ECANCELED (the task was
 * cancelled, or the resolver was closed under the query), -EINVAL (bad
 * arguments), -ENOMEM, -EPERM (outside a task).
 */

/* Text for any code above and any code weft_strerror knows. Never NULL. */
const char *weft_dns_strerror(int err);
/* "NXDOMAIN", "SERVFAIL", ... for the WEFT_DNS_E* codes, else weft_err_name. */
const char *weft_dns_err_name(int err);

/* ------------------------------------------------------------------ */
/* getaddrinfo / getnameinfo on the thread pool                        */
/* ------------------------------------------------------------------ */

/*
 * loop.getaddrinfo: resolve host/service like getaddrinfo(3) without
 * blocking the loop. host or service may be NULL (not both); hints may be
 * NULL. *res gets a list freed by weft_freeaddrinfo. Returns 0, a WEFT_EAI_*
 * code (WEFT_EAI_NONAME for an unknown name), -ECANCELED/-ETIMEDOUT (the
 * task's scopes), -EINVAL (res NULL, both host and service NULL), -ENOMEM,
 * -EPERM (outside a task).
 */
int weft_getaddrinfo(const char *host, const char *service, const struct addrinfo *hints,
                     struct addrinfo **res);
/* Free a list from weft_getaddrinfo or weft_resolver_getaddrinfo (NULL is fine). */
void weft_freeaddrinfo(struct addrinfo *res);
/*
 * loop.getnameinfo: the host and service names of addr (AF_INET or
 * AF_INET6) with getnameinfo(3) flags (NI_NUMERICHOST, NI_NAMEREQD, ...).
 * host/serv get NUL-terminated text truncated to hostlen/servlen (either
 * may be NULL with length 0). Returns 0, a WEFT_EAI_* code, -ECANCELED,
 * -ETIMEDOUT, -EINVAL (addr NULL or of another family), -ENOMEM, -EPERM.
 */
int weft_getnameinfo(const struct sockaddr *addr, int flags, char *host, size_t hostlen, char *serv,
                     size_t servlen);

/* ------------------------------------------------------------------ */
/* The c-ares resolver (aiodns.DNSResolver)                            */
/* ------------------------------------------------------------------ */

typedef struct weft_resolver weft_resolver;

typedef struct weft_resolver_opts {
  /* Comma-separated servers: "127.0.0.1", "127.0.0.1:5353", "[::1]:53".
   * NULL: the system's (/etc/resolv.conf). */
  const char *nameservers;
  double timeout;         /* seconds for the first try; 0: c-ares' default (5) */
  int tries;              /* attempts per server; 0: default (4) */
  int rotate;             /* 1: spread queries over the servers round-robin */
  const char *domains;    /* comma-separated search domains; NULL: system's */
  int ndots;              /* dots before a name is tried as is first; 0: default (1) */
  int no_hosts;           /* 1: do not consult /etc/hosts in weft_resolver_getaddrinfo */
  int cache;              /* 1: keep answers for their TTL */
  uint32_t cache_max_ttl; /* cap on a cached TTL in seconds; 0: none */
} weft_resolver_opts;

/*
 * DNSResolver(nameservers=..., ...): a resolver on the current loop (opts
 * may be NULL for all defaults). Free it with weft_resolver_free on the same
 * loop. Returns 0, -EINVAL (bad server address, negative timeout), -ENOMEM,
 * -EPERM (no current loop), -EIO (c-ares could not initialise).
 */
int weft_resolver_new(weft_resolver **out, const weft_resolver_opts *opts);
/* Close the resolver: queries still pending return -ECANCELED. NULL is fine. */
void weft_resolver_free(weft_resolver *r);

/* Record types (their DNS type numbers). */
typedef enum weft_dns_type {
  WEFT_DNS_A = 1,
  WEFT_DNS_NS = 2,
  WEFT_DNS_CNAME = 5,
  WEFT_DNS_SOA = 6,
  WEFT_DNS_PTR = 12,
  WEFT_DNS_MX = 15,
  WEFT_DNS_TXT = 16,
  WEFT_DNS_AAAA = 28,
  WEFT_DNS_SRV = 33,
  WEFT_DNS_NAPTR = 35,
  WEFT_DNS_CAA = 257
} weft_dns_type;

/* "A" -> WEFT_DNS_A (case-insensitive); 0 for an unknown name. */
int weft_dns_type_from_name(const char *name);
/* WEFT_DNS_A -> "A"; "?" for an unknown type. */
const char *weft_dns_type_name(int type);

/*
 * One record. Strings are NUL-terminated and live as long as the result.
 * Which member of the union is set follows `type`.
 */
typedef struct weft_dns_record {
  int type;         /* weft_dns_type */
  uint32_t ttl;     /* seconds (less the time spent in the cache) */
  const char *name; /* the owner name */
  union {
    struct {             /* A, AAAA */
      char text[46];     /* "192.0.2.1", "2001:db8::1" */
      uint8_t bytes[16]; /* 4 or 16 bytes in network order */
    } addr;
    const char *host; /* CNAME, NS, PTR */
    struct {
      const char *host;
      uint16_t priority;
    } mx;
    struct { /* the record's character strings concatenated */
      const char *text;
      size_t len;
    } txt;
    struct {
      const char *host;
      uint16_t priority, weight, port;
    } srv;
    struct {
      const char *nsname, *hostmaster;
      uint32_t serial, refresh, retry, expire, minttl;
    } soa;
    struct {
      uint16_t order, preference;
      const char *flags, *service, *regexp, *replacement;
    } naptr;
    struct {
      uint8_t critical;     /* the flags octet (128: critical) */
      const char *property; /* "issue", "iodef", ... */
      const char *value;
      size_t value_len;
    } caa;
  } u;
} weft_dns_record;

/* The records of one answer, of the type asked (in the server's order). */
typedef struct weft_dns_result {
  size_t count;
  weft_dns_record *records;
} weft_dns_result;

void weft_dns_result_free(weft_dns_result *res);

/*
 * DNSResolver.query(name, type): send the query (with the search domains
 * applied per ndots) and wait for the answer. *res gets at least one record
 * of `type`; free it with weft_dns_result_free. For WEFT_DNS_PTR, name may be
 * an address ("127.0.0.1", "::1"), which is turned into its reverse name.
 * Returns 0, WEFT_DNS_ENXDOMAIN, WEFT_DNS_ENODATA, WEFT_DNS_ESERVFAIL,
 * WEFT_DNS_EREFUSED, WEFT_DNS_EBADRESP, WEFT_DNS_EFORMERR, WEFT_DNS_ENOTIMP,
 * WEFT_DNS_EBADNAME, WEFT_DNS_ECONNREFUSED, -ETIMEDOUT (no server answered,
 * or the task's timeout), -ECANCELED, -EINVAL (r/name/res NULL, unknown
 * type), -ENOMEM, -EPERM (outside a task or on another loop).
 */
int weft_resolver_query(weft_resolver *r, const char *name, int type, weft_dns_result **res);
/*
 * The PTR records of an IPv4 or IPv6 address (aiodns gethostbyaddr).
 * Returns what weft_resolver_query returns; -EINVAL if addr is not an address.
 */
int weft_resolver_reverse(weft_resolver *r, const char *addr, weft_dns_result **res);
/*
 * getaddrinfo through the resolver: A and/or AAAA queries as hints->ai_family
 * asks (AF_UNSPEC: both, IPv4 first), numeric hosts without a query,
 * /etc/hosts first unless no_hosts. service is a port number or NULL. The
 * list is freed by weft_freeaddrinfo. r NULL uses weft_getaddrinfo.
 * Returns 0, WEFT_EAI_NONAME (no address), WEFT_EAI_SERVICE (service not
 * numeric), WEFT_EAI_FAMILY, the resolver's codes for other failures,
 * -ECANCELED, -ETIMEDOUT, -EINVAL, -ENOMEM, -EPERM.
 */
int weft_resolver_getaddrinfo(weft_resolver *r, const char *host, const char *service,
                              const struct addrinfo *hints, struct addrinfo **res);

/* Entries in the cache now (expired ones are dropped as they are met). */
size_t weft_resolver_cache_size(const weft_resolver *r);
/* Drop every cached answer. */
void weft_resolver_cache_clear(weft_resolver *r);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_DNS_H */
