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

#endif
