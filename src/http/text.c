/*
 * Body text: bytes in a character set to UTF-8. UTF-8 itself is checked
 * here (strictly: no overlongs, surrogates or code points past U+10FFFF);
 * other character sets go through iconv. A byte order mark is kept as
 * U+FEFF, as Python's 'utf-8' codec does; "utf-16" without a BOM is read
 * as iconv reads it (big-endian).
 *
 * Undecodable bytes fail with WEFT_HTTP_EDECODE and their offset, or with
 * WEFT_HTTP_TEXT_REPLACE become one U+FFFD per maximal invalid
 * subsequence (Python's "replace" error handler).
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "core/internal.h"
#include "http/request.h"

#define CHARSET_MAX 64
static const char replacement[] = "\xef\xbf\xbd";

/* The length of the valid UTF-8 sequence at p (n bytes left), or 0 with
 * *bad the length of its maximal invalid prefix (at least 1). */
static size_t utf8_seq(const unsigned char *p, size_t n, size_t *bad) {
  unsigned char lo = 0x80, hi = 0xbf;
  size_t need, i;

  if (p[0] < 0x80)
    return 1;
  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    need = 2;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    need = 3;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    need = 4;
  else
    return *bad = 1, 0;
  if (p[0] == 0xe0)
    lo = 0xa0;
  else if (p[0] == 0xed)
    hi = 0x9f;
  else if (p[0] == 0xf0)
    lo = 0x90;
  else if (p[0] == 0xf4)
    hi = 0x8f;
  for (i = 1; i < need; i++) {
    if (i >= n || p[i] < lo || p[i] > hi)
      return *bad = i, 0;
    lo = 0x80;
    hi = 0xbf;
  }
  return need;
}

static int decode_fail(const char *charset, const unsigned char *data, size_t off) {
  return weft__http_fail(WEFT_HTTP_EDECODE, "cannot decode byte 0x%02x at offset %zu as %s",
                         data[off], off, charset);
}

static int decode_utf8(int flags, const unsigned char *data, size_t len, weft__http_sb *sb) {
  size_t i = 0, run = 0, bad = 0, n;

  while (i < len) {
    n = utf8_seq(data + i, len - i, &bad);
    if (n) {
      i += n;
      continue;
    }
    if (!(flags & WEFT_HTTP_TEXT_REPLACE))
      return decode_fail("utf-8", data, i);
    if (weft__http_sb_add(sb, data + run, i - run) < 0 || weft__http_sb_add(sb, replacement, 3) < 0)
      return -ENOMEM;
    i += bad;
    run = i;
  }
  return weft__http_sb_add(sb, data + run, len - run);
}

static int is_utf8(const char *cs) {
  return !strcasecmp(cs, "utf-8") || !strcasecmp(cs, "utf8") || !strcasecmp(cs, "utf_8");
}

/* A charset name as registries spell them. iconv would also take ""
 * (the locale's charset) and suffixes such as "//IGNORE": not names. */
static int is_name(const char *cs, size_t n) {
  if (n == 0 || n > CHARSET_MAX)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)cs[i]) && !strchr("-_.:+()", cs[i]))
      return 0;
  return 1;
}

/* Python's spellings glibc does not know ("latin-1", "windows_1251"). */
static iconv_t open_charset(const char *charset) {
  char name[CHARSET_MAX + 1];
  size_t n = strlen(charset);
  iconv_t cd;

  if (!is_name(charset, n)) {
    errno = EINVAL;
    return (iconv_t)-1;
  }
  cd = iconv_open("UTF-8", charset);
  if (cd != (iconv_t)-1)
    return cd;
  for (size_t i = 0; i <= n; i++)
    name[i] = charset[i] == '_' ? '-' : charset[i];
  if (!strcasecmp(name, "latin-1") || !strcasecmp(name, "l1"))
    strcpy(name, "LATIN1");
  return iconv_open("UTF-8", name);
}

/* One iconv step; grows the output as needed. Returns 0 (all input
 * taken), 1 (an undecodable sequence at *in), -ENOMEM. */
static int convert_step(iconv_t cd, char **in, size_t *left, weft__http_sb *sb) {
  for (;;) {
    size_t room, before, r;
    char *out;
    if (weft__http_sb_reserve(sb, *left + 16) < 0)
      return -ENOMEM;
    out = sb->s + sb->len;
    room = before = sb->cap - sb->len - 1;
    r = iconv(cd, in, left, &out, &room);
    sb->len += before - room;
    sb->s[sb->len] = '\0';
    if (r != (size_t)-1)
      return 0;
    if (errno != E2BIG)
      return 1;
    if (weft__http_sb_reserve(sb, sb->cap) < 0)
      return -ENOMEM;
  }
}

static int decode_iconv(iconv_t cd, const char *charset, int flags, const unsigned char *data,
                        size_t len, weft__http_sb *sb) {
  char *in = (char *)data;
  size_t left = len;
  int rc;

  if (weft__http_sb_add(sb, "", 0) < 0)
    return -ENOMEM;
  while ((rc = convert_step(cd, &in, &left, sb)) == 1) {
    size_t off = len - left;
    if (!(flags & WEFT_HTTP_TEXT_REPLACE))
      return decode_fail(charset, data, off);
    if (weft__http_sb_add(sb, replacement, 3) < 0)
      return -ENOMEM;
    in++;
    left--;
    iconv(cd, NULL, NULL, NULL, NULL);
  }
  return rc;
}

int weft__http_decode_text(const char *charset, int flags, const void *data, size_t len, char **out,
                           size_t *outlen) {
  weft__http_sb sb = {0};
  iconv_t cd = (iconv_t)-1;
  int rc;

  *out = NULL;
  if (outlen)
    *outlen = 0;
  if (charset && !is_utf8(charset)) {
    cd = open_charset(charset);
    if (cd == (iconv_t)-1)
      return errno == ENOMEM
                 ? weft__http_fail(-ENOMEM, NULL)
                 : weft__http_fail(WEFT_HTTP_ECHARSET, "unknown encoding '%.64s'", charset);
    rc = decode_iconv(cd, charset, flags, data, len, &sb);
    iconv_close(cd);
  } else {
    rc = decode_utf8(flags, data, len, &sb);
  }
  if (rc == 0)
    rc = weft__http_sb_add(&sb, "", 0);
  if (rc < 0) {
    weft_free(sb.s);
    return rc == -ENOMEM ? weft__http_fail(-ENOMEM, NULL) : rc;
  }
  *out = sb.s;
  if (outlen)
    *outlen = sb.len;
  return 0;
}
