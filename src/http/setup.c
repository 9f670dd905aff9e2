/*
 * The curl options of one hop: method, URL, headers (session's, then the
 * request's), User-Agent, Basic authorization, TLS, HTTP version, proxy
 * (and trust_env), connect timeout, decompression and connection reuse.
 * Request options override the session's field by field.
 *
 * Timeouts: CURLOPT_CONNECTTIMEOUT_MS is the smaller of connect and
 * sock_connect when either is set; with neither, curl's own connect limit
 * (300 s) stays. total and sock_read are the engine's.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/internal.h"
#include "http/request.h"

#define DEFAULT_UA "weft/" WEFT_VERSION

static int append(struct curl_slist **headers, const char *line) {
  struct curl_slist *l = curl_slist_append(*headers, line);

  if (!l)
    return weft__http_fail(-ENOMEM, NULL);
  *headers = l;
  return 0;
}

/* ---- headers ------------------------------------------------------------- */

static size_t name_len(const char *line) {
  return strcspn(line, ":");
}

static int same_name(const char *a, const char *b) {
  size_t n = name_len(a);

  return n == name_len(b) && strncasecmp(a, b, n) == 0;
}

static int has_header(const char *const *list, const char *name) {
  for (; list && *list; list++)
    if (same_name(*list, name))
      return 1;
  return 0;
}

/* "Name:" alone makes curl drop the header; "Name;" sends it empty. */
static int add_user_header(struct curl_slist **headers, const char *line) {
  size_t n = name_len(line);
  const char *v = line + n + 1;
  char *copy;
  int rc;

  while (*v == ' ' || *v == '\t')
    v++;
  if (*v)
    return append(headers, line);
  copy = weft_malloc(n + 2);
  if (!copy)
    return weft__http_fail(-ENOMEM, NULL);
  memcpy(copy, line, n);
  copy[n] = ';';
  copy[n + 1] = '\0';
  rc = append(headers, copy);
  weft_free(copy);
  return rc;
}

static int check_all(const char *const *list) {
  for (; list && *list; list++) {
    int rc = weft__http_check_header(*list);
    if (rc < 0)
      return rc;
  }
  return 0;
}

/* Session headers not replaced by the request's, then the request's;
 * Authorization dropped when auth is not allowed. */
static int merge_headers(const char *const *sh, const char *const *rh, int auth_allowed,
                         struct curl_slist **headers) {
  int rc = check_all(sh);

  if (rc == 0)
    rc = check_all(rh);
  for (const char *const *h = sh; rc == 0 && h && *h; h++)
    if (!has_header(rh, *h) && (auth_allowed || !same_name(*h, "Authorization")))
      rc = add_user_header(headers, *h);
  for (const char *const *h = rh; rc == 0 && h && *h; h++)
    if (auth_allowed || !same_name(*h, "Authorization"))
      rc = add_user_header(headers, *h);
  return rc;
}

static int user_agent(const char *ua, struct curl_slist **headers) {
  weft__http_sb sb = {0};
  int rc;

  if (strpbrk(ua, "\r\n"))
    return weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in the User-Agent");
  if (weft__http_sb_str(&sb, "User-Agent: ") < 0 || weft__http_sb_str(&sb, ua) < 0) {
    weft_free(sb.s);
    return weft__http_fail(-ENOMEM, NULL);
  }
  rc = append(headers, sb.s);
  weft_free(sb.s);
  return rc;
}

/* The codings libcurl decodes, as CURLOPT_ACCEPT_ENCODING "" offers
 * them: "Accept-Encoding: deflate, gzip, br, zstd". 0 if none. */
static int accept_encoding(char *line, size_t cap) {
  const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
  int n = snprintf(line, cap, "Accept-Encoding: ");
  size_t start = (size_t)n;

  if (v->features & CURL_VERSION_LIBZ)
    n += snprintf(line + n, cap - (size_t)n, "deflate, gzip, ");
  if (v->features & CURL_VERSION_BROTLI)
    n += snprintf(line + n, cap - (size_t)n, "br, ");
  if (v->features & CURL_VERSION_ZSTD)
    n += snprintf(line + n, cap - (size_t)n, "zstd, ");
  if ((size_t)n == start)
    return 0;
  line[n - 2] = '\0';
  return 1;
}

