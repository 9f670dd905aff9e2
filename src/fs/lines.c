/*
 * Lines: readline, line iteration and readlines over the read buffer. A
 * line is gathered in f->line, so it may be longer than the buffer.
 */
#include <string.h>

#include "internal.h"

static int line_append(weft_file *f, size_t *len, const char *src, size_t n) {
  if (*len + n + 1 > f->line_cap) {
    size_t c = f->line_cap ? f->line_cap : 256;
    char *p;

    while (c < *len + n + 1)
      c *= 2;
    if (!(p = weft_realloc(f->line, c)))
      return -ENOMEM;
    f->line = p;
    f->line_cap = c;
  }
  memcpy(f->line + *len, src, n);
  *len += n;
  f->line[*len] = '\0';
  return 0;
}

/* Gather the next line into f->line; *len 0 at EOF. */
static int64_t gather(weft_file *f, size_t *len) {
  int64_t rc = 0;

  *len = 0;
  if ((rc = line_append(f, len, "", 0)) != 0)
    return rc;
  for (;;) {
    const char *p = f->rbuf + f->rpos;
    size_t avail = f->rlen - f->rpos;
    const char *nl = memchr(p, '\n', avail);
    size_t n = nl ? (size_t)(nl - p) + 1 : avail;

    if ((rc = line_append(f, len, p, n)) != 0)
      return rc;
    f->rpos += n;
    if (nl || (rc = weft__file_fill(f)) <= 0)
      return rc;
  }
}

static int read_line_locked(weft_file *f, const char **line, size_t *len) {
  int64_t rc = weft__file_read_begin(f, "readline");
  size_t n;

  if (rc)
    return (int)rc;
  if (!line || !len)
    return weft__fs_fail(-EINVAL, "readline", f->path);
  if ((rc = gather(f, &n)) < 0)
    return weft__file_read_abort(f, (int)rc, "readline");
  *line = f->line;
  *len = n;
  return 0;
}

int weft_file_read_line(weft_file *f, const char **line, size_t *len) {
  int rc = weft__file_enter(f, "readline");

  if (rc)
    return rc;
  rc = read_line_locked(f, line, len);
  weft__file_leave(f);
  return rc;
}

int weft_file_next_line(weft_file *f, const char **line, size_t *len) {
  int rc = weft_file_read_line(f, line, len);

  return rc == 0 && *len == 0 ? WEFT_DONE : rc;
}

void weft_fs_strings_free(char **strings, size_t n) {
  if (!strings)
    return;
  for (size_t i = 0; i < n; i++)
    weft_free(strings[i]);
  weft_free(strings);
}

static int push_copy(char ***v, size_t *n, size_t *cap, const char *s, size_t len) {
  char *copy = weft_malloc(len + 1);

  if (!copy)
    return -ENOMEM;
  memcpy(copy, s, len + 1);
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 16;
    char **p = weft_realloc(*v, c * sizeof *p);

    if (!p) {
      weft_free(copy);
      return -ENOMEM;
    }
    *v = p;
    *cap = c;
  }
  (*v)[(*n)++] = copy;
  return 0;
}

static int read_lines_locked(weft_file *f, char ***lines, size_t *n) {
  char **v = NULL;
  size_t count = 0, cap = 0, len;
  int64_t rc = weft__file_read_begin(f, "readlines");

  if (rc)
    return (int)rc;
  if (!lines || !n)
    return weft__fs_fail(-EINVAL, "readlines", f->path);
  while ((rc = gather(f, &len)) == 0 && len > 0)
    if ((rc = push_copy(&v, &count, &cap, f->line, len)) != 0)
      break;
  if (rc != 0) {
    weft_fs_strings_free(v, count);
    return weft__file_read_abort(f, (int)rc, "readlines");
  }
  *lines = v;
  *n = count;
  return 0;
}

int weft_file_read_lines(weft_file *f, char ***lines, size_t *n) {
  int rc = weft__file_enter(f, "readlines");

  if (rc)
    return rc;
  rc = read_lines_locked(f, lines, n);
  weft__file_leave(f);
  return rc;
}
