/*
 * Response headers: an ordered, case-insensitive multi-map (aiohttp's
 * CIMultiDictProxy) that keeps the names' original case, filled line by
 * line from curl's HEADERFUNCTION; and Content-Type parsing.
 *
 * Entries are "name\0value\0" in one block of text. Lines are taken as
 * bytes of the length given (they need not be NUL-terminated, and a NUL
 * byte in one makes it malformed).
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/internal.h"
#include "http/request.h"

/* An entry: offsets of its name and value in the block. */
typedef struct header {
  size_t name, value;
} header;

/* Sized so the map stays below glibc's large-chunk size (1 KiB), whose
 * requests consolidate the fast bins first. */
#define INLINE_HEADERS 12
#define INLINE_BYTES 640

/*
 * The entries and their text ("name\0value\0" each, in order) live in
 * arrays inside the map until they outgrow them, so a typical response's
 * headers cost one allocation. A value is always the last text of the
 * block when its line is parsed, so an obs-fold continuation extends it
 * in place.
 */
struct weft_http_headers {
  header *v;
  size_t n, cap;
  char *text;
  size_t len, text_cap;
  header inline_v[INLINE_HEADERS];
  char inline_text[INLINE_BYTES];
};

weft_http_headers *weft__http_headers_new(void) {
  weft_http_headers *h = weft_malloc(sizeof *h);

  if (!h)
    return NULL;
  h->v = h->inline_v;
  h->n = 0;
  h->cap = INLINE_HEADERS;
  h->text = h->inline_text;
  h->len = 0;
  h->text_cap = INLINE_BYTES;
  return h;
}

void weft__http_headers_free(weft_http_headers *h) {
  if (!h)
    return;
  if (h->v != h->inline_v)
    weft_free(h->v);
  if (h->text != h->inline_text)
    weft_free(h->text);
  weft_free(h);
}

size_t weft_http_headers_count(const weft_http_headers *h) {
  return h ? h->n : 0;
}

static const char *name_of(const weft_http_headers *h, size_t i) {
  return h->text + h->v[i].name;
}

static const char *value_of(const weft_http_headers *h, size_t i) {
  return h->text + h->v[i].value;
}

int weft_http_headers_at(const weft_http_headers *h, size_t i, const char **name,
                         const char **value) {
  if (!h || i >= h->n)
    return -ERANGE;
  if (name)
    *name = name_of(h, i);
  if (value)
    *value = value_of(h, i);
  return 0;
}

const char *weft_http_headers_get(const weft_http_headers *h, const char *name) {
  for (size_t i = 0; h && name && i < h->n; i++)
    if (strcasecmp(name_of(h, i), name) == 0)
      return value_of(h, i);
  return NULL;
}

size_t weft_http_headers_get_all(const weft_http_headers *h, const char *name, const char **values,
                                 size_t cap) {
  size_t found = 0;

  for (size_t i = 0; h && name && i < h->n; i++) {
    if (strcasecmp(name_of(h, i), name) != 0)
      continue;
    if (found < cap && values)
      values[found] = value_of(h, i);
    found++;
  }
  return found;
}

/* Grow an array that may still be the inline one. */
static void *grow(void *p, const void *inline_p, size_t *cap, size_t used, size_t need,
                  size_t size) {
  size_t c = *cap;
  void *q;

  while (c < need)
    c *= 2;
  if (p != inline_p) {
    q = weft_realloc(p, c * size);
  } else {
    q = weft_malloc(c * size);
    if (q)
      memcpy(q, p, used * size);
  }
  if (q)
    *cap = c;
  return q;
}

/* Room for more bytes of text. */
static int text_room(weft_http_headers *h, size_t more) {
  char *t;

  if (more > SIZE_MAX / 4 - h->len)
    return -ENOMEM;
  if (h->len + more <= h->text_cap)
    return 0;
  t = grow(h->text, h->inline_text, &h->text_cap, h->len, h->len + more, 1);
  if (!t)
    return -ENOMEM;
  h->text = t;
  return 0;
}

/* A new entry from name and value bytes. */
static int push(weft_http_headers *h, const char *name, size_t nlen, const char *value,
                size_t vlen) {
  if (h->n == h->cap) {
    header *v = grow(h->v, h->inline_v, &h->cap, h->n, h->n + 1, sizeof *v);
    if (!v)
      return -ENOMEM;
    h->v = v;
  }
  if (text_room(h, nlen + vlen + 2) < 0)
    return -ENOMEM;
  h->v[h->n].name = h->len;
  memcpy(h->text + h->len, name, nlen);
  h->len += nlen;
  h->text[h->len++] = '\0';
  h->v[h->n].value = h->len;
  memcpy(h->text + h->len, value, vlen);
  h->len += vlen;
  h->text[h->len++] = '\0';
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

/* obs-fold: the continuation joins the last value with one space. The
 * last value ends the text, so it grows in place. */
static int fold(weft_http_headers *h, const char *cont, size_t clen) {
  size_t vlen;

  if (h->n == 0)
    return weft__http_fail(WEFT_HTTP_EPROTO, "header continuation line before any header");
  trim(&cont, &clen);
  if (text_room(h, clen + 1) < 0)
    return weft__http_fail(-ENOMEM, NULL);
  vlen = h->len - 1 - h->v[h->n - 1].value;
  h->len--; /* the value's NUL */
  if (vlen && clen)
    h->text[h->len++] = ' ';
  memcpy(h->text + h->len, cont, clen);
  h->len += clen;
  h->text[h->len++] = '\0';
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
