/*
 * One Set-Cookie header value into a weft_cookie: RFC 6265 5.2 with
 * aiohttp's CookieJar defaults (5.3 for domain, path and expiry).
 *
 * Differences from the letter of RFC 6265, all as aiohttp does: a value in
 * double quotes is kept with its quotes (it is sent back as received) and
 * may contain ';'; a Domain ending in '.' is ignored (host-only cookie).
 * Stricter than aiohttp: a single-label Domain ("com") other than the host
 * itself or "localhost" is refused, as curl does without a public suffix
 * list; a name and value longer than 4096 bytes in total, or containing
 * control characters, are refused (RFC 6265bis).
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/cookie_impl.h"
#include "http/request.h"

typedef struct span {
  const char *p;
  size_t n;
} span;

typedef struct attrs {
  span name, value, domain, path;
  int has_domain, has_path, has_max_age, has_expires;
  int64_t max_age_at, expires;
  int secure, http_only;
  const char *same_site;
} attrs;

static int is_wsp(char c) {
  return c == ' ' || c == '\t';
}

static span trim(const char *p, size_t n) {
  while (n && is_wsp(*p)) {
    p++;
    n--;
  }
  while (n && is_wsp(p[n - 1]))
    n--;
  return (span){p, n};
}

static int span_is(span s, const char *word) {
  return s.n == strlen(word) && strncasecmp(s.p, word, s.n) == 0;
}

static int has_bad_char(span s, int tab_ok) {
  for (size_t i = 0; i < s.n; i++)
    if (weft__cookie_bad_char((unsigned char)s.p[i]) && !(tab_ok && s.p[i] == '\t'))
      return 1;
  return 0;
}

/* The end of the value starting at p: the first ';', except inside a
 * double-quoted value (backslash escapes as Python's http.cookies). */
static const char *value_end(const char *p) {
  const char *q = p;

  while (is_wsp(*q))
    q++;
  if (*q == '"') {
    for (q++; *q && *q != '"'; q++)
      if (*q == '\\' && q[1])
        q++;
    if (*q == '"') /* closed: anything up to the next ';' still belongs */
      return q + 1 + strcspn(q + 1, ";");
  }
  return p + strcspn(p, ";");
}

static int parse_max_age(span v, int64_t now, int64_t *at) {
  int64_t delta = 0;
  size_t i = v.n && v.p[0] == '-';

  if (i == v.n)
    return 0;
  for (; i < v.n; i++) {
    if (!isdigit((unsigned char)v.p[i]))
      return 0;
    if (delta < WEFT__COOKIE_MAX_TIME)
      delta = delta * 10 + (v.p[i] - '0');
  }
  if (v.p[0] == '-' || delta == 0)
    *at = 1; /* RFC 6265 5.2.2: the earliest time, so expired */
  else
    *at = delta > WEFT__COOKIE_MAX_TIME - now ? WEFT__COOKIE_MAX_TIME : now + delta;
  return 1;
}

static void parse_same_site(span v, attrs *a) {
  a->same_site = span_is(v, "strict") ? "Strict"
                 : span_is(v, "lax")  ? "Lax"
                 : span_is(v, "none") ? "None"
                                      : NULL;
}

static void parse_domain(span v, attrs *a) {
  if (v.n && v.p[0] == '.') {
    v.p++;
    v.n--;
  }
  if (v.n == 0) /* RFC 6265 5.2.3: an empty Domain is ignored */
    return;
  /* "example.com." (aiohttp): no Domain, a host-only cookie */
  a->has_domain = v.n > 0 && v.p[v.n - 1] != '.' && !has_bad_char(v, 0);
  a->domain = v;
}

static void parse_attr(span name, span v, int64_t now, attrs *a) {
  if (v.n > WEFT__COOKIE_MAX_ATTR)
    return;
  if (span_is(name, "expires")) {
    a->has_expires = weft__cookie_parse_date(v.p, v.n, &a->expires) || a->has_expires;
  } else if (span_is(name, "max-age")) {
    a->has_max_age = parse_max_age(v, now, &a->max_age_at) || a->has_max_age;
  } else if (span_is(name, "domain")) {
    parse_domain(v, a);
  } else if (span_is(name, "path")) {
    a->has_path = v.n && v.p[0] == '/' && !has_bad_char(v, 0);
    a->path = v;
  } else if (span_is(name, "secure")) {
    a->secure = 1;
  } else if (span_is(name, "httponly")) {
    a->http_only = 1;
  } else if (span_is(name, "samesite")) {
    parse_same_site(v, a);
  }
}

static void parse_attrs(const char *p, int64_t now, attrs *a) {
  while (*p == ';') {
    const char *start = p + 1, *end = start + strcspn(start, ";");
    const char *eq = memchr(start, '=', (size_t)(end - start));

    if (eq)
      parse_attr(trim(start, (size_t)(eq - start)), trim(eq + 1, (size_t)(end - eq - 1)), now, a);
    else
      parse_attr(trim(start, (size_t)(end - start)), (span){end, 0}, now, a);
    p = end;
  }
}

