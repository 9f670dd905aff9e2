/* The thread's last TLS error message and OpenSSL error text. */
#include <openssl/err.h>
#include <stdarg.h>
#include <string.h>

#include "tls/internal.h"

static _Thread_local char last_error[512];

const char *weft_tls_last_error(void) {
  return last_error;
}

int weft__tls_fail(int code, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return code;
}

void weft__tls_err_text(char *buf, size_t len) {
  unsigned long e = ERR_get_error();
  size_t used = strlen(buf);

  const char *reason = e ? ERR_reason_error_string(e) : NULL;
  char code[128];

  if (e && !reason) {
    ERR_error_string_n(e, code, sizeof code);
    reason = code;
  }
  if (reason && used + 2 < len)
    snprintf(buf + used, len - used, "%s%s", used ? ": " : "", reason);
  ERR_clear_error();
}
