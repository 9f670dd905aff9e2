/*
 * weft TLS: OpenSSL 3 over memory BIOs, so TLS runs over any byte transport
 * (a TCP connection, a Unix socket, a pipe, or another TLS connection).
 *
 * Three levels:
 *  - weft_tls_ctx: the configuration shared by many connections (an
 *    SSL_CTX): verification, CA certificates, certificate and key, ALPN,
 *    versions, session cache, SNI, SSLKEYLOGFILE.
 *  - weft_tls_engine: one connection's TLS state machine, fed with
 *    ciphertext and plaintext by its owner; no I/O of its own.
 *  - weft_start_tls (in weft/net.h terms): a transport speaking TLS over a
 *    lower transport, for protocols and streams (see docs/api/tls.md).
 *
 * A client context verifies the peer by default: against the system CA
 * store, with hostname checking and SNI. Verification off (asyncio's
 * ssl=False) is an explicit WEFT_TLS_VERIFY_NONE.
 *
 * Error codes (all negative errno values, with a readable message from
 * weft_tls_engine_error() / weft_tls_last_error()):
 *  WEFT_TLS_VERIFY_FAILED   the peer's certificate was rejected; the message
 *                           carries OpenSSL's reason ("certificate has
 *                           expired", "self-signed certificate", "hostname
 *                           mismatch", "unable to get local issuer
 *                           certificate" ...)
 *  WEFT_TLS_PROTOCOL_ERROR  the peer does not speak TLS (garbage), sent an
 *                           alert (e.g. "certificate required"), or no
 *                           common version/cipher
 *  WEFT_TLS_HANDSHAKE_EOF   the peer closed the connection during the handshake
 *  WEFT_TLS_TRUNCATED       the connection ended without close_notify
 *                           (a clean close reads as end of file instead)
 *  -ETIMEDOUT               the handshake or the shutdown timed out
 */
#ifndef WEFT_TLS_H
#define WEFT_TLS_H

#include <sys/types.h>

#include "weft/core.h"
#include "weft/net.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_TLS_VERIFY_FAILED (-EACCES)
#define WEFT_TLS_PROTOCOL_ERROR (-EPROTO)
#define WEFT_TLS_HANDSHAKE_EOF (-ECONNRESET)
#define WEFT_TLS_TRUNCATED (-EBADMSG)

/* Protocol versions (OpenSSL's values). */
#define WEFT_TLS_V1_2 0x0303
#define WEFT_TLS_V1_3 0x0304

typedef struct weft_tls_ctx weft_tls_ctx;
typedef struct weft_tls_engine weft_tls_engine;

typedef enum weft_tls_verify {
  /* Client: verify the server (required). Server: do not ask for a client
   * certificate. */
  WEFT_TLS_VERIFY_DEFAULT = 0,
  /* Do not verify the peer (asyncio's ssl=False on a client). */
  WEFT_TLS_VERIFY_NONE = 1,
  /* Server: ask for a client certificate, verify it if one is sent. */
  WEFT_TLS_VERIFY_OPTIONAL = 2,
  /* Verify the peer; a server rejects clients without a certificate. */
  WEFT_TLS_VERIFY_REQUIRED = 3,
} weft_tls_verify;

/* Server: picks the context for the name a client asked for (SNI). Return
 * NULL to keep the current one. Called during the handshake, on the loop. */
typedef weft_tls_ctx *(*weft_tls_sni_fn)(const char *server_name, void *arg);

typedef struct weft_tls_ctx_opts {
  int server; /* 1: a server context; 0: a client context */
  weft_tls_verify verify;
  int no_check_hostname; /* client: verify the chain but not the name */
  /* PEM CA certificates to trust. A client with neither uses the system
   * store; a server uses them to verify client certificates. */
  const char *ca_file;
  const char *ca_dir;
  /* PEM certificate (may hold the chain after the leaf) and private key;
   * required for a server, optional for a client (client certificate). */
  const char *cert_file;
  const char *key_file; /* NULL: the key is in cert_file */
  /* ALPN protocols in order of preference ("h2", "http/1.1"). A server
   * selects the first of its own list the client also offers. */
  const char *const *alpn;
  size_t alpn_count;
  int min_version;      /* WEFT_TLS_V1_2 (default) or WEFT_TLS_V1_3 */
  int max_version;      /* 0: the highest OpenSSL supports */
  const char *ciphers;  /* TLS 1.2 cipher list; NULL: OpenSSL's default */
  int no_session_cache; /* client: do not resume sessions */
  /* Append TLS secrets (NSS key log format) to this file. NULL: the file
   * named by $SSLKEYLOGFILE, if set. */
  const char *keylog_file;
  weft_tls_sni_fn sni; /* server: certificate selection by name */
  void *sni_arg;
} weft_tls_ctx_opts;

