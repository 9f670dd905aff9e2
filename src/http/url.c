/*
 * Request URLs on curl's URL API: joining onto the session's base URL and
 * redirect targets (RFC 3986), query parameters encoded as yarl does,
 * scheme checks, and the CR/LF checks of URLs, methods and header lines
 * (made on the bytes before curl sees them).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/internal.h"
#include "http/request.h"

/* A URL that is longer is refused (curl's own limit is 8 MB). */
#define URL_MAX (8u * 1024u * 1024u)

/* ---- string building ----------------------------------------------- */

int weft__http_sb_reserve(weft__http_sb *sb, size_t more) {
  size_t need = sb->len + more + 1, cap;
  char *p;

  if (more > SIZE_MAX / 4 - sb->len)
    return -ENOMEM;
  if (need <= sb->cap)
    return 0;
  cap = sb->cap ? sb->cap : 64;
  while (cap < need)
    cap *= 2;
  p = weft_realloc(sb->s, cap);
  if (!p)
    return -ENOMEM;
  sb->s = p;
  sb->cap = cap;
  return 0;
}

int weft__http_sb_add(weft__http_sb *sb, const void *data, size_t len) {
  if (weft__http_sb_reserve(sb, len) < 0)
    return -ENOMEM;
  memcpy(sb->s + sb->len, data, len);
  sb->len += len;
  sb->s[sb->len] = '\0';
  return 0;
}

int weft__http_sb_str(weft__http_sb *sb, const char *s) {
  return weft__http_sb_add(sb, s, strlen(s));
}

/* yarl's query quoter keeps these besides letters and digits; the form
 * encoder (urllib's quote_plus) keeps only "-._~". */
static int keep_byte(unsigned char c, int form) {
  if (isalnum(c) || strchr("-._~", c))
    return c != '\0';
  return !form && c && strchr("!$'()*,/:?@", c);
}

int weft__http_sb_quote(weft__http_sb *sb, const char *s, int form) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(s);
  char *o;

  if (weft__http_sb_reserve(sb, 3 * n) < 0)
    return -ENOMEM;
  o = sb->s + sb->len;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == ' ') {
      *o++ = '+';
    } else if (keep_byte(*p, form)) {
      *o++ = (char)*p;
    } else {
      *o++ = '%';
      *o++ = hex[*p >> 4];
      *o++ = hex[*p & 15];
    }
  }
  *o = '\0';
  sb->len = (size_t)(o - sb->s);
  return 0;
}

int weft__http_pairs_encode(const weft_http_pair *pairs, size_t n, int form, char **out) {
  weft__http_sb sb = {0};
  int rc = 0;

  *out = NULL;
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (!pairs[i].name || !pairs[i].value)
      return weft_free(sb.s),
             weft__http_fail(-EINVAL, "%s pair %zu has no %s", form ? "form" : "query", i,
                             pairs[i].name ? "value" : "name");
    if (i > 0)
      rc = weft__http_sb_add(&sb, "&", 1);
    if (rc == 0)
      rc = weft__http_sb_quote(&sb, pairs[i].name, form);
    if (rc == 0)
      rc = weft__http_sb_add(&sb, "=", 1);
    if (rc == 0)
      rc = weft__http_sb_quote(&sb, pairs[i].value, form);
  }
  if (rc == 0)
    rc = weft__http_sb_add(&sb, "", 0);
  if (rc < 0) {
    weft_free(sb.s);
    return weft__http_fail(-ENOMEM, NULL);
  }
  *out = sb.s;
  return 0;
}

/* ---- validation ---------------------------------------------------- */

static int has_crlf(const char *s) {
  return s && strpbrk(s, "\r\n") != NULL;
}

