/*
 * The resolver's answer cache: the raw answer is kept with the time it
 * arrived, and parsed again on a hit with the time spent in the cache taken
 * off every TTL. An entry lives as long as the smallest TTL of its records
 * (capped by cache_max_ttl); answers with a TTL of 0 are not kept.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "dns/internal.h"

struct weft__dns_cache_entry {
  weft__dns_cache_entry *next;
  uint64_t stored;  /* weft__now() ns */
  uint64_t expires; /* ns */
  int type;
  int alen;
  unsigned char *abuf;
  char name[];
};

static unsigned bucket_of(const char *name, int type) {
  uint32_t h = 2166136261u ^ (uint32_t)type;

  for (; *name; name++)
    h = (h ^ (uint32_t)tolower((unsigned char)*name)) * 16777619u;
  return h % WEFT__DNS_CACHE_BUCKETS;
}

static void entry_free(weft__dns_cache_entry *e) {
  weft_free(e->abuf);
  weft_free(e);
}

/* The live entry for name/type; expired entries met on the way go. */
static weft__dns_cache_entry **entry_find(weft_resolver *r, const char *name, int type) {
  weft__dns_cache_entry **pp = &r->cache[bucket_of(name, type)];
  uint64_t now = weft__now();

  while (*pp) {
    weft__dns_cache_entry *e = *pp;

    if (e->expires <= now) {
      *pp = e->next;
      entry_free(e);
      r->cache_len--;
      continue;
    }
    if (e->type == type && strcasecmp(e->name, name) == 0)
      return pp;
    pp = &e->next;
  }
  return pp;
}

void weft__dns_cache_put(weft_resolver *r, const char *name, int type, const unsigned char *abuf,
                         int alen) {
  uint32_t ttl = weft__dns_min_ttl(abuf, alen, type);
  size_t len = strlen(name);
  weft__dns_cache_entry **pp, *e;

  if (r->cache_max_ttl && ttl > r->cache_max_ttl)
    ttl = r->cache_max_ttl;
  if (ttl == 0 || ttl == UINT32_MAX)
    return;
  pp = entry_find(r, name, type);
  if (*pp) /* a concurrent query stored it first */
    return;
  e = weft_malloc(sizeof *e + len + 1);
  if (!e)
    return; /* the cache is best effort */
  e->abuf = weft_malloc((size_t)alen);
  if (!e->abuf) {
    weft_free(e);
    return;
  }
  memcpy(e->abuf, abuf, (size_t)alen);
  memcpy(e->name, name, len + 1);
  e->alen = alen;
  e->type = type;
  e->stored = weft__now();
  e->expires = e->stored + (uint64_t)ttl * 1000000000u;
  e->next = NULL;
  *pp = e;
  r->cache_len++;
}

int weft__dns_cache_get(weft_resolver *r, const char *name, int type, weft_dns_result **out) {
  weft__dns_cache_entry *e = *entry_find(r, name, type);
  uint32_t age;
  int rc;

  if (!e)
    return 0;
  age = (uint32_t)((weft__now() - e->stored) / 1000000000u);
  rc = weft__dns_parse(e->abuf, e->alen, type, age, out);
  return rc < 0 ? rc : 1;
}

void weft__dns_cache_free(weft_resolver *r) {
  for (size_t i = 0; i < WEFT__DNS_CACHE_BUCKETS; i++) {
    while (r->cache[i]) {
      weft__dns_cache_entry *e = r->cache[i];

      r->cache[i] = e->next;
      entry_free(e);
    }
  }
  r->cache_len = 0;
}

size_t weft_resolver_cache_size(const weft_resolver *r) {
  return r ? r->cache_len : 0;
}

void weft_resolver_cache_clear(weft_resolver *r) {
  if (r)
    weft__dns_cache_free(r);
}