/*
 * Create a context (reference count 1). opts NULL: a verifying client.
 * Returns 0, -ENOMEM, -EINVAL (bad options, unreadable certificate or key,
 * key not matching the certificate, unknown ALPN/version/cipher setting,
 * server without a certificate), -ENOENT (a named file is missing).
 * weft_tls_last_error() says why.
 */
int weft_tls_ctx_new(weft_tls_ctx **out, const weft_tls_ctx_opts *opts);
weft_tls_ctx *weft_tls_ctx_retain(weft_tls_ctx *ctx);
void weft_tls_ctx_release(weft_tls_ctx *ctx);
/* 1 for a server context, 0 for a client one. */
int weft_tls_ctx_is_server(const weft_tls_ctx *ctx);
/* Server: use ctx_for_name's certificate when a client asks for `name`
 * (exact, case-insensitive; "*.example.com" matches one label). Consulted
 * after the sni callback. Returns 0, -ENOMEM, -EINVAL (not a server
 * context, NULL arguments). */
int weft_tls_ctx_add_sni(weft_tls_ctx *ctx, const char *name, weft_tls_ctx *ctx_for_name);
/* The underlying SSL_CTX, for settings weft does not wrap. */
void *weft_tls_ctx_ssl_ctx(weft_tls_ctx *ctx);
/* Client: sessions held for resumption. */
size_t weft_tls_ctx_session_count(const weft_tls_ctx *ctx);

/* The message of the last TLS failure returned on this thread (by ctx_new,
 * weft_start_tls ...). Never NULL; "" when there was none. */
const char *weft_tls_last_error(void);

/* ------------------------------------------------------------------ */
/* Engine: one connection over memory buffers                          */
/* ------------------------------------------------------------------ */

typedef struct weft_tls_engine_opts {
  /* Client: the name to verify and to send as SNI (an IP address is
   * verified against the certificate's IP addresses, without SNI). NULL
   * with verification on is -EINVAL unless the context skips hostname
   * checks. */
  const char *server_hostname;
  /* Client: key under which the session is cached and looked up
   * ("host:port"); NULL: server_hostname. */
  const char *session_key;
} weft_tls_engine_opts;

typedef struct weft_tls_info {
  const char *version;    /* "TLSv1.3" */
  const char *cipher;     /* "TLS_AES_256_GCM_SHA384" */
  char peer_subject[256]; /* "CN=localhost,O=..."; "" without a certificate */
  char alpn[256];         /* negotiated protocol; "" if none */
  int session_reused;     /* 1 if the session was resumed */
  int peer_verified;      /* 1 if a peer certificate was verified */
} weft_tls_info;

/* A client or server engine (by the context's side). Returns 0, -ENOMEM,
 * -EINVAL (a verifying client without server_hostname). */
int weft_tls_engine_new(weft_tls_engine **out, weft_tls_ctx *ctx, const weft_tls_engine_opts *opts);
void weft_tls_engine_free(weft_tls_engine *e);
/* Ciphertext received from the peer. 0 or -ENOMEM. */
int weft_tls_engine_feed(weft_tls_engine *e, const void *data, size_t len);
/* The lower transport reached end of file. */
void weft_tls_engine_feed_eof(weft_tls_engine *e);
/* Advance the handshake: 0 once complete, -EAGAIN while it needs more
 * input (send what weft_tls_engine_take gives first), or an error code. */
int weft_tls_engine_handshake(weft_tls_engine *e);
int weft_tls_engine_handshake_done(const weft_tls_engine *e);
/* Plaintext from the peer: bytes read (> 0), 0 at a clean end (the peer's
 * close_notify), -EAGAIN when more input is needed, or an error
 * (WEFT_TLS_TRUNCATED when the input ended without close_notify). */
ssize_t weft_tls_engine_read(weft_tls_engine *e, void *buf, size_t len);
/* Encrypt plaintext: returns len (all of it is consumed), -EPIPE after
 * shutdown, -EAGAIN before the handshake completes, or an error. */
ssize_t weft_tls_engine_write(weft_tls_engine *e, const void *data, size_t len);
/* Ciphertext waiting to be sent to the peer. */
size_t weft_tls_engine_pending(const weft_tls_engine *e);
/* Move up to len bytes of it into buf; returns the count. */
size_t weft_tls_engine_take(weft_tls_engine *e, void *buf, size_t len);
/* Send close_notify (once). Returns 0 when the peer's close_notify has
 * also arrived, -EAGAIN while waiting for it, or an error. */