static int is_tchar(unsigned char c) {
  return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

int weft__http_check_method(const char *method) {
  if (!method || !*method)
    return weft__http_fail(-EINVAL, "empty method");
  if (has_crlf(method))
    return weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in the method");
  for (const char *p = method; *p; p++)
    if (!is_tchar((unsigned char)*p))
      return weft__http_fail(-EINVAL, "invalid character 0x%02x in the method", (unsigned char)*p);
  return 0;
}

int weft__http_check_header(const char *line) {
  const char *p = line;

  if (!line)
    return weft__http_fail(-EINVAL, "NULL header");
  if (has_crlf(line))
    return weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in the header '%.64s'", line);
  while (is_tchar((unsigned char)*p))
    p++;
  if (p == line || *p != ':')
    return weft__http_fail(-EINVAL, "header '%.64s' is not 'Name: value'", line);
  return 0;
}

/* ---- parsing and joining ------------------------------------------- */

static int url_fail(CURLUcode uc, const char *url) {
  if (uc == CURLUE_OUT_OF_MEMORY)
    return weft__http_fail(-ENOMEM, NULL);
  return weft__http_fail(WEFT_HTTP_EURL, "invalid URL '%.512s': %s", url, curl_url_strerror(uc));
}

/* The scheme of an absolute URL ("http"), or an empty string. */
static void scheme_of(const char *url, char *scheme, size_t cap) {
  size_t n = 0;

  scheme[0] = '\0';
  if (!isalpha((unsigned char)url[0]))
    return;
  while (isalnum((unsigned char)url[n]) || (url[n] && strchr("+-.", url[n])))
    n++;
  if (url[n] != ':' || n >= cap)
    return;
  memcpy(scheme, url, n);
  scheme[n] = '\0';
}

/* Percent-encode spaces, control bytes and non-ASCII bytes after the
 * authority (yarl's path/query/fragment quoting of such bytes); the host
 * stays as given for curl's IDN handling. */
static int pre_encode(const char *url, char **out) {
  static const char hex[] = "0123456789ABCDEF";
  weft__http_sb sb = {0};
  const char *rest = url, *auth = strstr(url, "://");
  char scheme[32];

  scheme_of(url, scheme, sizeof scheme);
  if (scheme[0] && auth == url + strlen(scheme))
    rest = auth + 3 + strcspn(auth + 3, "/?#");
  if (weft__http_sb_add(&sb, url, (size_t)(rest - url)) < 0)
    goto nomem;
  for (const unsigned char *p = (const unsigned char *)rest; *p; p++) {
    char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
    int rc =
        (*p <= ' ' || *p >= 0x7f) ? weft__http_sb_add(&sb, esc, 3) : weft__http_sb_add(&sb, p, 1);
    if (rc < 0)
      goto nomem;
  }
  if (weft__http_sb_add(&sb, "", 0) < 0)
    goto nomem;
  *out = sb.s;
  return 0;
nomem:
  weft_free(sb.s);
  return weft__http_fail(-ENOMEM, NULL);
}

static int check_scheme(const char *url) {
  char scheme[32];

  scheme_of(url, scheme, sizeof scheme);
  if (scheme[0] && strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))
    return weft__http_fail(WEFT_HTTP_ESCHEME, "unsupported URL scheme '%s' in '%.512s'", scheme,
                           url);
  return 0;
}

/* Set url on u (joined onto what u holds, if anything). */
static int url_set(CURLU *u, const char *url) {
  char *enc = NULL;
  CURLUcode uc;
  int rc;

  if (strlen(url) > URL_MAX)
    return weft__http_fail(WEFT_HTTP_EURL, "URL of %zu bytes is too long", strlen(url));
  rc = check_scheme(url);
  if (rc < 0)
    return rc;
  rc = pre_encode(url, &enc);
  if (rc < 0)
    return rc;
  uc = curl_url_set(u, CURLUPART_URL, enc, CURLU_NON_SUPPORT_SCHEME);
  weft_free(enc);
  return uc ? url_fail(uc, url) : 0;
}

/* An absolute http(s) URL with a host ("http:///p" is refused, which
 * curl would take as host "p"). */
static int check_absolute(CURLU *u, const char *url) {
  char scheme[32], *host = NULL;
  const char *auth;
  CURLUcode uc;

  scheme_of(url, scheme, sizeof scheme);
  if (scheme[0] && strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))
    return weft__http_fail(WEFT_HTTP_ESCHEME, "unsupported URL scheme '%s' in '%.512s'", scheme,
                           url);
  auth = strstr(url, "://");
  if (scheme[0] && auth && auth[3] == '/')
    return weft__http_fail(WEFT_HTTP_EURL, "invalid URL '%.512s': no host", url);
  uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
  curl_free(host);
  return uc ? url_fail(uc, url) : 0;
}

