/*
 * The cookie jar (aiohttp.CookieJar): cookies kept in creation order,
 * replaced by (name, domain, path), purged lazily once expired (real time,
 * time(NULL)), and chosen for a request by RFC 6265 5.4.
 *
 * Shared cookies: a cookie with an empty domain (weft_cookie_jar_set with
 * url NULL, like aiohttp's ClientSession(cookies=...)) is sent to every
 * host, whatever its path and scheme, even to IP addresses in a strict jar.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/cookie_impl.h"
#include "http/request.h"

typedef struct cookie_entry {
  weft_cookie c;
  uint64_t seq; /* creation order: a replaced cookie keeps its own */
} cookie_entry;

struct weft_cookie_jar {
  cookie_entry *v;
  size_t n, cap;
  uint64_t next_seq;
  int unsafe;
};

static int64_t now_s(void) {
  return (int64_t)time(NULL);
}

int weft_cookie_jar_new(weft_cookie_jar **out, int unsafe) {
  weft_cookie_jar *jar = weft_calloc(1, sizeof *jar);

  *out = NULL;
  if (!jar)
    return weft__http_fail(-ENOMEM, NULL);
  jar->unsafe = unsafe != 0;
  *out = jar;
  return 0;
}

void weft_cookie_jar_free(weft_cookie_jar *jar) {
  if (!jar)
    return;
  for (size_t i = 0; i < jar->n; i++)
    weft__http_cookie_clear(&jar->v[i].c);
  weft_free(jar->v);
  weft_free(jar);
}

int weft__cookie_jar_reserve(weft_cookie_jar *jar, size_t n) {
  size_t cap = jar->cap ? jar->cap : 8;
  cookie_entry *v;

  if (n <= jar->cap - jar->n)
    return 0;
  if (n > (SIZE_MAX / sizeof *v) - jar->n)
    return weft__http_fail(-ENOMEM, NULL);
  while (cap < jar->n + n)
    cap = cap > SIZE_MAX / sizeof *v / 2 ? jar->n + n : cap * 2;
  v = weft_realloc(jar->v, cap * sizeof *v);
  if (!v)
    return weft__http_fail(-ENOMEM, NULL);
  jar->v = v;
  jar->cap = cap;
  return 0;
}

static void remove_at(weft_cookie_jar *jar, size_t i) {
  weft__http_cookie_clear(&jar->v[i].c);
  memmove(&jar->v[i], &jar->v[i + 1], (jar->n - i - 1) * sizeof *jar->v);
  jar->n--;
}

/* Drop the expired cookies, keeping the order of the others. */
static void purge(weft_cookie_jar *jar, int64_t now) {
  size_t k = 0;

  for (size_t i = 0; i < jar->n; i++) {
    if (weft__cookie_expired(&jar->v[i].c, now))
      weft__http_cookie_clear(&jar->v[i].c);
    else
      jar->v[k++] = jar->v[i];
  }
  jar->n = k;
}

static cookie_entry *find(weft_cookie_jar *jar, const weft_cookie *c) {
  for (size_t i = 0; i < jar->n; i++) {
    weft_cookie *o = &jar->v[i].c;

    if (!strcmp(o->name, c->name) && !strcmp(o->domain, c->domain) && !strcmp(o->path, c->path))
      return &jar->v[i];
  }
  return NULL;
}

int weft__cookie_jar_store(weft_cookie_jar *jar, weft_cookie *c, int64_t now) {
  cookie_entry *old = find(jar, c);
  int rc;

  if (weft__cookie_expired(c, now)) {
    if (old)
      remove_at(jar, (size_t)(old - jar->v));
    weft__http_cookie_clear(c);
    return 0;
  }
  if (old) {
    weft__http_cookie_clear(&old->c);
    old->c = *c;
  } else {
    rc = weft__cookie_jar_reserve(jar, 1);
    if (rc) {
      weft__http_cookie_clear(c);
      return rc;
    }
    jar->v[jar->n].c = *c;
    jar->v[jar->n++].seq = jar->next_seq++;
  }
  memset(c, 0, sizeof *c);
  return 0;
}

int weft__cookie_jar_refuses(const weft_cookie_jar *jar, const char *host) {
  return !jar->unsafe && weft__cookie_is_ip(host);
}

int weft_cookie_jar_update(weft_cookie_jar *jar, const char *set_cookie, const char *url) {
  weft__cookie_url u;
  weft_cookie c;
  int64_t now = now_s();
  int rc;

  if (!jar || !set_cookie)
    return weft__http_fail(-EINVAL, "cookie jar: no jar or no Set-Cookie value");
  rc = weft__cookie_url_parse(url, &u);
  if (rc)
    return rc;
  if (weft__cookie_jar_refuses(jar, u.host)) /* aiohttp: "Don't accept cookies from IPs" */
    goto cleanup;
  rc = weft__cookie_parse_at(set_cookie, &u, now, &c);
  if (rc == 0) {
    purge(jar, now);
    rc = weft__cookie_jar_store(jar, &c, now);
  }
cleanup:
  weft__cookie_url_clear(&u);
  return rc;
}

/* A cookie name is an RFC 9110 token; a value has no control character,
 * ';' or ',' (it goes into the Cookie header as is). */
static int check_name_value(const char *name, const char *value) {
  if (!name || !name[0] || !value)
    return weft__http_fail(-EINVAL, "cookie jar: a cookie needs a name and a value");
  for (const char *p = name; *p; p++)
    if (weft__cookie_bad_char((unsigned char)*p) || strchr(" \"(),/:;<=>?@[\\]{}", *p) ||
        (unsigned char)*p >= 0x80)
      return weft__http_fail(-EINVAL, "cookie jar: invalid cookie name '%.100s'", name);
  for (const char *p = value; *p; p++)
    if (weft__cookie_bad_char((unsigned char)*p) || *p == ';' || *p == ',')
      return weft__http_fail(-EINVAL, "cookie jar: invalid value for cookie '%.100s'", name);
  if (strlen(name) + strlen(value) > WEFT__COOKIE_MAX_PAIR)
    return weft__http_fail(-EINVAL, "cookie jar: cookie '%.100s' over %d bytes", name,
                           WEFT__COOKIE_MAX_PAIR);
  return 0;
}

