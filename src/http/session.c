/*
 * Sessions: a copy of the options (the caller's may go away), the cookie
 * jar, the initial cookies as one Cookie header part, and the engine.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "http/engine.h"

static int own(weft_http_session *s, void *p) {
  void **v;

  if (!p)
    return -ENOMEM;
  v = weft_realloc(s->owned, (s->n_owned + 1) * sizeof *v);
  if (!v) {
    weft_free(p);
    return -ENOMEM;
  }
  s->owned = v;
  s->owned[s->n_owned++] = p;
  return 0;
}

static int copy_str(weft_http_session *s, const char **field) {
  char *c;

  if (!*field)
    return 0;
  c = weft_strdup(*field);
  if (own(s, c) < 0)
    return -ENOMEM;
  *field = c;
  return 0;
}

static int copy_strv(weft_http_session *s, const char *const **field) {
  const char *const *v = *field;
  const char **c;
  size_t n = 0;

  if (!v)
    return 0;
  while (v[n])
    n++;
  c = weft_calloc(n + 1, sizeof *c);
  if (own(s, c) < 0)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    c[i] = v[i];
    if (copy_str(s, &c[i]) < 0)
      return -ENOMEM;
  }
  *field = c;
  return 0;
}

static int copy_opts(weft_http_session *s) {
  weft_http_session_opts *o = &s->opts;
  const char **strs[] = {&o->base_url, &o->user_agent,   &o->ca_file, &o->ca_dir,     &o->cert_file,
                         &o->key_file, &o->key_password, &o->proxy,   &o->proxy_auth, &o->auth};

  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
    if (copy_str(s, strs[i]) < 0)
      return -ENOMEM;
  if (copy_strv(s, &o->headers) < 0 || copy_strv(s, &o->cookies) < 0 ||
      copy_strv(s, &o->resolve) < 0)
    return -ENOMEM;
  return 0;
}

static int bad_timeout(double t) {
  return isnan(t) || (t < 0 && t != WEFT_HTTP_UNLIMITED);
}

static int check_opts(const weft_http_session_opts *o) {
  const weft_http_timeout *t = &o->timeout;

  if (o->limit < WEFT_HTTP_UNLIMITED || o->limit_per_host < 0 || o->max_redirects < 0)
    return weft__http_fail(-EINVAL, "limit, limit_per_host or max_redirects is negative");
  if (bad_timeout(t->total) || bad_timeout(t->connect) || bad_timeout(t->sock_connect) ||
      bad_timeout(t->sock_read) || bad_timeout(o->ttl_dns_cache) || isnan(o->close_grace) ||
      o->close_grace < 0)
    return weft__http_fail(-EINVAL, "a timeout is negative or NaN");
  for (const char *const *h = o->headers; h && *h; h++)
    if (weft__http_check_header(*h) < 0)
      return weft__http_fail(weft__http_check_header(*h), "invalid session header: %s", *h);
  return 0;
}

/* The initial cookies, sent to every host: "a=1; b=2". */
static int initial_cookies(weft_http_session *s) {
  weft__http_sb sb = {0};

  for (const char *const *c = s->opts.cookies; c && *c; c++) {
    if (!strchr(*c, '=') || strpbrk(*c, "\r\n;"))
      return weft__http_fail(-EINVAL, "invalid initial cookie: %s", *c);
    if ((sb.len && weft__http_sb_str(&sb, "; ") < 0) || weft__http_sb_str(&sb, *c) < 0) {
      weft_free(sb.s);
      return weft__http_fail(-ENOMEM, NULL);
    }
  }
  s->cookie_header = sb.s;
  return 0;
}

static int session_init(weft_http_session *s) {
  int rc;

  if (copy_opts(s) < 0)
    return weft__http_fail(-ENOMEM, NULL);
  rc = initial_cookies(s);
  if (rc < 0)
    return rc;
  if (!s->jar) {
    rc = weft_cookie_jar_new(&s->jar, s->opts.cookie_jar_unsafe);
    if (rc < 0)
      return weft__http_fail(rc, NULL);
    s->own_jar = 1;
  }
  return weft__http_engine_init(s);
}

int weft_http_session_new(weft_http_session **out, const weft_http_session_opts *opts) {
  weft_loop *loop = weft_loop_current();
  weft_http_session *s;
  int rc;

  weft__http_clear_error();
  if (!out)
    return weft__http_fail(-EINVAL, "out is NULL");
  *out = NULL;
  if (!loop)
    return weft__http_fail(-EPERM, "no current loop");
  if (opts && (rc = check_opts(opts)) < 0)
    return rc;
  s = weft_calloc(1, sizeof *s);
  if (!s)
    return weft__http_fail(-ENOMEM, NULL);
  s->loop = loop;
  if (opts)
    s->opts = *opts;
  s->jar = s->opts.cookie_jar;
  weft__list_init(&s->xfers);
  rc = session_init(s);
  if (rc < 0)
    goto fail;
  *out = s;
  return 0;
fail:
  if (s->own_jar)
    weft_cookie_jar_free(s->jar);
  curl_slist_free_all(s->resolve_list);
  curl_slist_free_all(s->default_headers);
  s->freed = 1;
  weft__http_session_release(s);
  return rc;
}

weft_cookie_jar *weft_http_session_cookie_jar(weft_http_session *s) {
  return s ? s->jar : NULL;
}
