/* The cookie jar's view of URLs (through curl's URL API) and RFC 6265's
 * domain and path matching. */
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <string.h>

#include "http/cookie_impl.h"
#include "http/request.h"

char *weft__cookie_strndup(const char *s, size_t n) {
  char *p = weft_malloc(n + 1);

  if (!p)
    return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

int weft__cookie_bad_char(unsigned char ch) {
  return ch < 0x20 || ch == 0x7f;
}

static int url_error(CURLUcode uc, const char *url, const char *what) {
  if (uc == CURLUE_OUT_OF_MEMORY)
    return weft__http_fail(-ENOMEM, NULL);
  return weft__http_fail(-EINVAL, "cookie jar: invalid URL '%.200s': %s%s", url, what,
                         uc ? curl_url_strerror(uc) : "");
}

/* Copy curl's host: lower-case, IPv6 brackets dropped. */
static int copy_host(const char *host, weft__cookie_url *out) {
  size_t n = strlen(host);

  if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
    host++;
    n -= 2;
  }
  out->host = weft__cookie_strndup(host, n);
  if (!out->host)
    return weft__http_fail(-ENOMEM, NULL);
  for (char *p = out->host; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  return 0;
}

static int copy_parts(CURLU *h, const char *url, weft__cookie_url *out) {
  char *scheme = NULL, *host = NULL, *path = NULL;
  CURLUcode uc;
  int rc = 0;

  uc = curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
  if (!uc)
    uc = curl_url_get(h, CURLUPART_HOST, &host, 0);
  if (!uc)
    uc = curl_url_get(h, CURLUPART_PATH, &path, 0);
  if (uc || !host[0]) {
    rc = url_error(uc, url, uc ? "" : "no host");
    goto cleanup;
  }
  out->secure = strcasecmp(scheme, "https") == 0 || strcasecmp(scheme, "wss") == 0;
  rc = copy_host(host, out);
  if (rc == 0 && !(out->path = weft_strdup(path[0] == '/' ? path : "/")))
    rc = weft__http_fail(-ENOMEM, NULL);
cleanup:
  curl_free(scheme);
  curl_free(host);
  curl_free(path);
  return rc;
}

/* A URL in plain form (weft__http_url_simple): its parts as they are. */
static int copy_simple(const weft__http_url_parts *p, weft__cookie_url *out) {
  out->secure = p->https;
  out->host = weft__cookie_strndup(p->host, p->host_len);
  out->path = weft__cookie_strndup(p->path, p->path_len);
  if (out->host && out->path)
    return 0;
  weft__cookie_url_clear(out);
  return weft__http_fail(-ENOMEM, NULL);
}

int weft__cookie_url_parse(const char *url, weft__cookie_url *out) {
  weft__http_url_parts parts;
  CURLU *h;
  CURLUcode uc;
  int rc;

  memset(out, 0, sizeof *out);
  if (!url) {
    out->path = weft_strdup("/");
    return out->path ? 0 : weft__http_fail(-ENOMEM, NULL);
  }
  if (weft__http_url_simple(url, &parts))
    return copy_simple(&parts, out);
  h = curl_url();
  if (!h)
    return weft__http_fail(-ENOMEM, NULL);
  uc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
  rc = uc ? url_error(uc, url, "") : copy_parts(h, url, out);
  curl_url_cleanup(h);
  if (rc)
    weft__cookie_url_clear(out);
  return rc;
}

void weft__cookie_url_clear(weft__cookie_url *u) {
  weft_free(u->host);
  weft_free(u->path);
  u->host = u->path = NULL;
}

int weft__cookie_is_ip(const char *host) {
  unsigned char buf[sizeof(struct in6_addr)];
  char tmp[64];
  size_t n;

  if (!host)
    return 0;
  if (inet_pton(AF_INET, host, buf) == 1)
    return 1;
  n = strcspn(host, "%"); /* fe80::1%eth0 */
  if (n >= sizeof tmp)
    return 0;
  memcpy(tmp, host, n);
  tmp[n] = '\0';
  return inet_pton(AF_INET6, tmp, buf) == 1;
}

int weft__cookie_domain_match(const char *domain, const char *host) {
  size_t dn = strlen(domain), hn = strlen(host);

  if (strcmp(domain, host) == 0)
    return 1;
  if (dn == 0 || hn <= dn || strcmp(host + hn - dn, domain) != 0)
    return 0;
  if (host[hn - dn - 1] != '.')
    return 0;
  return !weft__cookie_is_ip(host);
}

int weft__cookie_path_match(const char *req_path, const char *cookie_path) {
  size_t cn = strlen(cookie_path);

  if (!req_path || req_path[0] != '/')
    req_path = "/";
  if (strcmp(req_path, cookie_path) == 0)
    return 1;
  if (strncmp(req_path, cookie_path, cn) != 0)
    return 0;
  /* "/foo" matches "/foo/bar" but not "/foobar" */
  return (cn && cookie_path[cn - 1] == '/') || req_path[cn] == '/';
}

char *weft__cookie_default_path(const char *path) {
  const char *last = path ? strrchr(path, '/') : NULL;

  /* no '/' at all, or only the leading one: "/" */
  if (!path || path[0] != '/' || last == path)
    return weft__cookie_strndup("/", 1);
  return weft__cookie_strndup(path, (size_t)(last - path));
}
