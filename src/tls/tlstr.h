/* The TLS transport: the protocol of a lower transport and the transport
 * of an upper protocol (asyncio's SSLProtocol). */
#ifndef WEFT_TLS_TLSTR_H
#define WEFT_TLS_TLSTR_H

#include "core/internal.h"
#include "net/transport.h"
#include "tls/internal.h"

typedef struct weft__tls_tr {
  struct weft_transport base; /* the upper transport; must be first */
  weft_transport *lower;      /* one reference, released at free */
  weft_tls_engine *eng;
  weft_task *waiter; /* the task in weft_start_tls */
  int hs_code;       /* 1 while the handshake runs, then 0 or an error */
  int lost_err;      /* the TLS error that ends the connection */
  double shutdown_timeout;
  weft_handle *shutdown_timer;
  weft_handle *resume_call;
  /* weft_tls_wrap: who hears the outcome, and the handshake deadline */
  const weft_protocol *wrap_proto;
  void *wrap_arg;
  void (*wrap_failed)(int err, const char *message, void *arg);
  void *wrap_failed_arg;
  weft_handle *hs_timer;
  double hs_timeout;
  unsigned char wrap;
  unsigned char paused;
  unsigned char shutting_down;
  unsigned char lower_lost;
  unsigned char flushing; /* in weft__tls_flush */
} weft__tls_tr;

#define WEFT__TLS_HS_RUNNING 1

extern const weft_protocol weft__tls_lower_proto;
/* Set on the lower transport: it reads into the engine's buffer. */
extern const weft__buffered_ops weft__tls_lower_buffered;
extern const weft__transport_ops weft__tls_ops;

/* Send what the engine has for the peer into lower. */
int weft__tls_flush(weft__tls_tr *t);
/* Advance the handshake; on completion or failure wake the waiter. */
void weft__tls_hs_step(weft__tls_tr *t);
void weft__tls_hs_finish(weft__tls_tr *t, int code);
/* Deliver decrypted data to the upper protocol while it reads. */
void weft__tls_pump(weft__tls_tr *t);
/* Close lower, ending the connection with err (a TLS error, or 0). */
void weft__tls_end(weft__tls_tr *t, int err);
void weft__tls_shutdown_step(weft__tls_tr *t);
void weft__tls_stop_timer(weft__tls_tr *t);
/* weft_tls_wrap: the handshake ended with code. */
void weft__tls_wrap_done(weft__tls_tr *t, int code);

#endif
