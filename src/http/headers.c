/*
 * Response headers: an ordered, case-insensitive multi-map (aiohttp's
 * CIMultiDictProxy) that keeps the names' original case, filled line by
 * line from curl's HEADERFUNCTION; and Content-Type parsing.
 *
 * Each entry is one allocation "name\0value\0". Lines are taken as bytes
 * of the length given (they need not be NUL-terminated, and a NUL byte in
 * one makes it malformed).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/internal.h"
#include "http/request.h"

typedef struct header {
  char *name; /* the block; value follows name's NUL */
  char *value;
} header;

struct weft_http_headers {
  header *v;
  size_t n, cap;
};

weft_http_headers *weft__http_headers_new(void) {
  return weft_calloc(1, sizeof(weft_http_headers));
}

void weft__http_headers_free(weft_http_headers *h) {
  if (!h)
    return;
  for (size_t i = 0; i < h->n; i++)
    weft_free(h->v[i].name);
  weft_free(h->v);
  weft_free(h);
}

size_t weft_http_headers_count(const weft_http_headers *h) {
  return h ? h->n : 0;
}

int weft_http_headers_at(const weft_http_headers *h, size_t i, const char **name,
                         const char **value) {
  if (!h || i >= h->n)
    return -ERANGE;
  if (name)
    *name = h->v[i].name;
  if (value)
    *value = h->v[i].value;
  return 0;
}

const char *weft_http_headers_get(const weft_http_headers *h, const char *name) {
  for (size_t i = 0; h && name && i < h->n; i++)
    if (strcasecmp(h->v[i].name, name) == 0)
      return h->v[i].value;
  return NULL;
}

size_t weft_http_headers_get_all(const weft_http_headers *h, const char *name, const char **values,
                                 size_t cap) {
  size_t found = 0;

  for (size_t i = 0; h && name && i < h->n; i++) {
    if (strcasecmp(h->v[i].name, name) != 0)
      continue;
    if (found < cap && values)
      values[found] = h->v[i].value;
    found++;
  }
  return found;
}

/* A new entry from name and value bytes. */
static int push(weft_http_headers *h, const char *name, size_t nlen, const char *value,
                size_t vlen) {
  char *block;

  if (h->n == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 16;
    header *v = weft_realloc(h->v, cap * sizeof *v);
    if (!v)
      return -ENOMEM;
    h->v = v;
    h->cap = cap;
  }
  block = weft_malloc(nlen + vlen + 2);
  if (!block)
    return -ENOMEM;
  memcpy(block, name, nlen);
  block[nlen] = '\0';
  memcpy(block + nlen + 1, value, vlen);
  block[nlen + 1 + vlen] = '\0';
  h->v[h->n].name = block;
  h->v[h->n].value = block + nlen + 1;
  h->n++;
  return 0;
}

int weft__http_headers_add(weft_http_headers *h, const char *name, const char *value) {
  if (!h || !name || !value)
    return -EINVAL;
  return push(h, name, strlen(name), value, strlen(value));
}

static int is_ows(char c) {
  return c == ' ' || c == '\t';
}

