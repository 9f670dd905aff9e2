/*
 * One hop of a request: the easy handle's options (request side's setup,
 * the body, the Cookie header from the jar, the session's and the
 * request's cookies, names resolved through the session's weft resolver),
 * and the cookies of the response received.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "http/engine.h"
#include "weft/dns.h"

/* "Cookie: a=1; b=2" from the jar, the session's initial cookies and the
 * request's; *line NULL when there are none. */
static int cookie_line(weft__http_req *q, char **line) {
  const weft_http_request_opts *ro = q->ro;
  char *jar = NULL;
  int rc;

  *line = NULL;
  if (q->s->jar && weft_cookie_jar_count(q->s->jar) &&
      (rc = weft_cookie_jar_header(q->s->jar, q->url, &jar)) < 0)
    return weft__http_fail(rc, NULL);
  rc = weft__http_cookie_line(jar, q->s->cookie_header, ro ? ro->cookies : NULL,
                              ro ? ro->n_cookies : 0, line);
  weft_free(jar);
  return rc < 0 ? weft__http_fail(rc, NULL) : 0;
}

static int add_cookies(weft__http_req *q, struct curl_slist **headers) {
  struct curl_slist *l;
  char *line;
  int rc = cookie_line(q, &line);

  if (rc < 0 || !line)
    return rc;
  if (weft__http_check_header(line) < 0) {
    weft_free(line);
    return weft__http_fail(WEFT_HTTP_EINJECT, "CR, LF or NUL in a cookie");
  }
  l = curl_slist_append(*headers, line);
  weft_free(line);
  if (!l)
    return weft__http_fail(-ENOMEM, NULL);
  *headers = l;
  return 0;
}

static int addr_list(weft__http_sb *sb, const struct addrinfo *res) {
  char text[INET6_ADDRSTRLEN];
  int n = 0;

  for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    const void *a = ai->ai_family == AF_INET6
                        ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                        : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;

    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
      continue;
    inet_ntop(ai->ai_family, a, text, sizeof text);
    if ((n++ && weft__http_sb_str(sb, ",") < 0) ||
        weft__http_sb_str(sb, ai->ai_family == AF_INET6 ? "[" : "") < 0 ||
        weft__http_sb_str(sb, text) < 0 ||
        weft__http_sb_str(sb, ai->ai_family == AF_INET6 ? "]" : "") < 0)
      return -ENOMEM;
  }
  return n;
}

/* Look host up within the request's total timeout and its connect
 * timeout (aiohttp's connect covers name resolution, sock_connect does
 * not). Returns 0 with *res, or a code with the message set. */
static int lookup(weft__http_req *q, const char *host, struct addrinfo **res) {
  double connect =
      weft__http_timeout_pick(q->ro ? q->ro->timeout.connect : 0, q->s->opts.timeout.connect);
  double until = q->deadline > 0 ? q->deadline : INFINITY, now = weft_time();
  int by_connect = connect > 0 && now + connect < until;
  struct addrinfo hints = {0};
  weft_scope scope;
  int rc, expired;

  hints.ai_socktype = SOCK_STREAM;
  if (by_connect)
    until = now + connect;
  rc = weft_timeout_enter_at(&scope, until);
  if (rc < 0)
    return weft__http_fail(rc, NULL);
  rc = weft_resolver_getaddrinfo(q->s->opts.resolver, host, NULL, &hints, res);
  expired = weft_timeout_leave(&scope) == -ETIMEDOUT && rc == -ETIMEDOUT;
  if (expired && by_connect)
    return weft__http_fail(WEFT_HTTP_ECONNECT_TIMEOUT, "resolving %s: connect timeout of %g s",
                           host, connect);
  if (expired)
    return weft__http_fail(-ETIMEDOUT, "resolving %s: the request's total timeout", host);
  if (rc == -ECANCELED || rc == -ETIMEDOUT || rc == -ENOMEM)
    return weft__http_fail(rc, "resolving %s: %s", host, weft_strerror(rc));
  if (rc < 0 || !*res)
    return weft__http_fail(WEFT_HTTP_EDNS, "could not resolve host: %s (%s)", host,
                           weft_strerror(rc));
  return 0;
}

/* Hand curl the addresses of the hop's host (CURLOPT_RESOLVE). */
static int resolve_line(weft__http_req *q, const char *line) {
  q->x->resolve = curl_slist_append(NULL, line);
  return q->x->resolve ? 0 : weft__http_fail(-ENOMEM, NULL);
}

/* The hop's host from the session's DNS cache, else looked up and kept. */
static int resolve_entry(weft__http_req *q, const char *host, int port) {
  struct addrinfo *res = NULL;
  weft__http_sb sb = {0};
  const char *cached;
  char key[300];
  int rc;

  snprintf(key, sizeof key, "%s:%d", host, port);
  cached = weft__http_dns_get(q->s, key);
  if (cached)
    return resolve_line(q, cached);
  rc = lookup(q, host, &res);
  if (rc < 0)
    return rc;
  rc = weft__http_sb_str(&sb, key) < 0 || weft__http_sb_str(&sb, ":") < 0 ? -ENOMEM
                                                                          : addr_list(&sb, res);
  weft_freeaddrinfo(res);
  if (rc == 0)
    rc = weft__http_fail(WEFT_HTTP_EDNS, "no address for host: %s", host);
  if (rc > 0) {
    weft__http_dns_put(q->s, key, sb.s);
    rc = resolve_line(q, sb.s);
  }
  weft_free(sb.s);
  return rc == -ENOMEM ? weft__http_fail(-ENOMEM, NULL) : rc;
}

