/*
 * The cookie jar's own internals, shared by cookie*.c only: URLs as the
 * jar sees them, RFC 6265 matching, dates, and the jar's storage.
 */
#ifndef WEFT_HTTP_COOKIE_IMPL_H
#define WEFT_HTTP_COOKIE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "http/cookie.h"

/* Name plus value longer than this: the cookie is refused (RFC 6265bis
 * 5.6 step 5); an attribute value longer than WEFT__COOKIE_MAX_ATTR is
 * ignored (step 9). */
#define WEFT__COOKIE_MAX_PAIR 4096
#define WEFT__COOKIE_MAX_ATTR 1024
/* The latest expiry kept: 9999-12-31T23:59:59Z (aiohttp's datetime.max). */
#define WEFT__COOKIE_MAX_TIME INT64_C(253402300799)

/* A URL as the jar needs it (curl's URL API parses it). */
typedef struct weft__cookie_url {
  char *host; /* lower-case, IPv6 without brackets; NULL: no URL (shared cookies) */
  char *path; /* raw path, starting with '/' */
  int secure; /* https or wss */
} weft__cookie_url;

/* url NULL gives the empty URL (host NULL, path "/"). Returns 0, -EINVAL
 * (message set), -ENOMEM. */
int weft__cookie_url_parse(const char *url, weft__cookie_url *out);
void weft__cookie_url_clear(weft__cookie_url *u);

/* An IPv4 or IPv6 address (an IPv6 zone suffix "%..." is allowed). */
int weft__cookie_is_ip(const char *host);
/* RFC 6265 5.1.3 (aiohttp's _is_domain_match): host is domain or a
 * subdomain of it, and not an IP address in the latter case. */
int weft__cookie_domain_match(const char *domain, const char *host);
/* RFC 6265 5.1.4. */
int weft__cookie_path_match(const char *req_path, const char *cookie_path);
/* RFC 6265 5.1.4 default-path of a request path (weft_malloc; NULL when
 * out of memory). */
char *weft__cookie_default_path(const char *path);
/* A character that may not appear in a stored cookie field (CTLs). */
int weft__cookie_bad_char(unsigned char ch);
/* A copy of s[0, n) (weft_malloc), NULL when out of memory. */
char *weft__cookie_strndup(const char *s, size_t n);

/* RFC 6265 5.1.1 cookie-date of s[0, n) as Unix time in *out (negative
 * before 1970). Returns 1, or 0 when s is not a valid date. */
int weft__cookie_parse_date(const char *s, size_t n, int64_t *out);

/* Parse with an already parsed URL at time now (Max-Age base). */
int weft__cookie_parse_at(const char *set_cookie, const weft__cookie_url *u, int64_t now,
                          weft_cookie *out);
/* Duplicate every string of c into *out (same_site is static). */
int weft__cookie_copy(const weft_cookie *c, weft_cookie *out);

/* A cookie that expired by now (expires 0: a session cookie, never). */
static inline int weft__cookie_expired(const weft_cookie *c, int64_t now) {
  return c->expires != 0 && c->expires <= now;
}

/* ---- the jar's storage (cookie.c) ---------------------------------- */
/* Make room for n more cookies, so that storing them cannot fail. */
int weft__cookie_jar_reserve(weft_cookie_jar *jar, size_t n);
/* Store c (its strings move into the jar, *c is zeroed): replaces the
 * cookie of the same name, domain and path (keeping its creation order);
 * an expired c deletes that one. Returns 0 or -ENOMEM (c cleared). */
int weft__cookie_jar_store(weft_cookie_jar *jar, weft_cookie *c, int64_t now);
/* The jar refuses cookies for this host (strict jar, IP address). */
int weft__cookie_jar_refuses(const weft_cookie_jar *jar, const char *host);

#endif /* WEFT_HTTP_COOKIE_IMPL_H */
