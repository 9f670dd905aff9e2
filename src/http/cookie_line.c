/*
 * The Cookie header of one request, merged as aiohttp merges its cookie
 * dictionaries: the jar's cookies first, then the session's initial
 * cookies whose names the jar does not hold (a server's later Set-Cookie
 * replaces an initial cookie, as in aiohttp's jar), then the request's,
 * which replace a cookie of the same name in place. A value the Cookie
 * grammar does not allow (a space, a quote, a comma...) is sent quoted as
 * Python's http.cookies quotes it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http/request.h"

typedef struct cookie_view {
  const char *name, *value;
  size_t nlen, vlen;
  int quote; /* value needs quoting (initial and request cookies only) */
} cookie_view;

typedef struct cookie_list {
  cookie_view *v;
  size_t n, cap;
} cookie_list;

/* RFC 6265 cookie-octet, minus what Python's http.cookies quotes anyway. */
static int legal_char(unsigned char c) {
  return c > 0x20 && c < 0x7f && !strchr("\",;\\ ()/<=>?@[]{}", c);
}

static int needs_quote(const char *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!legal_char((unsigned char)v[i]))
      return 1;
  return 0;
}

static cookie_view *find(cookie_list *l, const char *name, size_t nlen) {
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i].nlen == nlen && memcmp(l->v[i].name, name, nlen) == 0)
      return &l->v[i];
  return NULL;
}

/* replace: 1 replaces a cookie of the same name, 0 keeps the old one. */
static int put(cookie_list *l, cookie_view c, int replace) {
  cookie_view *old = find(l, c.name, c.nlen), *v;

  if (old) {
    if (replace)
      *old = c;
    return 0;
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 8;

    if (!(v = weft_realloc(l->v, cap * sizeof *v)))
      return -ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = c;
  return 0;
}

/* "a=1; b=2" (a jar's header value or the initial cookies). */
static int put_line(cookie_list *l, const char *line, int replace, int quote) {
  while (line && *line) {
    size_t n = strcspn(line, ";");
    const char *eq = memchr(line, '=', n);
    cookie_view c = {line, eq ? eq + 1 : "", eq ? (size_t)(eq - line) : n, 0, 0};

    c.vlen = eq ? n - c.nlen - 1 : 0;
    c.quote = quote && needs_quote(c.value, c.vlen);
    if (c.nlen && put(l, c, replace) < 0)
      return -ENOMEM;
    line += n;
    line += strspn(line, "; ");
  }
  return 0;
}

static int put_pairs(cookie_list *l, const weft_http_pair *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    cookie_view c = {p[i].name, p[i].value, strlen(p[i].name), strlen(p[i].value), 0};

    c.quote = needs_quote(c.value, c.vlen);
    if (put(l, c, 1) < 0)
      return -ENOMEM;
  }
  return 0;
}

/* Python's _quote: '"' and '\\' escaped, other characters outside
 * printable ASCII and ',' ';' as \ooo octal, the whole in quotes. */
static int add_quoted(weft__http_sb *sb, const char *v, size_t n) {
  char oct[5];
  int rc = weft__http_sb_str(sb, "\"");

  for (size_t i = 0; rc == 0 && i < n; i++) {
    unsigned char c = (unsigned char)v[i];

    if (c == '"' || c == '\\')
      rc = weft__http_sb_str(sb, c == '"' ? "\\\"" : "\\\\");
    else if (c < 0x20 || c >= 0x7f || c == ',' || c == ';')
      snprintf(oct, sizeof oct, "\\%03o", c), rc = weft__http_sb_str(sb, oct);
    else
      rc = weft__http_sb_add(sb, &v[i], 1);
  }
  return rc < 0 ? rc : weft__http_sb_str(sb, "\"");
}

static int render(const cookie_list *l, weft__http_sb *sb) {
  int rc = weft__http_sb_str(sb, "Cookie: ");

  for (size_t i = 0; rc == 0 && i < l->n; i++) {
    const cookie_view *c = &l->v[i];

    if ((i && weft__http_sb_str(sb, "; ") < 0) || weft__http_sb_add(sb, c->name, c->nlen) < 0 ||
        weft__http_sb_str(sb, "=") < 0)
      return -ENOMEM;
    rc = c->quote ? add_quoted(sb, c->value, c->vlen) : weft__http_sb_add(sb, c->value, c->vlen);
  }
  return rc < 0 ? -ENOMEM : 0;
}

int weft__http_cookie_line(const char *jar, const char *initial, const weft_http_pair *cookies,
                           size_t n_cookies, char **line) {
  cookie_list l = {0};
  weft__http_sb sb = {0};
  int rc;

  *line = NULL;
  rc = put_line(&l, jar, 1, 0);
  if (rc == 0)
    rc = put_line(&l, initial, 0, 1);
  if (rc == 0)
    rc = put_pairs(&l, cookies, n_cookies);
  if (rc == 0 && l.n)
    rc = render(&l, &sb);
  weft_free(l.v);
  if (rc < 0) {
    weft_free(sb.s);
    return -ENOMEM;
  }
  *line = sb.s;
  return 0;
}