int weft_tls_engine_shutdown(weft_tls_engine *e);
/* 1 once the peer's close_notify has been read. */
int weft_tls_engine_peer_closed(const weft_tls_engine *e);
/* Details of the last error of this engine, "" if none. */
const char *weft_tls_engine_error(const weft_tls_engine *e);
/* Negotiated parameters; 0, or -EAGAIN before the handshake is done. */
int weft_tls_engine_info(const weft_tls_engine *e, weft_tls_info *info);

/* ------------------------------------------------------------------ */
/* TLS transports                                                      */
/* ------------------------------------------------------------------ */

#define WEFT_TLS_HANDSHAKE_TIMEOUT 60.0
#define WEFT_TLS_SHUTDOWN_TIMEOUT 30.0

typedef struct weft_tls_opts {
  /* 1: act as the server; must match the context's side (checked). */
  int server_side;
  /* Client: the name to verify and send as SNI (see weft_tls_engine_opts). */
  const char *server_hostname;
  /* Client: session cache key; NULL: "server_hostname:peer port". */
  const char *session_key;
  double handshake_timeout; /* seconds; 0: WEFT_TLS_HANDSHAKE_TIMEOUT */
  double shutdown_timeout;  /* seconds; 0: WEFT_TLS_SHUTDOWN_TIMEOUT */
  /* weft_tls_wrap only: called once if the handshake fails (err, message),
   * with handshake_arg; the protocol is never called then. */
  void (*handshake_failed)(int err, const char *message, void *handshake_arg);
  void *handshake_arg;
} weft_tls_opts;

/*
 * asyncio's start_tls: run a TLS handshake over the open transport `lower`
 * (TCP, Unix, pipe, or another TLS transport) and return a transport that
 * carries plaintext for proto. The TLS transport becomes lower's protocol
 * and proto's transport: writes are encrypted into lower, lower's data is
 * decrypted into proto->data_received; pause/resume reading and the
 * writing water marks pass through. Suspends the calling task until the
 * handshake is done; the handshake timeout and the task's own scopes
 * apply. connection_made runs before it returns.
 *
 * Closing the TLS transport sends close_notify, waits (up to the shutdown
 * timeout) for the peer's, then closes lower; connection_lost(0) follows.
 * The peer's close_notify shows as eof_received; a connection that ends
 * without one ends with connection_lost(WEFT_TLS_TRUNCATED).
 *
 * Returns 0 and *out (valid until connection_lost returns, as every
 * transport), or: -EINVAL (NULL arguments, a side not matching the
 * context, a verifying client without server_hostname), -EPERM (not in a
 * task), -EPIPE (lower is closing), -ENOMEM, -ETIMEDOUT (handshake timeout
 * or the task's timeout scope), -ECANCELED, WEFT_TLS_VERIFY_FAILED,
 * WEFT_TLS_PROTOCOL_ERROR, WEFT_TLS_HANDSHAKE_EOF, or lower's error if it
 * failed during the handshake. weft_tls_last_error() has the message. On
 * failure lower is closed (after any alert is sent) and proto is not
 * called; lower's previous protocol hears nothing more.
 */
int weft_start_tls(weft_transport *lower, const weft_protocol *proto, void *arg, weft_tls_ctx *ctx,
                   const weft_tls_opts *opts, weft_transport **out);
/*
 * The same without suspending, for callback servers (asyncio's SSLProtocol
 * on accepted connections): installs the TLS transport over lower and
 * returns at once; the handshake runs from lower's callbacks, and when it
 * completes proto->connection_made is called with the TLS transport. On
 * failure or timeout (handshake_timeout) lower is closed, proto is never
 * called, and opts->handshake_failed (if set) hears why. Reading on lower
 * is resumed. Returns 0, -EINVAL, -EPIPE, -ENOMEM (nothing started then).
 */
int weft_tls_wrap(weft_transport *lower, const weft_protocol *proto, void *arg, weft_tls_ctx *ctx,
                  const weft_tls_opts *opts);
/* 1 if tr is a TLS transport. */
int weft_tls_is_tls(const weft_transport *tr);
/* Negotiated parameters of a TLS transport: 0, -EINVAL (not TLS). */
int weft_tls_info_get(const weft_transport *tr, weft_tls_info *info);
/* Why a TLS transport ended with an error ("" if it did not). */
const char *weft_tls_transport_error(const weft_transport *tr);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_TLS_H */
