/*
 * getaddrinfo through a resolver (ares_getaddrinfo): numeric hosts without
 * a query, /etc/hosts first unless the resolver was made with no_hosts,
 * then A and/or AAAA queries as hints->ai_family asks. The answer is copied
 * into weft's addrinfo format, freed by weft_freeaddrinfo.
 */
#include <errno.h>
#include <string.h>

#include "dns/internal.h"

typedef struct gai_op {
  weft_resolver *r;
  weft_task *task; /* NULL once the task stopped waiting */
  int *abandoned;
  int done;
  int status;
  struct ares_addrinfo *res;
} gai_op;

static void gai_done(void *arg, int status, int timeouts, struct ares_addrinfo *res) {
  gai_op *g = arg;

  WEFT__UNUSED(timeouts);
  g->r->inflight--;
  if (!g->task) {
    if (res)
      ares_freeaddrinfo(res);
    weft_free(g);
    return;
  }
  g->status = status;
  g->res = res;
  g->done = 1;
  weft__wake(g->task, 0);
}

static void gai_abandon(weft_task *t, void *obj) {
  gai_op *g = obj;

  WEFT__UNUSED(t);
  *g->abandoned = 1;
  g->task = NULL;
}

static int gai_code(int status) {
  if (status == ARES_ENOTFOUND || status == ARES_ENODATA)
    return WEFT_EAI_NONAME;
  return weft__dns_code(status);
}

static const char *canon_of(const struct ares_addrinfo *res) {
  const struct ares_addrinfo_cname *c = res->cnames;

  while (c && c->next)
    c = c->next;
  return c && c->name ? c->name : res->name;
}

static int gai_convert(const struct ares_addrinfo *res, const struct addrinfo *hints,
                       struct addrinfo **out) {
  struct addrinfo *head = NULL, **tail = &head;
  const char *canon = hints && (hints->ai_flags & AI_CANONNAME) ? canon_of(res) : NULL;

  for (const struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next) {
    struct addrinfo proto = {0}, *ai;

    proto.ai_flags = n->ai_flags;
    proto.ai_family = n->ai_family;
    proto.ai_socktype = n->ai_socktype ? n->ai_socktype : hints ? hints->ai_socktype : 0;
    proto.ai_protocol = n->ai_protocol ? n->ai_protocol : hints ? hints->ai_protocol : 0;
    ai = weft__dns_ai_new(&proto, n->ai_addr, n->ai_addrlen, head ? NULL : canon);
    if (!ai) {
      weft_freeaddrinfo(head);
      return -ENOMEM;
    }
    *tail = ai;
    tail = &ai->ai_next;
  }
  *out = head;
  return head ? 0 : WEFT_EAI_NONAME;
}

static int gai_wait(gai_op *g, const struct addrinfo *hints, struct addrinfo **res) {
  int abandoned = 0, rc = 0;

  g->abandoned = &abandoned;
  if (!g->done)
    rc = weft__park("dns getaddrinfo", gai_abandon, g);
  if (abandoned)
    return rc;
  if (rc < 0) {
    gai_abandon(NULL, g);
    return rc;
  }
  rc = gai_code(g->status);
  if (rc == 0)
    rc = gai_convert(g->res, hints, res);
  if (g->res)
    ares_freeaddrinfo(g->res);
  weft_free(g);
  return rc;
}

int weft_resolver_getaddrinfo(weft_resolver *r, const char *host, const char *service,
                              const struct addrinfo *hints, struct addrinfo **res) {
  struct ares_addrinfo_hints ah = {0};
  weft_task *t = weft__current();
  gai_op *g;

  if (!r)
    return weft_getaddrinfo(host, service, hints, res);
  if (!t)
    return -EPERM;
  if (!res || !host)
    return -EINVAL;
  *res = NULL;
  if (t->fut.loop != r->loop)
    return -EPERM;
  if (hints) {
    ah.ai_flags = hints->ai_flags & ~AI_CANONNAME; /* weft sets it from the cnames */
    ah.ai_family = hints->ai_family;
    ah.ai_socktype = hints->ai_socktype;
    ah.ai_protocol = hints->ai_protocol;
  }
  g = weft_calloc(1, sizeof *g);
  if (!g)
    return -ENOMEM;
  g->r = r;
  g->task = t;
  r->inflight++;
  ares_getaddrinfo(r->channel, host, service, &ah, gai_done, g);
  weft__dns_arm(r);
  return gai_wait(g, hints, res);
}
