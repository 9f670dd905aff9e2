/*
 * DNS layer internals: the addrinfo lists weft hands out (one allocation
 * per node, freed by weft_freeaddrinfo) and the code mapping shared by the
 * thread-pool lookups and the c-ares resolver.
 */
#ifndef WEFT_DNS_INTERNAL_H
#define WEFT_DNS_INTERNAL_H

#include <netdb.h>
#include <uv.h>

#include "core/internal.h"
#include "weft/dns.h"

/* One node of a weft addrinfo list: the address and canonical name live in
 * the same block. */
struct addrinfo *weft__dns_ai_new(const struct addrinfo *proto, const struct sockaddr *sa,
                                  socklen_t salen, const char *canon);
/* A copy of a libc list in weft's format (freed by weft_freeaddrinfo). */
int weft__dns_ai_copy(const struct addrinfo *src, struct addrinfo **out);

/* The task's loop, or NULL outside a task. */
weft_loop *weft__dns_task_loop(void);

/* ---- the c-ares resolver ------------------------------------------- */
#include <ares.h>

typedef struct weft__dns_poll weft__dns_poll;
struct weft__dns_poll {
  uv_poll_t h;
  weft_resolver *r;
  ares_socket_t fd;
  int pooled; /* one of the resolver's own, not allocated */
  weft__dns_poll *next;
};
/* Polls kept in the resolver, so watching its usual sockets (one per
 * server) needs no allocation: a socket left unwatched would only time out. */
#define WEFT__DNS_POLL_POOL 4
typedef struct weft__dns_cache_entry weft__dns_cache_entry;

#define WEFT__DNS_CACHE_BUCKETS 256
#define WEFT__DNS_CLASS_IN 1

struct weft_resolver {
  weft_loop *loop;
  ares_channel channel;
  uv_timer_t *timer;     /* freed by its close callback */
  weft__dns_poll *polls; /* one per socket c-ares watches */
  weft__dns_poll *spare; /* free entries of pool */
  weft__dns_poll pool[WEFT__DNS_POLL_POOL];
  size_t handles; /* open or closing: the struct outlives them */
  int freed;
  size_t inflight; /* queries handed to c-ares and not answered */
  int closing;
  uint64_t first_try_ms; /* the first try's timeout, for weft__dns_arm */
  int cache_on;
  uint32_t cache_max_ttl;
  size_t cache_len;
  weft__dns_cache_entry *cache[WEFT__DNS_CACHE_BUCKETS];
};

/* Re-arm the timer from c-ares' next deadline (after any c-ares call). */
void weft__dns_arm(weft_resolver *r);
/* A c-ares status as a weft code. */
int weft__dns_code(int ares_status);

/* Parse an answer into the records of `type`; 0, WEFT_DNS_ENODATA,
 * WEFT_DNS_EBADRESP, -ENOMEM. age (seconds) is taken off every TTL. */
int weft__dns_parse(const unsigned char *abuf, int alen, int type, uint32_t age,
                    weft_dns_result **out);
/* The smallest TTL of the answer records (0 when unparsable). */
uint32_t weft__dns_min_ttl(const unsigned char *abuf, int alen, int type);

/* The cache of answers, keyed by type and name (case-insensitive). */
void weft__dns_cache_put(weft_resolver *r, const char *name, int type, const unsigned char *abuf,
                         int alen);
/* 1 and *out on a hit, 0 on a miss, or a negative code. */
int weft__dns_cache_get(weft_resolver *r, const char *name, int type, weft_dns_result **out);
void weft__dns_cache_free(weft_resolver *r);

/* The reverse name of an address ("1.0.0.127.in-addr.arpa"); -EINVAL if
 * text is not an address. */
int weft__dns_reverse_name(const char *text, char *out, size_t outlen);

#endif
