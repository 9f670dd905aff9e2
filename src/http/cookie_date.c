/* RFC 6265 5.1.1: the cookie-date algorithm (aiohttp's _parse_date), which
 * reads RFC 1123 ("Wed, 09 Jun 2021 10:18:14 GMT"), RFC 850
 * ("Wednesday, 09-Jun-21 10:18:14 GMT"), asctime ("Wed Jun  9 10:18:14
 * 2021") and the many variants servers send. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "http/cookie_impl.h"

typedef struct date_parts {
  int hour, minute, second, day, month, year;
  int found_time, found_day, found_month, found_year;
} date_parts;

static int is_delim(unsigned char c) {
  return c == 0x09 || (c >= 0x20 && c <= 0x2f) || (c >= 0x3b && c <= 0x40) ||
         (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

/* min..max digits at t[*i], followed by the end or a non-digit. */
static int digits(const char *t, size_t n, size_t *i, int min, int max, int *out) {
  int k = 0, v = 0;

  while (*i < n && k < max && isdigit((unsigned char)t[*i])) {
    v = v * 10 + (t[*i] - '0');
    (*i)++;
    k++;
  }
  if (k < min || (*i < n && isdigit((unsigned char)t[*i])))
    return 0;
  *out = v;
  return 1;
}

static int parse_time(const char *t, size_t n, date_parts *d) {
  size_t i = 0;
  int h, m, s;

  if (!digits(t, n, &i, 1, 2, &h) || i >= n || t[i++] != ':')
    return 0;
  if (!digits(t, n, &i, 1, 2, &m) || i >= n || t[i++] != ':')
    return 0;
  if (!digits(t, n, &i, 1, 2, &s))
    return 0;
  d->hour = h;
  d->minute = m;
  d->second = s;
  return 1;
}

static int parse_month(const char *t, size_t n) {
  static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";

  if (n < 3)
    return 0;
  for (int m = 0; m < 12; m++)
    if (strncasecmp(t, months + 3 * m, 3) == 0)
      return m + 1;
  return 0;
}

static void parse_token(const char *t, size_t n, date_parts *d) {
  size_t i = 0;
  int v;

  if (!d->found_time && parse_time(t, n, d)) {
    d->found_time = 1;
  } else if (!d->found_day && digits(t, n, &i, 1, 2, &v)) {
    d->found_day = 1;
    d->day = v;
  } else if (!d->found_month && (v = parse_month(t, n))) {
    d->found_month = 1;
    d->month = v;
  } else if (!d->found_year && (i = 0, digits(t, n, &i, 2, 4, &v))) {
    d->found_year = 1;
    d->year = v;
  }
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no time zone or libc range gets in the way. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  int64_t era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

  return days[m - 1] + (m == 2 && leap);
}

static int valid(date_parts *d) {
  if (d->year >= 70 && d->year <= 99)
    d->year += 1900;
  else if (d->year >= 0 && d->year <= 69)
    d->year += 2000;
  if (!d->found_time || !d->found_day || !d->found_month || !d->found_year)
    return 0;
  if (d->day < 1 || d->year < 1601 || d->hour > 23 || d->minute > 59 || d->second > 59)
    return 0;
  /* no such date (Feb 30): fail, as RFC 6265 5.1.1 step 6 says */
  return d->day <= days_in_month(d->year, d->month);
}

int weft__cookie_parse_date(const char *s, size_t n, int64_t *out) {
  date_parts d = {0};
  size_t i = 0, start;

  while (i < n) {
    while (i < n && is_delim((unsigned char)s[i]))
      i++;
    start = i;
    while (i < n && !is_delim((unsigned char)s[i]))
      i++;
    if (i > start)
      parse_token(s + start, i - start, &d);
  }
  if (!valid(&d))
    return 0;
  *out = days_from_civil(d.year, d.month, d.day) * 86400 + d.hour * 3600 + d.minute * 60 + d.second;
  return 1;
}
