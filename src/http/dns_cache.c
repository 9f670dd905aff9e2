/*
 * The session's DNS cache (aiohttp's TCPConnector use_dns_cache /
 * ttl_dns_cache): names looked up through the session's weft resolver
 * are kept, as the "host:port:address,..." line handed to curl's
 * CURLOPT_RESOLVE, for ttl_dns_cache seconds (10 by default). A session
 * talks to few hosts, so the cache is a small array searched in order;
 * when it is full the entry closest to expiry makes room.
 */
#include <math.h>
#include <string.h>

#include "http/engine.h"

#define DNS_CACHE_MAX 64
#define DNS_TTL_DEFAULT 10.0

struct weft__http_dns_entry {
  char *key;  /* "host:port" */
  char *line; /* "host:port:address,address" */
  double expires;
};

/* Seconds an entry lives: 0 when the cache is off, INFINITY for ever. */
static double ttl(const weft_http_session_opts *o) {
  double t = o->ttl_dns_cache;

  if (o->no_dns_cache)
    return 0;
  if (t == WEFT_HTTP_UNLIMITED)
    return INFINITY;
  return t > 0 ? t : DNS_TTL_DEFAULT;
}

static void entry_clear(weft__http_dns_entry *e) {
  weft_free(e->key);
  weft_free(e->line);
  e->key = e->line = NULL;
}

/* The entry for key, if any (expired or not). */
static weft__http_dns_entry *find(weft_http_session *s, const char *key) {
  for (size_t i = 0; i < s->n_dns; i++)
    if (strcmp(s->dns[i].key, key) == 0)
      return &s->dns[i];
  return NULL;
}

const char *weft__http_dns_get(weft_http_session *s, const char *key) {
  weft__http_dns_entry *e = find(s, key);

  if (!e || e->expires <= weft_time())
    return NULL;
  return e->line;
}

/* A slot for a new entry: a free one, else the one expiring first. */
static weft__http_dns_entry *slot(weft_http_session *s) {
  weft__http_dns_entry *victim;

  if (!s->dns) {
    s->dns = weft_calloc(DNS_CACHE_MAX, sizeof *s->dns);
    if (!s->dns)
      return NULL;
  }
  if (s->n_dns < DNS_CACHE_MAX)
    return &s->dns[s->n_dns++];
  victim = &s->dns[0];
  for (size_t i = 1; i < s->n_dns; i++)
    if (s->dns[i].expires < victim->expires)
      victim = &s->dns[i];
  entry_clear(victim);
  return victim;
}

void weft__http_dns_put(weft_http_session *s, const char *key, const char *line) {
  double life = ttl(&s->opts);
  weft__http_dns_entry *e;
  char *k, *l;

  if (life == 0)
    return;
  k = weft_strdup(key);
  l = weft_strdup(line);
  e = k && l ? find(s, key) : NULL;
  if (!e && k && l)
    e = slot(s);
  if (!e)
    goto nomem;
  entry_clear(e);
  e->key = k;
  e->line = l;
  e->expires = weft_time() + life;
  return;
nomem: /* the name is looked up again next time */
  weft_free(k);
  weft_free(l);
}

void weft__http_dns_free(weft_http_session *s) {
  for (size_t i = 0; i < s->n_dns; i++)
    entry_clear(&s->dns[i]);
  weft_free(s->dns);
  s->dns = NULL;
  s->n_dns = 0;
}

long weft__http_dns_curl_timeout(const weft_http_session_opts *o) {
  double life = ttl(o);

  if (life == INFINITY)
    return -1L;
  return life > 0 && life < 1 ? 1L : (long)life;
}