/* Parse an absolute URL into a new handle. */
static int parse_absolute(const char *url, CURLU **out) {
  CURLU *u = curl_url();
  char scheme[32];
  int rc;

  *out = NULL;
  if (!u)
    return weft__http_fail(-ENOMEM, NULL);
  scheme_of(url, scheme, sizeof scheme);
  if (!scheme[0]) {
    rc = weft__http_fail(WEFT_HTTP_EURL, "invalid URL '%.512s': not absolute", url);
    goto fail;
  }
  rc = url_set(u, url);
  if (rc == 0)
    rc = check_absolute(u, url);
  if (rc < 0)
    goto fail;
  *out = u;
  return 0;
fail:
  curl_url_cleanup(u);
  return rc;
}

/* Resolve ref against the URL u holds; a fragment-only reference keeps
 * the document (curl 7.88 resolves "#f" like a relative path). */
static int url_resolve(CURLU *u, const char *ref) {
  CURLUcode uc;
  int rc = ref[0] == '#' ? 0 : url_set(u, ref);

  if (rc < 0)
    return rc;
  uc = curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
  return uc ? url_fail(uc, ref) : 0;
}

/* Splice query (may be NULL) into s before its fragment, after its own
 * query with '&'. Done on the string: curl's query setters lower-case the
 * percent escapes. */
static int splice_query(const char *s, const char *query, char **out) {
  weft__http_sb sb = {0};
  size_t head = strcspn(s, "#");
  const char *q = memchr(s, '?', head);
  const char *sep = !q ? "?" : (q[1] && q + 1 != s + head) ? "&" : "";

  if (weft__http_sb_add(&sb, s, head) < 0 ||
      (query && *query && (weft__http_sb_str(&sb, sep) < 0 || weft__http_sb_str(&sb, query) < 0)) ||
      weft__http_sb_str(&sb, s + head) < 0) {
    weft_free(sb.s);
    return weft__http_fail(-ENOMEM, NULL);
  }
  *out = sb.s;
  return 0;
}

static int url_take(CURLU *u, const char *query, char **out) {
  char *s = NULL;
  CURLUcode uc = curl_url_get(u, CURLUPART_URL, &s, 0);
  int rc;

  if (uc)
    return url_fail(uc, "");
  rc = splice_query(s, query, out);
  curl_free(s);
  return rc;
}

static int check_params(const weft_http_pair *params, size_t n, const char *raw) {
  if (has_crlf(raw))
    return weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in the query string");
  for (size_t i = 0; i < n; i++)
    if (has_crlf(params[i].name) || has_crlf(params[i].value))
      return weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in query parameter %zu", i);
  return 0;
}

/* The query the pairs and the raw string add ("" when none). */
static int extra_query(const weft_http_pair *params, size_t n, const char *raw, char **out) {
  weft__http_sb sb = {0};
  char *enc = NULL;
  int rc = n ? weft__http_pairs_encode(params, n, 0, &enc) : 0;

  if (rc < 0)
    return rc;
  if (weft__http_sb_str(&sb, enc ? enc : "") < 0 ||
      (raw && *raw &&
       ((enc && weft__http_sb_add(&sb, "&", 1) < 0) || weft__http_sb_str(&sb, raw) < 0))) {
    weft_free(enc);
    weft_free(sb.s);
    return weft__http_fail(-ENOMEM, NULL);
  }
  weft_free(enc);
  *out = sb.s;
  return 0;
}

/* The joined URL with the query pairs and raw query appended. */
static int build_on(CURLU *u, const char *url, const char *shown, const weft_http_pair *params,
                    size_t n_params, const char *params_raw, char **out) {
  char *query = NULL;
  int rc = 0;

  if (url)
    rc = url_set(u, url);
  if (rc == 0)
    rc = check_absolute(u, shown);
  if (rc == 0)
    rc = extra_query(params, n_params, params_raw, &query);
  if (rc == 0)
    rc = url_take(u, query, out);
  weft_free(query);
  return rc;
}

/* A URL curl would give back unchanged: only the query is added. */
static int build_simple(const char *url, const weft_http_pair *params, size_t n_params,
                        const char *params_raw, char **out) {
  char *query = NULL;
  int rc;

  if (n_params == 0 && (!params_raw || !*params_raw)) {
    *out = weft_strdup(url);
    return *out ? 0 : weft__http_fail(-ENOMEM, NULL);
  }
  rc = extra_query(params, n_params, params_raw, &query);
  if (rc == 0)
    rc = splice_query(url, query, out);
  weft_free(query);
  return rc;
}