static int parse_pair(const char *s, attrs *a, const char **rest) {
  size_t n = strcspn(s, ";=");
  const char *end;

  if (s[n] != '=')
    return weft__http_fail(-EINVAL, "Set-Cookie without name=value: '%.100s'", s);
  a->name = trim(s, n);
  end = value_end(s + n + 1);
  a->value = trim(s + n + 1, (size_t)(end - s - n - 1));
  *rest = end;
  if (a->name.n == 0)
    return weft__http_fail(-EINVAL, "Set-Cookie with an empty name: '%.100s'", s);
  if (a->name.n + a->value.n > WEFT__COOKIE_MAX_PAIR)
    return weft__http_fail(-EINVAL, "Set-Cookie '%.*s': name and value over %d bytes",
                           (int)(a->name.n < 100 ? a->name.n : 100), a->name.p,
                           WEFT__COOKIE_MAX_PAIR);
  if (has_bad_char(a->name, 0) || has_bad_char(a->value, 0))
    return weft__http_fail(-EINVAL, "Set-Cookie '%.*s': control character in name or value",
                           (int)(a->name.n < 100 ? a->name.n : 100), a->name.p);
  return 0;
}

/* RFC 6265 5.3 steps 4-6 (aiohttp: "Setting cookies for different
 * domains is not allowed"). */
static int check_domain(const attrs *a, const char *domain, const char *host) {
  if (!host)
    return 0;
  if (!weft__cookie_domain_match(domain, host))
    return weft__http_fail(-EINVAL, "Set-Cookie '%.*s' from %s for another domain: %s",
                           (int)(a->name.n < 100 ? a->name.n : 100), a->name.p, host, domain);
  if (!strchr(domain, '.') && strcmp(domain, host) != 0 && strcmp(domain, "localhost") != 0)
    return weft__http_fail(-EINVAL, "Set-Cookie '%.*s' from %s for a top-level domain: %s",
                           (int)(a->name.n < 100 ? a->name.n : 100), a->name.p, host, domain);
  return 0;
}

static int set_domain(const attrs *a, const weft__cookie_url *u, weft_cookie *out) {
  char *d;
  int rc;

  if (!a->has_domain) {
    out->host_only = u->host != NULL; /* no URL: shared, sent everywhere */
    out->domain = weft_strdup(u->host ? u->host : "");
    return out->domain ? 0 : weft__http_fail(-ENOMEM, NULL);
  }
  d = weft__cookie_strndup(a->domain.p, a->domain.n);
  if (!d)
    return weft__http_fail(-ENOMEM, NULL);
  for (char *p = d; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  out->domain = d;
  rc = check_domain(a, d, u->host);
  return rc;
}

static int fill(const attrs *a, const weft__cookie_url *u, weft_cookie *out) {
  int rc = set_domain(a, u, out);

  if (rc)
    return rc;
  out->name = weft__cookie_strndup(a->name.p, a->name.n);
  out->value = weft__cookie_strndup(a->value.p, a->value.n);
  out->path =
      a->has_path ? weft__cookie_strndup(a->path.p, a->path.n) : weft__cookie_default_path(u->path);
  if (!out->name || !out->value || !out->path)
    return weft__http_fail(-ENOMEM, NULL);
  out->expires = a->has_max_age ? a->max_age_at : a->has_expires ? a->expires : 0;
  if (out->expires < 0 || (a->has_expires && !a->has_max_age && out->expires == 0))
    out->expires = 1; /* before 1970: expired, not a session cookie */
  out->secure = a->secure;
  out->http_only = a->http_only;
  out->same_site = a->same_site;
  return 0;
}

int weft__cookie_parse_at(const char *set_cookie, const weft__cookie_url *u, int64_t now,
                          weft_cookie *out) {
  attrs a = {0};
  const char *rest = NULL;
  int rc;

  memset(out, 0, sizeof *out);
  for (const char *p = set_cookie; *p; p++)
    if (weft__cookie_bad_char((unsigned char)*p) && *p != '\t')
      return weft__http_fail(-EINVAL, "Set-Cookie with a control character");
  rc = parse_pair(set_cookie, &a, &rest);
  if (rc)
    return rc;
  parse_attrs(rest, now, &a);
  rc = fill(&a, u, out);
  if (rc)
    weft__http_cookie_clear(out);
  return rc;
}

int weft__http_cookie_parse(const char *set_cookie, const char *url, weft_cookie *out) {
  weft__cookie_url u;
  int rc;

  memset(out, 0, sizeof *out);
  if (!set_cookie)
    return weft__http_fail(-EINVAL, "Set-Cookie: no value");
  rc = weft__cookie_url_parse(url, &u);
  if (rc)
    return rc;
  rc = weft__cookie_parse_at(set_cookie, &u, (int64_t)time(NULL), out);
  weft__cookie_url_clear(&u);
  return rc;
}

void weft__http_cookie_clear(weft_cookie *c) {
  if (!c)
    return;
  weft_free((void *)c->name);
  weft_free((void *)c->value);
  weft_free((void *)c->domain);
  weft_free((void *)c->path);
  memset(c, 0, sizeof *c);
}

int weft__cookie_copy(const weft_cookie *c, weft_cookie *out) {
  *out = *c;
  out->name = weft_strdup(c->name);
  out->value = weft_strdup(c->value);
  out->domain = weft_strdup(c->domain);
  out->path = weft_strdup(c->path);
  if (out->name && out->value && out->domain && out->path)
    return 0;
  weft__http_cookie_clear(out);
  return weft__http_fail(-ENOMEM, NULL);
}
