/*
 * TLS test helpers (test-tls-certs.c): a CA and certificates generated at
 * test time with the openssl command into a temporary directory, openssl
 * s_server / s_client peers on loopback, and an in-memory engine pair.
 */
#ifndef WEFT_TEST_TLS_UTIL_H
#define WEFT_TEST_TLS_UTIL_H

#include <sys/types.h>

#include "test.h"

typedef struct tls_certs {
  char dir[256];
} tls_certs;

/* Creates, in a fresh temp dir: ca.pem (trusted CA), server.pem/.key
 * (localhost + 127.0.0.1), expired.pem/.key, wronghost.pem/.key
 * (other.example), selfsigned.pem/.key (localhost), unknownca.pem/.key
 * (localhost, signed by an untrusted CA), client.pem/.key ("weft client"). */
void tls_certs_make(tls_certs *c);
void tls_certs_free(tls_certs *c);
/* "<dir>/<name>" in a static rotating buffer. */
const char *tls_path(const tls_certs *c, const char *name);

typedef struct tls_peer {
  pid_t pid;
  int in;  /* its stdin (write end) */
  int out; /* its stdout+stderr (read end) */
  int port;
} tls_peer;

/* openssl s_server on 127.0.0.1, an ephemeral port, with certificate
 * `cert` ("server" -> server.pem/server.key) and extra args. */
void tls_s_server(tls_peer *p, const tls_certs *c, const char *cert, const char *args);
/* openssl s_client to 127.0.0.1:port with extra args. */
void tls_s_client(tls_peer *p, int port, const char *args);
/* Read its output until `needle` appears (or EOF / timeout seconds);
 * returns 1 if found. The output so far is in buf. */
int tls_peer_expect(tls_peer *p, const char *needle, char *buf, size_t len, double timeout);
void tls_peer_stop(tls_peer *p);

/* A client and a server engine on two contexts, exchanging bytes in memory. */
/* Move pending ciphertext both ways; returns bytes moved. */
size_t tls_pump(weft_tls_engine *a, weft_tls_engine *b);
/* Drive both handshakes until neither progresses; stores each code. */
void tls_handshake_pair(weft_tls_engine *c, weft_tls_engine *s, int *rc_c, int *rc_s);

/* A protocol that records what happens to its transport. */
typedef struct tls_app {
  char buf[65536];
  size_t len;
  int made, eof, lost, lost_err;
  int echo; /* write back what arrives */
  int paused_writing, resumed_writing;
  int pause_reading; /* pause reading at connection_made */
  int keep_open;     /* eof_received's answer */
  char err[256];     /* weft_tls_transport_error at connection_lost */
  weft_transport *tr;
} tls_app;
extern const weft_protocol tls_app_proto;
/* A placeholder protocol for a lower transport before start_tls. */
extern const weft_protocol tls_raw_proto;
/* Poll (sleeping 10 ms) until *flag is nonzero; returns it. */
int tls_wait(const int *flag, double timeout);
/* Until the app's data contains needle; 1 if it did. */
int tls_wait_text(tls_app *a, const char *needle, double timeout);
/* A plain TCP connection to 127.0.0.1:port with tls_raw_proto. */
weft_transport *tls_tcp(int port);

/* A loopback server: TLS (ctx set) or raw TCP, for one connection at a
 * time; records the handshake outcome. */
typedef struct tls_srv {
  weft_tls_ctx *ctx;     /* NULL: raw TCP */
  double hs_timeout;     /* 0: default */
  int nested;            /* TLS inside TLS: a second handshake inside */
  const char *raw_reply; /* raw: written at connect */
  int raw_close_on_data; /* raw: close when data arrives */
  weft_server *srv;
  int port;
  weft_transport *lower; /* the accepted TCP transport */
  int accepted, failed, fail_code;
  char fail_msg[256];
  tls_app app, inner;
} tls_srv;
void tls_srv_start(tls_srv *s);
void tls_srv_stop(tls_srv *s);

#endif
