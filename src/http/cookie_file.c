/*
 * The jar in the Netscape cookies.txt format, as curl (-b/-c,
 * CURLOPT_COOKIEFILE/JAR) and wget read and write it. One cookie a line,
 * seven fields separated by tabs:
 *
 *   domain  include_subdomains  path  secure  expires  name  value
 *
 * domain has a leading '.' when include_subdomains is TRUE (a domain
 * cookie) and the prefix "#HttpOnly_" for an HttpOnly cookie; secure and
 * include_subdomains are TRUE or FALSE; expires is Unix time, 0 for a
 * session cookie. Other lines starting with '#' are comments; blank lines
 * are skipped; a line with six fields has an empty value (curl).
 *
 * load checks every line and changes nothing unless the whole file is
 * good. save writes a temporary file next to path and renames it over
 * path (0600: cookies are credentials). Shared cookies (no domain) and
 * expired ones are not saved; SameSite has no field and is not kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http/cookie_impl.h"
#include "http/request.h"

#define HTTPONLY_PREFIX "#HttpOnly_"
#define MAX_FIELDS 7

typedef struct cookie_list {
  weft_cookie *v;
  size_t n, cap;
} cookie_list;

typedef struct line_ctx {
  const char *path;
  size_t lineno;
  int strict;
  int64_t now;
} line_ctx;

static void list_free(cookie_list *l) {
  for (size_t i = 0; i < l->n; i++)
    weft__http_cookie_clear(&l->v[i]);
  weft_free(l->v);
}

static int list_push(cookie_list *l, weft_cookie *c) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    weft_cookie *v = weft_realloc(l->v, cap * sizeof *v);

    if (!v) {
      weft__http_cookie_clear(c);
      return weft__http_fail(-ENOMEM, NULL);
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = *c;
  return 0;
}

/* The whole file, NUL-terminated, in *out (weft_free). */
static int read_all(const char *path, char **out, size_t *len) {
  size_t cap = 65536, n = 0;
  char *buf = NULL, *tmp;
  int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
  ssize_t r;

  if (fd < 0)
    return weft__http_fail(-errno, "cookie jar: cannot open %s: %s", path, strerror(errno));
  for (;;) {
    if (!buf || cap - n < 2) {
      cap = buf ? cap * 2 : cap;
      if (!(tmp = weft_realloc(buf, cap))) {
        rc = weft__http_fail(-ENOMEM, NULL);
        break;
      }
      buf = tmp;
    }
    r = read(fd, buf + n, cap - n - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      rc = weft__http_fail(-errno, "cookie jar: cannot read %s: %s", path, strerror(errno));
    if (r <= 0)
      break;
    n += (size_t)r;
  }
  close(fd);
  if (rc) {
    weft_free(buf);
    return rc;
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return 0;
}

static int bad_line(const line_ctx *x, const char *why) {
  return weft__http_fail(-EINVAL, "cookie jar: %s line %zu: %s", x->path, x->lineno, why);
}

static int parse_bool(const char *s, int *out) {
  if (strcasecmp(s, "TRUE") == 0)
    *out = 1;
  else if (strcasecmp(s, "FALSE") == 0)
    *out = 0;
  else
    return -1;
  return 0;
}

static int parse_expires(const char *s, int64_t *out) {
  char *end;
  long long v;

  if (!s[0])
    return -1;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno || *end || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
    return -1;
  *out = v < 0 ? 1 : v > WEFT__COOKIE_MAX_TIME ? WEFT__COOKIE_MAX_TIME : v;
  return 0;
}

/* Split line at tabs into f; returns the number of fields (at most
 * MAX_FIELDS + 1, meaning too many). */
static int split(char *line, char **f) {
  int n = 0;

  for (;;) {
    f[n++] = line;
    line = strchr(line, '\t');
    if (!line || n == MAX_FIELDS + 1)
      return n;
    *line++ = '\0';
  }
}

static int has_bad_chars(const char *s) {
  for (; *s; s++)
    if (weft__cookie_bad_char((unsigned char)*s))
      return 1;
  return 0;
}

/* The domain field: leading '.' and IPv6 brackets dropped, lower-case. */
static char *domain_of(const char *d) {
  size_t n;
  char *out;

  if (d[0] == '.')
    d++;
  n = strlen(d);
  if (n >= 2 && d[0] == '[' && d[n - 1] == ']') {
    d++;
    n -= 2;
  }
  out = weft__cookie_strndup(d, n);
  for (char *p = out; p && *p; p++)
    *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
  return out;
}

static int check_fields(const line_ctx *x, char **f, int n, weft_cookie *c) {
  int sub;

  if (n < 6 || n > MAX_FIELDS)
    return bad_line(x, "expected 7 tab-separated fields");
  if (!f[0][0] || !strcmp(f[0], ".") || has_bad_chars(f[0]))
    return bad_line(x, "bad domain");
  if (parse_bool(f[1], &sub) || parse_bool(f[3], &c->secure))
    return bad_line(x, "include_subdomains and secure must be TRUE or FALSE");
  if (f[2][0] != '/' || has_bad_chars(f[2]))
    return bad_line(x, "path must start with '/'");
  if (parse_expires(f[4], &c->expires))
    return bad_line(x, "expires is not a number");
  if (!f[5][0] || has_bad_chars(f[5]) || (n == 7 && has_bad_chars(f[6])))
    return bad_line(x, "empty name or control character in the name or value");
  if (strlen(f[5]) + (n == 7 ? strlen(f[6]) : 0) > WEFT__COOKIE_MAX_PAIR)
    return bad_line(x, "cookie too large");
  c->host_only = !sub;
  return 0;
}

/* One cookie line into *c; *keep 0 for a cookie the jar would not take
 * (expired, or an IP address in a strict jar). */
static int parse_line(const line_ctx *x, char *line, weft_cookie *c, int *keep) {
  char *f[MAX_FIELDS + 1];
  int n, rc;

  memset(c, 0, sizeof *c);
  if (strncmp(line, HTTPONLY_PREFIX, strlen(HTTPONLY_PREFIX)) == 0) {
    c->http_only = 1;
    line += strlen(HTTPONLY_PREFIX);
  }
  n = split(line, f);
  rc = check_fields(x, f, n, c);
  if (rc)
    return rc;
  c->domain = domain_of(f[0]);
  c->path = weft_strdup(f[2]);
  c->name = weft_strdup(f[5]);
  c->value = weft_strdup(n == 7 ? f[6] : "");
  if (!c->domain || !c->path || !c->name || !c->value) {
    weft__http_cookie_clear(c);
    return weft__http_fail(-ENOMEM, NULL);
  }
  *keep = !weft__cookie_expired(c, x->now) && !(x->strict && weft__cookie_is_ip(c->domain));
  if (!*keep)
    weft__http_cookie_clear(c);
  return 0;
}

static int skip_line(const char *line) {
  if (strncmp(line, HTTPONLY_PREFIX, strlen(HTTPONLY_PREFIX)) == 0)
    return 0;
  return line[0] == '#' || line[strspn(line, " \t")] == '\0';
}

static int parse_all(line_ctx *x, char *data, cookie_list *l) {
  char *line = data, *next;
  weft_cookie c;
  int keep = 0, rc;

  for (x->lineno = 1; line && *line; x->lineno++, line = next) {
    size_t n = strcspn(line, "\n");

    next = line[n] ? line + n + 1 : NULL;
    line[n] = '\0';
    if (n && line[n - 1] == '\r')
      line[n - 1] = '\0';
    if (skip_line(line))
      continue;
    rc = parse_line(x, line, &c, &keep);
    if (rc == 0 && keep)
      rc = list_push(l, &c);
    if (rc)
      return rc;
  }
  return 0;
}

int weft_cookie_jar_load(weft_cookie_jar *jar, const char *path) {
  line_ctx x = {.path = path, .now = (int64_t)time(NULL)};
  cookie_list l = {0};
  char *data = NULL;
  size_t len = 0;
  int rc;

  if (!jar || !path)
    return weft__http_fail(-EINVAL, "cookie jar: no jar or no path");
  x.strict = weft__cookie_jar_refuses(jar, "127.0.0.1");
  rc = read_all(path, &data, &len);
  if (rc)
    return rc;
  if (memchr(data, '\0', len))
    rc = weft__http_fail(-EINVAL, "cookie jar: %s: NUL byte in the file", path);
  if (rc == 0)
    rc = parse_all(&x, data, &l);
  /* Room first, so that storing cannot fail half-way. */
  if (rc == 0)
    rc = weft__cookie_jar_reserve(jar, l.n);
  for (size_t i = 0; rc == 0 && i < l.n; i++)
    weft__cookie_jar_store(jar, &l.v[i], x.now);
  list_free(&l);
  weft_free(data);
  return rc;
}

/* ---- save ---------------------------------------------------------- */

typedef struct out_buf {
  char *p;
  size_t n, cap;
} out_buf;

static int out_add(out_buf *b, const char *s) {
  size_t n = strlen(s);

  if (b->cap - b->n <= n) {
    size_t cap = b->cap ? b->cap : 4096;
    char *p;

    while (cap - b->n <= n)
      cap *= 2;
    if (!(p = weft_realloc(b->p, cap)))
      return weft__http_fail(-ENOMEM, NULL);
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n + 1);
  b->n += n;
  return 0;
}

static int out_cookie(out_buf *b, const weft_cookie *c) {
  char num[32];
  int rc;

  snprintf(num, sizeof num, "\t%" PRId64 "\t", c->expires);
  rc = out_add(b, c->http_only ? HTTPONLY_PREFIX : "");
  rc = rc ? rc : out_add(b, c->host_only ? "" : ".");
  rc = rc ? rc : out_add(b, c->domain);
  rc = rc ? rc : out_add(b, c->host_only ? "\tFALSE\t" : "\tTRUE\t");
  rc = rc ? rc : out_add(b, c->path);
  rc = rc ? rc : out_add(b, c->secure ? "\tTRUE" : "\tFALSE");
  rc = rc ? rc : out_add(b, num);
  rc = rc ? rc : out_add(b, c->name);
  rc = rc ? rc : out_add(b, "\t");
  rc = rc ? rc : out_add(b, c->value);
  return rc ? rc : out_add(b, "\n");
}

static int format_jar(weft_cookie_jar *jar, out_buf *b) {
  size_t n = weft_cookie_jar_count(jar);
  int rc = out_add(b, "# Netscape HTTP Cookie File\n"
                      "# https://curl.se/docs/http-cookies.html\n"
                      "# This file was generated by weft. Edit at your own risk.\n\n");

  for (size_t i = 0; rc == 0 && i < n; i++) {
    const weft_cookie *c = weft_cookie_jar_at(jar, i);

    if (c->domain[0]) /* shared cookies have no domain to write */
      rc = out_cookie(b, c);
  }
  return rc;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);

    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -errno;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Write b to a temporary file next to path, then rename it over path. */
static int write_atomic(const char *path, const out_buf *b) {
  char *tmp = weft_malloc(strlen(path) + 8);
  int fd, rc;

  if (!tmp)
    return weft__http_fail(-ENOMEM, NULL);
  sprintf(tmp, "%s.XXXXXX", path);
  fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    rc = weft__http_fail(-errno, "cookie jar: cannot write %s: %s", path, strerror(errno));
    goto cleanup;
  }
  rc = write_all(fd, b->p, b->n);
  if (rc == 0 && fsync(fd) != 0)
    rc = -errno;
  if (close(fd) != 0 && rc == 0)
    rc = -errno;
  if (rc == 0 && rename(tmp, path) != 0)
    rc = -errno;
  if (rc) {
    unlink(tmp);
    weft__http_fail(rc, "cookie jar: cannot write %s: %s", path, strerror(-rc));
  }
cleanup:
  weft_free(tmp);
  return rc;
}

int weft_cookie_jar_save(weft_cookie_jar *jar, const char *path) {
  out_buf b = {0};
  int rc;

  if (!jar || !path)
    return weft__http_fail(-EINVAL, "cookie jar: no jar or no path");
  rc = format_jar(jar, &b);
  if (rc == 0)
    rc = write_atomic(path, &b);
  weft_free(b.p);
  return rc;
}