static int is_numeric(const char *host) {
  unsigned char a[16];

  return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/* Resolve the hop's host with the session's resolver: CURLOPT_RESOLVE. */
static int resolve_host(weft__http_req *q, weft__http_opts *co) {
  char host[256];
  int port, https, rc;

  rc = weft__http_url_host(q->url, host, sizeof host, &port, &https);
  if (rc < 0 || is_numeric(host))
    return rc;
  if (weft__http_uses_proxy(&q->s->opts, q->ro, q->url, host))
    return 0; /* the proxy resolves the origin */
  for (const char *const *r = q->s->opts.resolve; r && *r; r++) {
    size_t n = strlen(host);

    if (strncasecmp(*r, host, n) == 0 && (*r)[n] == ':')
      return 0; /* a static override wins */
  }
  rc = resolve_entry(q, host, port);
  if (rc == 0)
    weft__http_opt_ptr(co, CURLOPT_RESOLVE, q->x->resolve, "resolve");
  return rc;
}

static int hop_body(weft__http_req *q, weft__http_opts *co, struct curl_slist **headers) {
  weft__http_xfer *x = q->x;
  int rc;

  if (x->body_set) {
    if (q->keep_body && (rc = weft__http_body_rewind(&x->body)) < 0)
      return rc;
    weft__http_body_free(&x->body);
    x->body_set = 0;
  }
  if (!q->keep_body)
    memset(&q->hop_ro, 0, sizeof q->hop_ro);
  rc = weft__http_body_prepare(&x->body, x->easy, co, q->methodp, &q->hop_ro, headers);
  if (rc == 0)
    x->body_set = 1;
  return rc;
}

/* The hop's options, but for the header list. */
static int hop_options(weft__http_req *q, weft__http_opts *co, struct curl_slist **headers) {
  int rc =
      weft__http_setup_easy(co, &q->s->opts, q->ro, q->methodp, q->url, q->auth_allowed, headers);

  if (rc == 0)
    rc = hop_body(q, co, headers);
  if (rc == 0)
    rc = add_cookies(q, headers);
  if (rc == 0)
    rc = weft__http_setup_resolve(co, &q->s->opts, &q->s->resolve_list);
  if (rc == 0 && q->s->opts.resolver)
    rc = resolve_host(q, co);
  return rc;
}

/* The session's default header lines (Accept-Encoding, User-Agent) go
 * after the hop's own. A hop with no header of its own (the common GET)
 * leaves *headers NULL and is given the session's list itself. */
static int hop_default_headers(weft__http_req *q, struct curl_slist **headers) {
  weft_http_session *s = q->s;
  int rc;

  if (!s->default_headers_built) {
    rc = weft__http_default_headers(&s->opts, &s->default_headers);
    if (rc < 0)
      return rc;
    s->default_headers_built = 1;
  }
  if (!*headers)
    return 0;
  return weft__http_add_default_headers(s->default_headers, q->ro ? q->ro->headers : NULL, headers);
}

/* Set up the transfer of the next hop (options only; not started). */
int weft__http_hop_setup(weft__http_req *q) {
  weft__http_xfer *x = q->x;
  struct curl_slist *headers = NULL;
  weft__http_opts co;
  int rc;

  weft__http_xfer_reset(x);
  weft__http_opts_init(&co);
  rc = hop_options(q, &co, &headers);
  if (rc == 0)
    rc = hop_default_headers(q, &headers);
  curl_slist_free_all(x->headers_list);
  x->headers_list = headers;
  if (rc < 0)
    return rc;
  weft__http_opt_ptr(&co, CURLOPT_HTTPHEADER, headers ? headers : q->s->default_headers, "headers");
  weft__http_xfer_callbacks(x, &co);
  return weft__http_xfer_setopts(x, &co);
}

static int cookie_keep(weft__http_req *q, const char *value) {
  weft_cookie c, *v;
  int rc = weft__http_cookie_parse(value, q->url, &c);

  if (rc == -EINVAL)
    return 0;
  if (rc < 0)
    return weft__http_fail(rc, NULL);
  v = weft_realloc(q->cookies, (q->n_cookies + 1) * sizeof *v);
  if (!v) {
    weft__http_cookie_clear(&c);
    return weft__http_fail(-ENOMEM, NULL);
  }
  q->cookies = v;
  v[q->n_cookies++] = c;
  return 0;
}

int weft__http_req_cookies(weft__http_req *q) {
  const weft_http_headers *h = q->x->headers;
  size_t n = weft_http_headers_count(h);

  for (size_t i = 0; i < n; i++) {
    const char *name, *value;
    int rc;

    weft_http_headers_at(h, i, &name, &value);
    if (strcasecmp(name, "Set-Cookie") != 0)
      continue;
    if (q->s->jar && (rc = weft_cookie_jar_update(q->s->jar, value, q->url)) == -ENOMEM)
      return weft__http_fail(rc, NULL);
    if ((rc = cookie_keep(q, value)) < 0)
      return rc;
  }
  return 0;
}