/* url NULL: a shared cookie (empty domain), sent to every host, as
 * aiohttp's session-wide cookies. Otherwise a host-only cookie for url's
 * host with path "/"; a strict jar ignores it for an IP address (returns
 * 0), as aiohttp's update_cookies does. */
int weft_cookie_jar_set(weft_cookie_jar *jar, const char *name, const char *value,
                        const char *url) {
  weft__cookie_url u;
  weft_cookie c = {0};
  int rc = jar ? check_name_value(name, value) : weft__http_fail(-EINVAL, "cookie jar: no jar");

  if (rc || (rc = weft__cookie_url_parse(url, &u)))
    return rc;
  if (weft__cookie_jar_refuses(jar, u.host))
    goto cleanup;
  c.name = weft_strdup(name);
  c.value = weft_strdup(value);
  c.domain = weft_strdup(u.host ? u.host : "");
  c.path = weft_strdup("/");
  c.host_only = u.host != NULL;
  if (!c.name || !c.value || !c.domain || !c.path) {
    weft__http_cookie_clear(&c);
    rc = weft__http_fail(-ENOMEM, NULL);
    goto cleanup;
  }
  rc = weft__cookie_jar_store(jar, &c, now_s());
cleanup:
  weft__cookie_url_clear(&u);
  return rc;
}

size_t weft_cookie_jar_count(weft_cookie_jar *jar) {
  if (!jar)
    return 0;
  purge(jar, now_s());
  return jar->n;
}

const weft_cookie *weft_cookie_jar_at(weft_cookie_jar *jar, size_t i) {
  return jar && i < jar->n ? &jar->v[i].c : NULL;
}

/* aiohttp's clear_domain: cookie domain cd is domain or a subdomain of it
 * (domain "": the shared cookies). */
static int clear_matches(const char *domain, const char *cd) {
  size_t dn = strlen(domain), cn = strlen(cd);

  if (strcasecmp(cd, domain) == 0)
    return 1;
  if (dn == 0 || cn <= dn || strcasecmp(cd + cn - dn, domain) != 0 || cd[cn - dn - 1] != '.')
    return 0;
  return !weft__cookie_is_ip(cd);
}

void weft_cookie_jar_clear(weft_cookie_jar *jar, const char *domain) {
  size_t k = 0;

  if (!jar)
    return;
  if (domain && domain[0] == '.')
    domain++;
  for (size_t i = 0; i < jar->n; i++) {
    if (!domain || clear_matches(domain, jar->v[i].c.domain))
      weft__http_cookie_clear(&jar->v[i].c);
    else
      jar->v[k++] = jar->v[i];
  }
  jar->n = k;
}

/* ---- filter_cookies ------------------------------------------------ */

static int sends(const weft_cookie_jar *jar, const weft_cookie *c, const weft__cookie_url *u) {
  if (!c->domain[0]) /* shared */
    return 1;
  if (weft__cookie_jar_refuses(jar, u->host))
    return 0;
  if (c->host_only ? strcmp(c->domain, u->host) != 0
                   : !weft__cookie_domain_match(c->domain, u->host))
    return 0;
  if (!weft__cookie_path_match(u->path, c->path))
    return 0;
  return !c->secure || u->secure;
}

/* RFC 6265 5.4 step 2: longer paths first, then earlier creation. */
static int by_path_then_age(const void *pa, const void *pb) {
  const cookie_entry *a = *(cookie_entry *const *)pa, *b = *(cookie_entry *const *)pb;
  size_t la = strlen(a->c.path), lb = strlen(b->c.path);

  if (la != lb)
    return la > lb ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static char *join(cookie_entry **sel, size_t k) {
  size_t len = 1, off = 0;
  char *h;

  for (size_t i = 0; i < k; i++)
    len += strlen(sel[i]->c.name) + 1 + strlen(sel[i]->c.value) + (i ? 2 : 0);
  h = weft_malloc(len);
  if (!h)
    return NULL;
  for (size_t i = 0; i < k; i++)
    off += (size_t)sprintf(h + off, "%s%s=%s", i ? "; " : "", sel[i]->c.name, sel[i]->c.value);
  h[off] = '\0';
  return h;
}

int weft_cookie_jar_header(weft_cookie_jar *jar, const char *url, char **header) {
  weft__cookie_url u;
  cookie_entry **sel = NULL;
  size_t k = 0;
  int rc;

  *header = NULL;
  if (!jar || !url)
    return weft__http_fail(-EINVAL, "cookie jar: no jar or no URL");
  rc = weft__cookie_url_parse(url, &u);
  if (rc)
    return rc;
  purge(jar, now_s());
  sel = weft_malloc((jar->n ? jar->n : 1) * sizeof *sel);
  if (!sel) {
    rc = weft__http_fail(-ENOMEM, NULL);
    goto cleanup;
  }
  for (size_t i = 0; i < jar->n; i++)
    if (sends(jar, &jar->v[i].c, &u))
      sel[k++] = &jar->v[i];
  qsort(sel, k, sizeof *sel, by_path_then_age);
  *header = join(sel, k);
  if (!*header)
    rc = weft__http_fail(-ENOMEM, NULL);
cleanup:
  weft_free(sel);
  weft__cookie_url_clear(&u);
  return rc;
}
