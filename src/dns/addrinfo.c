/* addrinfo lists owned by weft: one block per node, freed node by node. */
#include <errno.h>
#include <string.h>

#include "dns/internal.h"

typedef struct ai_node {
  struct addrinfo ai;
  struct sockaddr_storage addr;
  char canon[];
} ai_node;

struct addrinfo *weft__dns_ai_new(const struct addrinfo *proto, const struct sockaddr *sa,
                                  socklen_t salen, const char *canon) {
  size_t clen = canon ? strlen(canon) + 1 : 0;
  ai_node *n;

  if (salen > sizeof n->addr)
    return NULL;
  n = weft_calloc(1, sizeof *n + clen);
  if (!n)
    return NULL;
  n->ai.ai_flags = proto->ai_flags;
  n->ai.ai_family = proto->ai_family;
  n->ai.ai_socktype = proto->ai_socktype;
  n->ai.ai_protocol = proto->ai_protocol;
  memcpy(&n->addr, sa, salen);
  n->ai.ai_addr = (struct sockaddr *)&n->addr;
  n->ai.ai_addrlen = salen;
  if (canon) {
    memcpy(n->canon, canon, clen);
    n->ai.ai_canonname = n->canon;
  }
  return &n->ai;
}

int weft__dns_ai_copy(const struct addrinfo *src, struct addrinfo **out) {
  struct addrinfo *head = NULL, **tail = &head;

  for (; src; src = src->ai_next) {
    struct addrinfo *n = weft__dns_ai_new(src, src->ai_addr, src->ai_addrlen, src->ai_canonname);

    if (!n)
      goto fail;
    *tail = n;
    tail = &n->ai_next;
  }
  *out = head;
  return 0;
fail:
  weft_freeaddrinfo(head);
  return -ENOMEM;
}

void weft_freeaddrinfo(struct addrinfo *res) {
  while (res) {
    struct addrinfo *next = res->ai_next;

    weft_free(res); /* the node's first member */
    res = next;
  }
}

weft_loop *weft__dns_task_loop(void) {
  weft_task *t = weft__current();

  return t ? t->fut.loop : NULL;
}
