/*
 * Plain URLs without curl's URL API: a request URL such as
 * "http://example.com:8080/a/b?x=1" is already in the form curl's parser
 * would give back (lower-case scheme and host, an explicit path, only
 * characters that need no encoding, no dot segments, no fragment), so
 * the request side takes it as it is instead of a parse and a rebuild
 * per request. Anything else is left to curl (weft__http_url_simple
 * returns 0), which normalises it.
 */
#include <string.h>

#include "http/request.h"

#define HOST_MAX 253
#define URL_SIMPLE_MAX 8192

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static int is_lower(char c) {
  return c >= 'a' && c <= 'z';
}

static int is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 pchar without '%' (checked with its two hex digits). */
static int is_pchar(char c) {
  return is_lower(c) || (c >= 'A' && c <= 'Z') || is_digit(c) ||
         (c && strchr("-._~!$&'()*+,;=:@", c));
}

/* "a.b.c.d", each part 0-255 without leading zeros. */
static int is_dotted_quad(const char *h, size_t n) {
  size_t i = 0;

  for (int part = 0; part < 4; part++) {
    size_t start = i;
    unsigned v = 0;

    while (i < n && is_digit(h[i]) && i - start < 3)
      v = v * 10 + (unsigned)(h[i++] - '0');
    if (i == start || v > 255 || (h[start] == '0' && i - start > 1))
      return 0;
    if (part < 3 && (i >= n || h[i++] != '.'))
      return 0;
  }
  return i == n;
}

/* A lower-case name whose last label starts with a letter (nothing curl
 * would read as a number), or a dotted quad as curl writes it. */
static int is_simple_host(const char *h, size_t n) {
  size_t last = 0;

  if (n == 0 || n > HOST_MAX || !(is_lower(h[0]) || is_digit(h[0])))
    return 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_lower(h[i]) && !is_digit(h[i]) && h[i] != '-' && h[i] != '.')
      return 0;
    if (h[i] == '.' && (i + 1 == n || h[i + 1] == '.'))
      return 0;
    if (h[i] == '.')
      last = i + 1;
  }
  return (last < n && is_lower(h[last])) || is_dotted_quad(h, n);
}

/* ":1".. ":65535" without leading zeros; 0: none or not simple. */
static int simple_port(const char *s, size_t n) {
  int v = 0;

  if (n < 2 || n > 6 || s[0] != ':' || s[1] == '0')
    return 0;
  for (size_t i = 1; i < n; i++) {
    if (!is_digit(s[i]))
      return 0;
    v = v * 10 + (s[i] - '0');
  }
  return v <= 65535 ? v : 0;
}

/* Path or query characters: pchars, '/', valid escapes, and '?' in the
 * query. Returns the length taken (stops at '?' in the path, at the end
 * in the query), or -1 for a character curl would change or refuse. */
static long simple_chars(const char *s, int query) {
  const char *p = s;

  for (; *p; p++) {
    if (*p == '?' && !query)
      break;
    if (*p == '%' && is_hex(p[1]) && is_hex(p[2])) {
      p += 2;
      continue;
    }
    if (*p == '/' && !query && p[1] == '.')
      return -1; /* a dot segment, or a name curl might see as one */
    if (!is_pchar(*p) && *p != '/' && *p != '?')
      return -1;
  }
  return (long)(p - s);
}

/* The authority of a plain URL: a simple host and an optional port
 * other than the default. Returns the port (default or given), 0 if not
 * plain. */
static int simple_authority(const char *auth, size_t auth_len, int https, size_t *host_len) {
  int dflt = https ? 443 : 80, port = dflt;

  *host_len = strcspn(auth, ":/");
  if (*host_len < auth_len) {
    port = simple_port(auth + *host_len, auth_len - *host_len);
    if (port == dflt)
      return 0;
  }
  return is_simple_host(auth, *host_len) ? port : 0;
}

int weft__http_url_simple(const char *url, weft__http_url_parts *out) {
  int https = strncmp(url, "https://", 8) == 0, port;
  const char *auth = url + (https ? 8 : 7), *query;
  size_t auth_len, host_len;
  long path_len;

  if (!https && strncmp(url, "http://", 7) != 0)
    return 0;
  auth_len = strcspn(auth, "/?#");
  if (auth[auth_len] != '/' || strlen(url) > URL_SIMPLE_MAX)
    return 0;
  port = simple_authority(auth, auth_len, https, &host_len);
  path_len = port ? simple_chars(auth + auth_len, 0) : -1;
  if (path_len < 0)
    return 0;
  query = auth[auth_len + path_len] ? auth + auth_len + path_len + 1 : NULL;
  if (query && (!*query || simple_chars(query, 1) < 0))
    return 0; /* curl drops an empty query */
  out->https = https;
  out->host = auth;
  out->host_len = host_len;
  out->port = port;
  out->path = auth + auth_len;
  out->path_len = (size_t)path_len;
  out->query = query;
  return 1;
}
