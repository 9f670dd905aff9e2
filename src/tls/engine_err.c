/* OpenSSL failures mapped to weft codes with specific messages. */
#include <openssl/err.h>
#include <string.h>

#include "tls/internal.h"

static int not_tls_reason(int reason) {
  switch (reason) {
  case SSL_R_WRONG_VERSION_NUMBER:
  case SSL_R_PACKET_LENGTH_TOO_LONG:
  case SSL_R_HTTP_REQUEST:
  case SSL_R_HTTPS_PROXY_REQUEST:
  case SSL_R_UNKNOWN_PROTOCOL:
  case SSL_R_RECORD_LENGTH_MISMATCH:
  case SSL_R_UNEXPECTED_MESSAGE:
  case SSL_R_UNEXPECTED_RECORD:
  case SSL_R_LENGTH_MISMATCH:
  case SSL_R_BAD_PACKET_LENGTH:
    return 1;
  default:
    return 0;
  }
}

static int set_error(weft_tls_engine *e, int code, const char *fmt, const char *detail) {
  snprintf(e->error, sizeof e->error, fmt, detail);
  e->error_code = code;
  ERR_clear_error();
  return weft__tls_fail(code, "%s", e->error);
}

static int eof_error(weft_tls_engine *e) {
  if (!e->handshake_done)
    return set_error(e, WEFT_TLS_HANDSHAKE_EOF,
                     "%speer closed the connection during the TLS handshake", "");
  return set_error(e, WEFT_TLS_TRUNCATED, "%sTLS connection truncated: closed without close_notify",
                   "");
}

static int ssl_error(weft_tls_engine *e) {
  unsigned long err = ERR_peek_error();
  int reason = ERR_GET_REASON(err);
  const char *text = ERR_reason_error_string(err);

  if (!text)
    text = "unknown error";
  if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
    return set_error(e, WEFT_TLS_VERIFY_FAILED, "certificate verify failed: %s",
                     X509_verify_cert_error_string(SSL_get_verify_result(e->ssl)));
  if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
    return eof_error(e);
  if (reason >= SSL_AD_REASON_OFFSET)
    return set_error(e, WEFT_TLS_PROTOCOL_ERROR, "peer sent a TLS alert: %s", text);
  if (!e->handshake_done && not_tls_reason(reason))
    return set_error(e, WEFT_TLS_PROTOCOL_ERROR, "the peer does not speak TLS: %s", text);
  if (!e->handshake_done)
    return set_error(e, WEFT_TLS_PROTOCOL_ERROR, "TLS handshake failed: %s", text);
  return set_error(e, WEFT_TLS_PROTOCOL_ERROR, "TLS error: %s", text);
}

int weft__tls_engine_fail(weft_tls_engine *e, int ret) {
  if (e->out_nomem) /* a record was lost: the connection cannot go on */
    return set_error(e, -ENOMEM, "%sout of memory", "");
  switch (SSL_get_error(e->ssl, ret)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    return -EAGAIN;
  case SSL_ERROR_ZERO_RETURN:
    return eof_error(e);
  case SSL_ERROR_SSL:
    return ssl_error(e);
  case SSL_ERROR_SYSCALL:
    if (ERR_peek_error())
      return ssl_error(e);
    return eof_error(e);
  default:
    return set_error(e, WEFT_TLS_PROTOCOL_ERROR, "%sunexpected TLS state", "");
  }
}

int weft__tls_engine_set_error(weft_tls_engine *e, int code, const char *message) {
  if (!e->error_code)
    set_error(e, code, "%s", message);
  return weft__tls_fail(code, "%s", message);
}
