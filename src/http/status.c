/*
 * Status lines and the standard reason phrases (Python's http.HTTPStatus).
 */
#include <ctype.h>
#include <string.h>

#include "core/internal.h"
#include "http/request.h"

/* clang-format off */
static const struct {
  int status;
  const char *reason;
} reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {102, "Processing"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {208, "Already Reported"},
    {226, "IM Used"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Requested Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {418, "I'm a Teapot"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Entity"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {506, "Variant Also Negotiates"},
    {507, "Insufficient Storage"},
    {508, "Loop Detected"},
    {510, "Not Extended"},
    {511, "Network Authentication Required"},
};
/* clang-format on */

const char *weft__http_reason(int status) {
  for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
    if (reasons[i].status == status)
      return reasons[i].reason;
  return "";
}

/* "HTTP/1.1", "HTTP/1.0", "HTTP/2", "HTTP/2.0", "HTTP/3": the version as
 * 11, 10, 20, 30 and the bytes it took; 0 when it is none of them. */
static size_t parse_version(const char *p, size_t len, int *version) {
  size_t n = 6;

  if (len < 6 || memcmp(p, "HTTP/", 5) != 0 || !isdigit((unsigned char)p[5]))
    return 0;
  *version = (p[5] - '0') * 10;
  if (len >= 8 && p[6] == '.' && isdigit((unsigned char)p[7])) {
    *version += p[7] - '0';
    n = 8;
  }
  if (*version != 10 && *version != 11 && *version != 20 && *version != 30)
    return 0;
  return n;
}

static int bad_line(const char *line, size_t len) {
  return weft__http_fail(WEFT_HTTP_EPROTO, "malformed status line '%.*s'",
                         (int)(len < 64 ? len : 64), line);
}

/* The reason after the status: the rest of the line up to a NUL byte,
 * trimmed; the standard phrase when the line has none (HTTP/2). */
static void copy_reason(const char *p, size_t len, int status, char *reason, size_t cap) {
  const char *nul = memchr(p, '\0', len);
  size_t n;

  if (!reason || cap == 0)
    return;
  if (nul)
    len = (size_t)(nul - p);
  while (len && (*p == ' ' || *p == '\t')) {
    p++;
    len--;
  }
  while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
    len--;
  if (len == 0) {
    p = weft__http_reason(status);
    len = strlen(p);
  }
  n = len < cap - 1 ? len : cap - 1;
  memcpy(reason, p, n);
  reason[n] = '\0';
}

int weft__http_parse_status_line(const char *line, size_t len, int *version, int *status,
                                 char *reason, size_t cap) {
  size_t n;
  int v = 0, code;

  while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    len--;
  n = parse_version(line, len, &v);
  if (n == 0 || len < n + 4 || line[n] != ' ')
    return bad_line(line, len);
  for (size_t i = n + 1; i < n + 4; i++)
    if (!isdigit((unsigned char)line[i]))
      return bad_line(line, len);
  code = (line[n + 1] - '0') * 100 + (line[n + 2] - '0') * 10 + (line[n + 3] - '0');
  if (code < 100 || (len > n + 4 && line[n + 4] != ' '))
    return bad_line(line, len);
  if (version)
    *version = v;
  if (status)
    *status = code;
  copy_reason(line + n + 4, len - n - 4, code, reason, cap);
  return 0;
}
