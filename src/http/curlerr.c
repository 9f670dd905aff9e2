/* A finished transfer's CURLcode as a weft code, with curl's message. */
#include <errno.h>
#include <string.h>

#include "http/engine.h"

static int has(const char *text, const char *word) {
  return strcasestr(text, word) != NULL;
}

static int recv_error(const char *msg) {
  if (has(msg, "chunk"))
    return WEFT_HTTP_EBADCHUNK;
  /* a TLS alert after the handshake ("tlsv13 alert certificate required") */
  if (has(msg, " alert "))
    return WEFT_HTTP_ETLS;
  /* case-sensitive: "Connection reset by peer" is no CONNECT */
  if (has(msg, "proxy") || strstr(msg, "CONNECT"))
    return WEFT_HTTP_EPROXY;
  /* "Too large response headers", "Rejected N bytes header" */
  if (has(msg, "header"))
    return WEFT_HTTP_EPROTO;
  return -ECONNRESET;
}

static int connect_error(const char *msg, long os_errno) {
  /* curl's message ("Couldn't connect to server") hides the errno */
  if (os_errno == ECONNREFUSED || os_errno == EHOSTUNREACH || os_errno == ENETUNREACH)
    return (int)-os_errno;
  if (os_errno == ETIMEDOUT)
    return WEFT_HTTP_ECONNECT_TIMEOUT;
  if (has(msg, "refused"))
    return -ECONNREFUSED;
  if (has(msg, "timed out") || has(msg, "timeout"))
    return WEFT_HTTP_ECONNECT_TIMEOUT;
  if (has(msg, "proxy"))
    return WEFT_HTTP_EPROXY;
  if (has(msg, "unreachable"))
    return -EHOSTUNREACH;
  return -ECONNREFUSED;
}

static int code_of(CURLcode code, const char *msg, int connected, long os_errno) {
  switch (code) {
  case CURLE_OK:
    return 0;
  case CURLE_COULDNT_RESOLVE_HOST:
    return WEFT_HTTP_EDNS;
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_PROXY:
    return WEFT_HTTP_EPROXY;
  case CURLE_COULDNT_CONNECT:
    return connect_error(msg, os_errno);
  case CURLE_OPERATION_TIMEDOUT:
    return connected ? WEFT_HTTP_EREAD_TIMEOUT : WEFT_HTTP_ECONNECT_TIMEOUT;
  case CURLE_PEER_FAILED_VERIFICATION:
    return WEFT_HTTP_ETLS_VERIFY;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_SHUTDOWN_FAILED:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_USE_SSL_FAILED:
    return has(msg, "verif") ? WEFT_HTTP_ETLS_VERIFY : WEFT_HTTP_ETLS;
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
    return recv_error(msg);
  case CURLE_PARTIAL_FILE:
    return WEFT_HTTP_ETRUNCATED;
  case CURLE_BAD_CONTENT_ENCODING:
    return WEFT_HTTP_EDECOMPRESS;
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_HTTP3:
    return has(msg, "chunk") ? WEFT_HTTP_EBADCHUNK : WEFT_HTTP_EPROTO;
  case CURLE_GOT_NOTHING:
    return -ECONNRESET;
  case CURLE_OUT_OF_MEMORY:
    /* curl allocates with malloc, not weft's hook: once connected, this
     * is a header line over its CURL_MAX_HTTP_HEADER buffer */
    return connected ? WEFT_HTTP_EPROTO : -ENOMEM;
  case CURLE_URL_MALFORMAT:
    return WEFT_HTTP_EURL;
  case CURLE_FILESIZE_EXCEEDED:
    return -EFBIG;
  case CURLE_ABORTED_BY_CALLBACK:
    return -ECANCELED;
  default:
    return -EIO;
  }
}

int weft__http_curl_error(CURLcode code, const char *errbuf, int connected, long os_errno) {
  const char *msg = errbuf && errbuf[0] ? errbuf : curl_easy_strerror(code);
  int rc = code_of(code, msg, connected, os_errno);

  if (rc == 0)
    return 0;
  if (code == CURLE_OUT_OF_MEMORY && rc == WEFT_HTTP_EPROTO)
    return weft__http_fail(rc, "a response header line is too large (%s)", msg);
  /* curl's "select/poll returned error", "Empty reply from server" */
  if (rc == -ECONNRESET && !has(msg, "reset"))
    return weft__http_fail(rc, "the connection was reset or closed by the server (%s)", msg);
  if (code == CURLE_COULDNT_CONNECT && os_errno > 0 && !has(msg, strerror((int)os_errno)))
    return weft__http_fail(rc, "%s (%s)", msg, strerror((int)os_errno));
  return weft__http_fail(rc, "%s", msg);
}
