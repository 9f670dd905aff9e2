/* close_notify in both directions, and negotiated parameters. */
#include <openssl/err.h>
#include <string.h>

#include "tls/internal.h"

/* Read (and drop) what the peer still sends until its close_notify. */
static int drain_until_close(weft_tls_engine *e) {
  char sink[4096];
  ssize_t n;

  do
    n = weft_tls_engine_read(e, sink, sizeof sink);
  while (n > 0);
  return (int)n;
}

int weft_tls_engine_shutdown(weft_tls_engine *e) {
  if (e->error_code)
    return e->error_code;
  if (!e->handshake_done)
    return -ENOTCONN;
  if (!e->shutdown_sent) {
    ERR_clear_error();
    e->shutdown_sent = 1;
    if (SSL_shutdown(e->ssl) < 0)
      return weft__tls_engine_fail(e, -1);
  }
  if (e->peer_closed || (SSL_get_shutdown(e->ssl) & SSL_RECEIVED_SHUTDOWN))
    return 0;
  return drain_until_close(e);
}

static void peer_subject(const weft_tls_engine *e, char *buf, size_t len) {
  X509 *cert = SSL_get1_peer_certificate(e->ssl);
  BIO *mem;
  int n;

  buf[0] = '\0';
  if (!cert)
    return;
  if ((mem = BIO_new(BIO_s_mem()))) {
    X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    n = BIO_read(mem, buf, (int)len - 1);
    buf[n > 0 ? n : 0] = '\0';
    BIO_free(mem);
  }
  X509_free(cert);
}

int weft_tls_engine_info(const weft_tls_engine *e, weft_tls_info *info) {
  const unsigned char *alpn = NULL;
  unsigned alpn_len = 0;

  if (!e->handshake_done)
    return -EAGAIN;
  memset(info, 0, sizeof *info);
  info->version = SSL_get_version(e->ssl);
  info->cipher = SSL_get_cipher_name(e->ssl);
  peer_subject(e, info->peer_subject, sizeof info->peer_subject);
  SSL_get0_alpn_selected(e->ssl, &alpn, &alpn_len);
  if (alpn_len >= sizeof info->alpn)
    alpn_len = sizeof info->alpn - 1;
  memcpy(info->alpn, alpn ? (const char *)alpn : "", alpn_len);
  info->session_reused = SSL_session_reused(e->ssl);
  info->peer_verified = info->peer_subject[0] && SSL_get_verify_mode(e->ssl) != SSL_VERIFY_NONE &&
                        SSL_get_verify_result(e->ssl) == X509_V_OK;
  return 0;
}