int weft__http_default_headers(const weft_http_session_opts *so, struct curl_slist **out) {
  struct curl_slist *list = NULL;
  char ae[64];
  int rc = 0;

  if (!so->no_decompress && !has_header(so->headers, "Accept-Encoding") &&
      accept_encoding(ae, sizeof ae))
    rc = append(&list, ae);
  if (rc == 0 && !has_header(so->headers, "User-Agent"))
    rc = user_agent(so->user_agent ? so->user_agent : DEFAULT_UA, &list);
  if (rc < 0) {
    curl_slist_free_all(list);
    return rc;
  }
  *out = list;
  return 0;
}

int weft__http_add_default_headers(const struct curl_slist *defaults, const char *const *rh,
                                   struct curl_slist **headers) {
  for (; defaults; defaults = defaults->next)
    if (!has_header(rh, defaults->data)) {
      int rc = append(headers, defaults->data);

      if (rc < 0)
        return rc;
    }
  return 0;
}

/* ---- Basic authorization ------------------------------------------------- */

static void base64(const unsigned char *in, size_t n, char *out) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i;

  for (i = 0; i + 2 < n; i += 3) {
    *out++ = tab[in[i] >> 2];
    *out++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
    *out++ = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
    *out++ = tab[in[i + 2] & 63];
  }
  if (i < n) {
    *out++ = tab[in[i] >> 2];
    *out++ = tab[((in[i] & 3) << 4) | (i + 1 < n ? in[i + 1] >> 4 : 0)];
    *out++ = i + 1 < n ? tab[(in[i + 1] & 15) << 2] : '=';
    *out++ = '=';
  }
  *out = '\0';
}

static int basic_auth(const char *auth, struct curl_slist **headers) {
  static const char prefix[] = "Authorization: Basic ";
  size_t n = strlen(auth);
  char *line;
  int rc;

  if (strpbrk(auth, "\r\n"))
    return weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in the credentials");
  if (!strchr(auth, ':'))
    return weft__http_fail(-EINVAL, "auth must be 'user:password'");
  line = weft_malloc(sizeof prefix + 4 * (n / 3 + 1));
  if (!line)
    return weft__http_fail(-ENOMEM, NULL);
  memcpy(line, prefix, sizeof prefix - 1);
  base64((const unsigned char *)auth, n, line + sizeof prefix - 1);
  rc = append(headers, line);
  weft_free(line);
  return rc;
}

static int set_headers(const weft_http_session_opts *so, const weft_http_request_opts *ro,
                       int auth_allowed, struct curl_slist **headers) {
  const char *auth = ro->auth ? ro->auth : so->auth;
  int rc = merge_headers(so->headers, ro->headers, auth_allowed, headers);

  if (rc < 0 || !auth || !auth_allowed)
    return rc;
  if (has_header(so->headers, "Authorization") || has_header(ro->headers, "Authorization"))
    return weft__http_fail(-EINVAL, "cannot combine an Authorization header with auth");
  return basic_auth(auth, headers);
}

/* ---- method and URL -------------------------------------------------------- */

static int set_method(weft__http_opts *o, const char *method, const char *url) {
  int rc = weft__http_check_method(method);

  if (rc == 0 && strpbrk(url, "\r\n"))
    rc = weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in the URL");
  if (rc < 0)
    return rc;
  weft__http_opt_str(o, CURLOPT_URL, url, "URL");
  if (!strcmp(method, "HEAD"))
    weft__http_opt_long(o, CURLOPT_NOBODY, 1L, "HEAD");
  else if (!strcmp(method, "GET"))
    weft__http_opt_long(o, CURLOPT_HTTPGET, 1L, "GET");
  else if (strcmp(method, "POST"))
    weft__http_opt_str(o, CURLOPT_CUSTOMREQUEST, method, "method");
  return 0;
}

/* ---- TLS ------------------------------------------------------------------ */

