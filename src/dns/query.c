/*
 * resolver.query: one c-ares query per call. c-ares cannot cancel a single
 * query, so an interrupted task just leaves: the query's record forgets
 * its task, and the c-ares callback, finding nobody waiting, frees it and
 * the answer when it comes (or when the resolver is freed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns/internal.h"

typedef struct dns_query {
  weft_resolver *r;
  weft_task *task; /* NULL once the task stopped waiting */
  int *abandoned;  /* the task's flag, set when it is interrupted */
  int done;
  int code;
  int type;
  weft_dns_result *res;
  char name[]; /* the cache key */
} dns_query;

static void query_free(dns_query *q) {
  weft_dns_result_free(q->res);
  weft_free(q);
}

static void query_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen) {
  dns_query *q = arg;
  weft_resolver *r = q->r;

  WEFT__UNUSED(timeouts);
  r->inflight--;
  if (status == ARES_SUCCESS && r->cache_on && !r->closing)
    weft__dns_cache_put(r, q->name, q->type, abuf, alen);
  if (!q->task) {
    query_free(q);
    return;
  }
  if (status == ARES_SUCCESS)
    q->code = weft__dns_parse(abuf, alen, q->type, 0, &q->res);
  else
    q->code = weft__dns_code(status);
  q->done = 1;
  weft__wake(q->task, 0);
}

static void query_abandon(weft_task *t, void *obj) {
  dns_query *q = obj;

  WEFT__UNUSED(t);
  *q->abandoned = 1;
  q->task = NULL;
}

/* 0, or WEFT_DNS_EBADNAME for names DNS cannot carry. */
static int name_check(const char *name) {
  size_t len = strlen(name), label = 0;

  if (len == 0 || len > 254 || (len == 254 && name[253] != '.'))
    return WEFT_DNS_EBADNAME;
  for (size_t i = 0; i < len; i++) {
    if (name[i] != '.') {
      if (++label > 63)
        return WEFT_DNS_EBADNAME;
      continue;
    }
    if (label == 0 && len > 1) /* empty label: "a..b", ".a" */
      return WEFT_DNS_EBADNAME;
    label = 0;
  }
  return 0;
}

static int query_wait(dns_query *q, weft_dns_result **res) {
  int abandoned = 0, rc = 0;

  q->abandoned = &abandoned;
  if (!q->done)
    rc = weft__park("dns query", query_abandon, q);
  if (abandoned) /* the callback frees q, maybe already did */
    return rc;
  if (rc < 0) { /* interrupted before parking */
    query_abandon(NULL, q);
    return rc;
  }
  rc = q->code;
  if (rc == 0) {
    *res = q->res;
    q->res = NULL;
  }
  query_free(q);
  return rc;
}

static int query_send(weft_resolver *r, const char *name, int type, int search,
                      weft_dns_result **res) {
  size_t len = strlen(name);
  dns_query *q = weft_calloc(1, sizeof *q + len + 1);

  if (!q)
    return -ENOMEM;
  q->r = r;
  q->task = weft__current();
  q->type = type;
  memcpy(q->name, name, len + 1);
  r->inflight++;
  if (search)
    ares_search(r->channel, name, WEFT__DNS_CLASS_IN, type, query_done, q);
  else
    ares_query(r->channel, name, WEFT__DNS_CLASS_IN, type, query_done, q);
  weft__dns_arm(r);
  return query_wait(q, res);
}

static int query_check(weft_resolver *r, const char *name, weft_dns_result **res) {
  weft_task *t = weft__current();

  if (!t)
    return -EPERM;
  if (!r || !name || !res)
    return -EINVAL;
  *res = NULL;
  if (t->fut.loop != r->loop)
    return -EPERM;
  return 0;
}

static int query_run(weft_resolver *r, const char *name, int type, int search,
                     weft_dns_result **res) {
  int rc = name_check(name);

  if (rc < 0)
    return rc;
  if (r->cache_on) {
    rc = weft__dns_cache_get(r, name, type, res);
    if (rc != 0)
      return rc < 0 ? rc : 0;
  }
  return query_send(r, name, type, search, res);
}

int weft_resolver_query(weft_resolver *r, const char *name, int type, weft_dns_result **res) {
  char rev[80];
  int rc = query_check(r, name, res);

  if (rc < 0)
    return rc;
  if (weft_dns_type_name(type)[0] == '?')
    return -EINVAL;
  if (type == WEFT_DNS_PTR && weft__dns_reverse_name(name, rev, sizeof rev) == 0)
    return query_run(r, rev, type, 0, res);
  return query_run(r, name, type, 1, res);
}

int weft_resolver_reverse(weft_resolver *r, const char *addr, weft_dns_result **res) {
  char rev[80];
  int rc = query_check(r, addr, res);

  if (rc < 0)
    return rc;
  rc = weft__dns_reverse_name(addr, rev, sizeof rev);
  if (rc < 0)
    return rc;
  return query_run(r, rev, WEFT_DNS_PTR, 0, res);
}

int weft__dns_reverse_name(const char *text, char *out, size_t outlen) {
  unsigned char b[16];
  size_t off = 0;

  if (inet_pton(AF_INET, text, b) == 1) {
    snprintf(out, outlen, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
    return 0;
  }
  if (inet_pton(AF_INET6, text, b) != 1 || outlen < 16 * 4 + sizeof "ip6.arpa")
    return -EINVAL;
  for (int i = 15; i >= 0; i--)
    off += (size_t)snprintf(out + off, outlen - off, "%x.%x.", b[i] & 0xf, b[i] >> 4);
  snprintf(out + off, outlen - off, "ip6.arpa");
  return 0;
}