static int is_tchar(unsigned char c) {
  return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Trim OWS from both ends of [*p, *p + *len). */
static void trim(const char **p, size_t *len) {
  while (*len && is_ows(**p)) {
    (*p)++;
    (*len)--;
  }
  while (*len && is_ows((*p)[*len - 1]))
    (*len)--;
}

/* obs-fold: the continuation joins the last value with one space. */
static int fold(weft_http_headers *h, const char *cont, size_t clen) {
  header *last;
  size_t nlen, vlen;
  char *block;

  if (h->n == 0)
    return weft__http_fail(WEFT_HTTP_EPROTO, "header continuation line before any header");
  trim(&cont, &clen);
  last = &h->v[h->n - 1];
  nlen = strlen(last->name);
  vlen = strlen(last->value);
  block = weft_malloc(nlen + vlen + clen + 3);
  if (!block)
    return weft__http_fail(-ENOMEM, NULL);
  memcpy(block, last->name, nlen + 1 + vlen);
  if (vlen && clen)
    block[nlen + 1 + vlen++] = ' ';
  memcpy(block + nlen + 1 + vlen, cont, clen);
  block[nlen + 1 + vlen + clen] = '\0';
  weft_free(last->name);
  last->name = block;
  last->value = block + nlen + 1;
  return 0;
}

int weft__http_headers_add_line(weft_http_headers *h, const char *line, size_t len) {
  const char *colon;
  size_t nlen, vlen;
  const char *value;

  while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    len--;
  if (len == 0 || (len >= 5 && memcmp(line, "HTTP/", 5) == 0))
    return 1;
  if (memchr(line, '\0', len) || memchr(line, '\r', len) || memchr(line, '\n', len))
    return weft__http_fail(WEFT_HTTP_EPROTO, "NUL, CR or LF inside a header line");
  if (is_ows(line[0]))
    return fold(h, line, len);
  colon = memchr(line, ':', len);
  if (!colon)
    return weft__http_fail(WEFT_HTTP_EPROTO, "header line without a colon: '%.*s'",
                           (int)(len < 64 ? len : 64), line);
  nlen = (size_t)(colon - line);
  for (size_t i = 0; i < nlen; i++)
    if (!is_tchar((unsigned char)line[i]))
      nlen = 0;
  if (nlen == 0)
    return weft__http_fail(WEFT_HTTP_EPROTO, "invalid header name in '%.*s'",
                           (int)(len < 64 ? len : 64), line);
  value = colon + 1;
  vlen = len - nlen - 1;
  trim(&value, &vlen);
  return push(h, line, nlen, value, vlen) < 0 ? weft__http_fail(-ENOMEM, NULL) : 0;
}

/* ---- Content-Type ----------------------------------------------------- */

static char *dup_lower(const char *p, size_t n) {
  char *s = weft_malloc(n + 1);

  if (!s)
    return NULL;
  for (size_t i = 0; i < n; i++)
    s[i] = (char)tolower((unsigned char)p[i]);
  s[n] = '\0';
  return s;
}

/* A parameter value: a token or a quoted string (backslash escapes). */
static char *param_value(const char *p) {
  size_t n = 0;
  char *s;

  while (is_ows(*p))
    p++;
  if (*p != '"') {
    n = strcspn(p, ";");
    trim(&p, &n);
    s = weft_malloc(n + 1);
    if (s) {
      memcpy(s, p, n);
      s[n] = '\0';
    }
    return s;
  }
  s = weft_malloc(strlen(p));
  if (!s)
    return NULL;
  for (p++; *p && *p != '"'; p++) {
    if (*p == '\\' && p[1])
      p++;
    s[n++] = *p;
  }
  s[n] = '\0';
  return s;
}

/* The ';' that ends the parameter at p (or the NUL): one inside a quoted
 * string does not, as in Python's email package. */
static const char *param_end(const char *p) {
  int quoted = 0;

  for (; *p && (quoted || *p != ';'); p++) {
    if (quoted && *p == '\\' && p[1])
      p++;
    else if (*p == '"')
      quoted = !quoted;
  }
  return p;
}

/* The charset parameter among "; a=b; charset=x" (NULL when absent). */
static const char *find_charset(const char *params) {
  for (const char *p = params; *p == ';'; p = param_end(p + 1)) {
    const char *q = p + 1;
    while (is_ows(*q))
      q++;
    if (strncasecmp(q, "charset", 7) != 0)
      continue;
    q += 7;
    while (is_ows(*q))
      q++;
    if (*q == '=')
      return q + 1;
  }
  return NULL;
}

/* The media type as Python's email package gives it: lower-cased, and
 * "text/plain" when it is not type/subtype. */
static char *media_of(const char *value, size_t n) {
  const char *slash;

  trim(&value, &n);
  slash = memchr(value, '/', n);
  if (!slash || slash == value || slash == value + n - 1)
    return weft_strdup("text/plain");
  for (size_t i = 0; i < n; i++)
    if (is_ows(value[i]))
      return weft_strdup("text/plain");
  return dup_lower(value, n);
}

int weft__http_parse_content_type(const char *value, char **media, char **charset) {
  const char *cs;
  size_t n;

  if (media)
    *media = NULL;
  if (charset)
    *charset = NULL;
  if (!value)
    return 0;
  n = strcspn(value, ";");
  cs = find_charset(value + n);
  if (media && !(*media = media_of(value, n)))
    goto nomem;
  if (charset && cs && !(*charset = param_value(cs)))
    goto nomem;
  if (charset && *charset && !**charset) {
    weft_free(*charset);
    *charset = NULL;
  }
  return 0;
nomem:
  if (media) {
    weft_free(*media);
    *media = NULL;
  }
  return weft__http_fail(-ENOMEM, NULL);
}