static void set_tls(weft__http_opts *o, const weft_http_session_opts *so,
                    const weft_http_request_opts *ro) {
  long verify = !(so->insecure || ro->insecure);

  weft__http_opt_long(o, CURLOPT_SSL_VERIFYPEER, verify, "ssl");
  weft__http_opt_long(o, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L, "ssl");
  weft__http_opt_long(o, CURLOPT_PROXY_SSL_VERIFYPEER, verify, "ssl");
  weft__http_opt_long(o, CURLOPT_PROXY_SSL_VERIFYHOST, verify ? 2L : 0L, "ssl");
  if (so->ca_file) {
    weft__http_opt_str(o, CURLOPT_CAINFO, so->ca_file, "ca_file");
    weft__http_opt_str(o, CURLOPT_PROXY_CAINFO, so->ca_file, "ca_file");
  }
  if (so->ca_dir) {
    weft__http_opt_str(o, CURLOPT_CAPATH, so->ca_dir, "ca_dir");
    weft__http_opt_str(o, CURLOPT_PROXY_CAPATH, so->ca_dir, "ca_dir");
  }
  if (so->cert_file)
    weft__http_opt_str(o, CURLOPT_SSLCERT, so->cert_file, "cert_file");
  if (so->key_file)
    weft__http_opt_str(o, CURLOPT_SSLKEY, so->key_file, "key_file");
  /* A key without a password given gets "": OpenSSL would otherwise ask
   * for one on the terminal, and an encrypted key must fail instead. */
  if (so->key_password || so->key_file || so->cert_file)
    weft__http_opt_str(o, CURLOPT_KEYPASSWD, so->key_password ? so->key_password : "",
                       "key_password");
  weft__http_opt_long(o, CURLOPT_HTTP_VERSION,
                      so->http2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_1_1,
                      "HTTP version");
  /* Requests started together wait for the first connection to a host to
   * say whether it multiplexes, instead of each opening its own. */
  if (so->http2)
    weft__http_opt_long(o, CURLOPT_PIPEWAIT, 1L, "HTTP/2 multiplexing");
}

/* ---- proxies ---------------------------------------------------------------- */

/* The environment's proxy for the URL's scheme (lower-case names win, as
 * in Python's urllib), or NULL. */
static const char *env_proxy(const char *url, const char **no_proxy) {
  int https = strncasecmp(url, "https:", 6) == 0;
  const char *p = getenv(https ? "https_proxy" : "http_proxy");

  if (!p || !*p)
    p = getenv(https ? "HTTPS_PROXY" : "HTTP_PROXY");
  *no_proxy = getenv("no_proxy");
  if (!*no_proxy || !**no_proxy)
    *no_proxy = getenv("NO_PROXY");
  return p && *p ? p : NULL;
}

/* One NO_PROXY entry names host: the same name, or a domain of it
 * ("example.org" and ".example.org" both cover "www.example.org"). */
static int no_proxy_entry(const char *e, size_t n, const char *host) {
  size_t hn = strlen(host);

  if (n == 1 && *e == '*')
    return 1;
  if (n > 0 && *e == '.')
    e++, n--;
  if (n == 0 || n > hn || strncasecmp(host + hn - n, e, n) != 0)
    return 0;
  return hn == n || host[hn - n - 1] == '.';
}

/* NO_PROXY as curl reads it: entries separated by commas or spaces. */
static int no_proxy_match(const char *list, const char *host) {
  while (list && *list) {
    size_t n = strcspn(list, ", ");

    if (no_proxy_entry(list, n, host))
      return 1;
    list += n;
    list += strspn(list, ", ");
  }
  return 0;
}

int weft__http_uses_proxy(const weft_http_session_opts *so, const weft_http_request_opts *ro,
                          const char *url, const char *host) {
  const char *no_proxy = NULL;

  if ((ro && ro->proxy) || so->proxy)
    return 1;
  if (!so->trust_env || !env_proxy(url, &no_proxy))
    return 0;
  return !no_proxy_match(no_proxy, host);
}

static int check_proxy(const char *proxy) {
  static const char *const schemes[] = {"http://",    "https://",  "socks5://",
                                        "socks5h://", "socks4://", "socks4a://"};

  if (strpbrk(proxy, "\r\n"))
    return weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in the proxy URL");
  if (!strstr(proxy, "://"))
    return 0;
  for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
    if (!strncasecmp(proxy, schemes[i], strlen(schemes[i])))
      return 0;
  return weft__http_fail(WEFT_HTTP_ESCHEME, "unsupported proxy scheme in '%.256s'", proxy);
}

static int set_proxy(weft__http_opts *o, const weft_http_session_opts *so,
                     const weft_http_request_opts *ro, const char *url) {
  const char *proxy = ro->proxy ? ro->proxy : so->proxy;
  const char *auth = ro->proxy_auth ? ro->proxy_auth : so->proxy_auth;
  const char *no_proxy = NULL;
  int rc;

  if (!proxy && so->trust_env)
    proxy = env_proxy(url, &no_proxy);
  /* "" for no proxy and for no NO_PROXY list: curl never reads the
   * environment itself (trust_env is weft's to apply). */
  rc = proxy ? check_proxy(proxy) : 0;
  if (rc < 0)
    return rc;
  weft__http_opt_str(o, CURLOPT_PROXY, proxy ? proxy : "", "proxy");
  weft__http_opt_str(o, CURLOPT_NOPROXY, no_proxy ? no_proxy : "", "NO_PROXY");
  if (!proxy || !auth)
    return 0;
  if (strpbrk(auth, "\r\n"))
    return weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in the proxy credentials");
  weft__http_opt_str(o, CURLOPT_PROXYUSERPWD, auth, "proxy_auth");
  weft__http_opt_long(o, CURLOPT_PROXYAUTH, (long)CURLAUTH_BASIC, "proxy_auth");
  return 0;
}