int weft__http_url_build(const char *base, const char *url, const weft_http_pair *params,
                         size_t n_params, const char *params_raw, char **out) {
  weft__http_url_parts parts;
  CURLU *u = NULL;
  int rc;

  *out = NULL;
  if (!base && !url)
    return weft__http_fail(-EINVAL, "no URL");
  if (has_crlf(base) || has_crlf(url))
    return weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in the URL '%.512s'", url ? url : base);
  rc = check_params(params, n_params, params_raw);
  if (rc < 0)
    return rc;
  if (!base && weft__http_url_simple(url, &parts))
    return build_simple(url, params, n_params, params_raw, out);
  if (base) {
    rc = parse_absolute(base, &u);
  } else {
    u = curl_url();
    rc = u ? 0 : weft__http_fail(-ENOMEM, NULL);
  }
  if (rc == 0 && !base && url[0] == '#')
    rc = weft__http_fail(WEFT_HTTP_EURL, "invalid URL '%.512s': not absolute", url);
  if (rc == 0)
    rc = build_on(u, url && (url[0] != '#' || !base) ? url : NULL, url ? url : base, params,
                  n_params, params_raw, out);
  curl_url_cleanup(u);
  return rc;
}

int weft__http_url_join(const char *from, const char *location, char **out) {
  CURLU *u = NULL;
  int rc;

  *out = NULL;
  if (has_crlf(location))
    return weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in the redirect location");
  rc = parse_absolute(from, &u);
  if (rc == 0)
    rc = url_resolve(u, location);
  if (rc == 0)
    rc = check_absolute(u, location);
  if (rc == 0)
    rc = url_take(u, NULL, out);
  curl_url_cleanup(u);
  return rc;
}

/* ---- parts ----------------------------------------------------------- */

static int host_part(CURLU *u, char *host, size_t cap) {
  char *h = NULL;
  size_t n;
  const char *p;
  CURLUcode uc = curl_url_get(u, CURLUPART_HOST, &h, 0);

  if (uc)
    return url_fail(uc, "");
  p = h;
  n = strlen(h);
  if (n >= 2 && h[0] == '[') {
    p++;
    n -= 2;
  }
  if (n >= cap) {
    curl_free(h);
    return weft__http_fail(-ENAMETOOLONG, "host name too long");
  }
  for (size_t i = 0; i < n; i++)
    host[i] = (char)tolower((unsigned char)p[i]);
  host[n] = '\0';
  curl_free(h);
  return 0;
}

static int port_part(CURLU *u, int *port, int *https) {
  char *s = NULL;
  CURLUcode uc = curl_url_get(u, CURLUPART_SCHEME, &s, 0);

  if (uc)
    return url_fail(uc, "");
  *https = strcasecmp(s, "https") == 0;
  curl_free(s);
  s = NULL;
  uc = curl_url_get(u, CURLUPART_PORT, &s, CURLU_DEFAULT_PORT);
  if (uc)
    return url_fail(uc, "");
  *port = atoi(s);
  curl_free(s);
  return 0;
}

/* The host of a plain URL, as curl's parser would give it. */
static int simple_host(const weft__http_url_parts *parts, char *host, size_t cap, int *port,
                       int *https) {
  if (parts->host_len >= cap)
    return weft__http_fail(-ENAMETOOLONG, "host name too long");
  memcpy(host, parts->host, parts->host_len);
  host[parts->host_len] = '\0';
  if (port)
    *port = parts->port;
  if (https)
    *https = parts->https;
  return 0;
}

int weft__http_url_host(const char *url, char *host, size_t cap, int *port, int *https) {
  weft__http_url_parts parts;
  CURLU *u;
  int rc, p = 0, tls = 0;

  if (weft__http_url_simple(url, &parts))
    return simple_host(&parts, host, cap, port, https);
  rc = parse_absolute(url, &u);
  if (rc < 0)
    return rc;
  rc = host_part(u, host, cap);
  if (rc == 0)
    rc = port_part(u, &p, &tls);
  curl_url_cleanup(u);
  if (port)
    *port = p;
  if (https)
    *https = tls;
  return rc;
}

int weft__http_url_same_origin(const char *a, const char *b) {
  char ha[256], hb[256];
  int pa, pb, ta, tb;

  int rc = weft__http_url_host(a, ha, sizeof ha, &pa, &ta);

  if (rc == 0)
    rc = weft__http_url_host(b, hb, sizeof hb, &pb, &tb);
  if (rc == -ENOMEM)
    return rc;
  return rc == 0 && ta == tb && pa == pb && strcmp(ha, hb) == 0;
}
