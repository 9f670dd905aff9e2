/* The HTTP client's error codes, their names and texts, and the thread's
 * last failure message. */
#include <stdarg.h>
#include <stdio.h>

#include "core/internal.h"
#include "http/request.h"

/* clang-format off */
#define WEFT__HTTP_CODES(X) \
  X(WEFT_HTTP_EURL, "EURL", "invalid URL") \
  X(WEFT_HTTP_ESCHEME, "ESCHEME", "unsupported URL scheme") \
  X(WEFT_HTTP_EDNS, "EDNS", "could not resolve the host name") \
  X(WEFT_HTTP_ECONNECT_TIMEOUT, "ECONNECT_TIMEOUT", "connection timeout") \
  X(WEFT_HTTP_EREAD_TIMEOUT, "EREAD_TIMEOUT", "timeout waiting for data from the server") \
  X(WEFT_HTTP_ETLS_VERIFY, "ETLS_VERIFY", "TLS certificate verification failed") \
  X(WEFT_HTTP_ETLS, "ETLS", "TLS failure") \
  X(WEFT_HTTP_EREDIRECTS, "EREDIRECTS", "too many redirects") \
  X(WEFT_HTTP_ETRUNCATED, "ETRUNCATED", "response body cut short") \
  X(WEFT_HTTP_EBADCHUNK, "EBADCHUNK", "malformed chunked encoding") \
  X(WEFT_HTTP_EDECOMPRESS, "EDECOMPRESS", "response body does not decompress") \
  X(WEFT_HTTP_ESTATUS, "ESTATUS", "HTTP error status") \
  X(WEFT_HTTP_EPROTO, "EPROTO", "malformed HTTP response") \
  X(WEFT_HTTP_EPROXY, "EPROXY", "proxy failure") \
  X(WEFT_HTTP_EINJECT, "EINJECT", "CR, LF or NUL in a method, URL or header") \
  X(WEFT_HTTP_ECHARSET, "ECHARSET", "unknown character set") \
  X(WEFT_HTTP_EDECODE, "EDECODE", "body not valid in its character set") \
  X(WEFT_HTTP_EJSON, "EJSON", "invalid JSON") \
  X(WEFT_HTTP_ECONTENT_TYPE, "ECONTENT_TYPE", "unexpected content type for JSON")
/* clang-format on */

static _Thread_local char last_error[1024];

static const char *http_name(int err) {
  switch (err) {
#define WEFT__HTTP_NAME(code, name, text) \
  case code:                              \
    return name;
    WEFT__HTTP_CODES(WEFT__HTTP_NAME)
#undef WEFT__HTTP_NAME
  default:
    return weft_err_name(err);
  }
}

const char *weft_http_strerror(int err) {
  switch (err) {
#define WEFT__HTTP_TEXT(code, name, text) \
  case code:                              \
    return text;
    WEFT__HTTP_CODES(WEFT__HTTP_TEXT)
#undef WEFT__HTTP_TEXT
  default:
    return weft_strerror(err);
  }
}

static const char *http_text(int err) {
  return weft_http_strerror(err);
}

/* weft_strerror and weft_err_name know the HTTP client's codes. */
__attribute__((constructor)) static void register_http_codes(void) {
  static weft__err_range range = {
      .lo = WEFT_HTTP_ECONTENT_TYPE, .hi = WEFT_HTTP_EURL, .name = http_name, .text = http_text};

  weft__err_register(&range);
}

const char *weft_http_last_error(void) {
  return last_error;
}

void weft__http_clear_error(void) {
  last_error[0] = '\0';
}

int weft__http_fail(int code, const char *fmt, ...) {
  va_list ap;

  if (!fmt) {
    snprintf(last_error, sizeof last_error, "%s", weft_http_strerror(code));
    return code;
  }
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return code;
}