/* ---- connection ------------------------------------------------------------- */

double weft__http_timeout_pick(double req, double sess) {
  double v = req != 0 ? req : sess;

  return v > 0 ? v : 0;
}

static void set_connection(weft__http_opts *o, const weft_http_session_opts *so,
                           const weft_http_request_opts *ro) {
  double c = weft__http_timeout_pick(ro->timeout.connect, so->timeout.connect);
  double sc = weft__http_timeout_pick(ro->timeout.sock_connect, so->timeout.sock_connect);
  double t = c > 0 && (sc == 0 || c < sc) ? c : sc;

  weft__http_opt_long(o, CURLOPT_NOSIGNAL, 1L, "NOSIGNAL");
  weft__http_opt_long(o, CURLOPT_TCP_NODELAY, 1L, "TCP_NODELAY");
  weft__http_opt_long(o, CURLOPT_DNS_CACHE_TIMEOUT, weft__http_dns_curl_timeout(so),
                      "ttl_dns_cache");
  if (t > 0)
    weft__http_opt_long(o, CURLOPT_CONNECTTIMEOUT_MS, t * 1000 < 1 ? 1L : (long)(t * 1000),
                        "connect timeout");
  if (so->force_close) {
    weft__http_opt_long(o, CURLOPT_FORBID_REUSE, 1L, "force_close");
    weft__http_opt_long(o, CURLOPT_FRESH_CONNECT, 1L, "force_close");
  }
  if (so->no_decompress) {
    weft__http_opt_str(o, CURLOPT_ACCEPT_ENCODING, NULL, "decompression");
    weft__http_opt_long(o, CURLOPT_HTTP_CONTENT_DECODING, 0L, "decompression");
  } else {
    weft__http_opt_str(o, CURLOPT_ACCEPT_ENCODING, "", "decompression");
  }
}

int weft__http_setup_easy(weft__http_opts *o, const weft_http_session_opts *so,
                          const weft_http_request_opts *ro, const char *method, const char *url,
                          int auth_allowed, struct curl_slist **headers) {
  static const weft_http_session_opts no_so;
  static const weft_http_request_opts no_ro;
  int rc;

  if (!o || !method || !url || !headers)
    return weft__http_fail(-EINVAL, "setup: missing argument");
  so = so ? so : &no_so;
  ro = ro ? ro : &no_ro;
  rc = set_method(o, method, url);
  if (rc == 0)
    rc = set_headers(so, ro, auth_allowed, headers);
  if (rc < 0)
    return rc;
  set_tls(o, so, ro);
  rc = set_proxy(o, so, ro, url);
  if (rc == 0)
    set_connection(o, so, ro);
  return rc;
}

/* ---- static resolve overrides ------------------------------------------------ */

/* "host:port:address[,address]" (curl's form; "+host..." and "-host..."
 * pass through too). */
static int check_resolve(const char *entry) {
  const char *p = entry;

  if (strpbrk(entry, "\r\n"))
    return weft__http_fail(WEFT_HTTP_EINJECT, "CR or LF in resolve entry");
  if (*p == '+' || *p == '-')
    p++;
  p = strchr(p, ':');
  if (!p || !isdigit((unsigned char)p[1]) || (entry[0] != '-' && !strchr(p + 1, ':')))
    return weft__http_fail(-EINVAL, "resolve entry '%.128s' is not 'host:port:address'", entry);
  return 0;
}

static int build_resolve(const char *const *entries, struct curl_slist **list) {
  for (const char *const *e = entries; *e; e++) {
    struct curl_slist *l = NULL;
    int rc = check_resolve(*e);
    if (rc == 0 && !(l = curl_slist_append(*list, *e)))
      rc = weft__http_fail(-ENOMEM, NULL);
    if (rc < 0) {
      curl_slist_free_all(*list);
      *list = NULL;
      return rc;
    }
    *list = l;
  }
  return 0;
}

int weft__http_setup_resolve(weft__http_opts *o, const weft_http_session_opts *so,
                             struct curl_slist **list) {
  int rc;

  if (!so || !so->resolve || !so->resolve[0])
    return 0;
  if (!*list && (rc = build_resolve(so->resolve, list)) < 0)
    return rc;
  weft__http_opt_ptr(o, CURLOPT_RESOLVE, *list, "resolve");
  return 0;
}
