/*
 * Transport internals: the part every transport shares (protocol, state,
 * write-buffer accounting and the callback order), and the operations a
 * concrete transport provides. TCP, Unix sockets and pipes live in
 * uvstream.c/tcp.c/pipe.c; other layers (TLS) add transports by filling a
 * weft__transport_ops and embedding struct weft_transport first in their own
 * struct.
 *
 * Lifetime: a transport starts with one reference, held by its owner (the
 * transport's own I/O). Whoever calls into a protocol holds a reference
 * around the call (the deliver helpers do), so a callback may close, abort
 * or release the transport safely. ops->free runs when the last reference
 * goes.
 */
#ifndef WEFT_NET_TRANSPORT_H
#define WEFT_NET_TRANSPORT_H

#include <stdint.h>
#include <sys/uio.h>

#include "weft/net.h"

typedef struct weft__transport_ops {
  const char *name; /* "tcp", "unix", "pipe", "tls" */
  /* Queue or send the buffers (total > 0). The generic layer has already
   * checked the state (not closing, no EOF written). 0 or a negative code.
   * The transport reports its buffered size through
   * weft__transport_write_buffer_changed. */
  int (*write)(weft_transport *tr, const struct iovec *iov, size_t n, size_t total);
  /* Shut the write side once flushed. 0 or a negative code. NULL: cannot. */
  int (*write_eof)(weft_transport *tr);
  /* Graceful close (flush, then close) / immediate close. Called once; the
   * transport ends by calling weft__transport_deliver_lost exactly once. */
  void (*close)(weft_transport *tr);
  void (*abort)(weft_transport *tr);
  /* Stop / start reading. 0 or a negative code. */
  int (*pause_reading)(weft_transport *tr);
  int (*resume_reading)(weft_transport *tr);
  /* Optional (NULL: -ENOTSUP / -EBADF). */
  int (*peername)(const weft_transport *tr, struct sockaddr_storage *out);
  int (*sockname)(const weft_transport *tr, struct sockaddr_storage *out);
  int (*fileno)(const weft_transport *tr);
  /* Release the memory (last reference gone). */
  void (*free)(weft_transport *tr);
} weft__transport_ops;

/*
 * A protocol that gives the transport the memory to read into (asyncio's
 * BufferedProtocol), set on a transport in tr->buffered. It applies while
 * the transport's protocol has this data_received; a transport that reads
 * into memory of its own asks get_buffer first (NULL: it reads into its
 * own buffer and calls data_received as usual), reads into the len bytes
 * returned, and reports what it read with buffer_updated. get_buffer and
 * buffer_updated run in the same callback of the event loop, with no other
 * code in between.
 */
typedef struct weft__buffered_ops {
  void (*data_received)(weft_transport *tr, const char *data, size_t len, void *arg);
  char *(*get_buffer)(weft_transport *tr, size_t sizehint, size_t *len, void *arg);
  void (*buffer_updated)(weft_transport *tr, size_t n, void *arg);
} weft__buffered_ops;

enum {
  WEFT__TR_MADE = 1u << 0,     /* connection_made was called */
  WEFT__TR_CLOSING = 1u << 1,  /* close/abort called or connection lost */
  WEFT__TR_READING = 1u << 2,  /* not paused by the user */
  WEFT__TR_EOF_RECV = 1u << 3, /* eof_received delivered */
  WEFT__TR_EOF_SENT = 1u << 4, /* write_eof called */
  WEFT__TR_LOST = 1u << 5,     /* connection_lost delivered */
  WEFT__TR_WPAUSED = 1u << 6,  /* pause_writing delivered, not resumed */
  WEFT__TR_NO_WRITE = 1u << 7, /* read-only (read pipes) */
  WEFT__TR_NO_READ = 1u << 8,  /* write-only (write pipes) */
  WEFT__TR_CAN_EOF = 1u << 9,  /* write_eof supported */
  WEFT__TR_IN_LIST = 1u << 10, /* linked into a server's connections */
};

struct weft_transport {
  const weft__transport_ops *ops;
  const weft_protocol *proto;
  void *proto_arg;
  weft_loop *loop;
  uint32_t refs;
  uint32_t flags;
  size_t write_size;                  /* bytes buffered, as last reported */
  size_t high, low;                   /* write water marks */
  const weft__buffered_ops *buffered; /* or NULL */
  /* Server bookkeeping (server.c): the owning server and the link in its
   * list of live connections. */
  struct weft_server *server;
  struct weft_transport *srv_prev, *srv_next;
};

/* Set up the common part: one reference, reading, default water marks. */
void weft__transport_init(weft_transport *tr, const weft__transport_ops *ops, weft_loop *loop);
void weft__transport_retain(weft_transport *tr);
void weft__transport_release(weft_transport *tr);
static inline int weft__transport_has(const weft_transport *tr, uint32_t f) {
  return (tr->flags & f) != 0;
}

/* Attach the protocol and call connection_made (once). */
void weft__transport_make(weft_transport *tr, const weft_protocol *proto, void *arg);
/* data_received, unless the transport is lost, closing, past EOF or not
 * made. */
void weft__transport_deliver_data(weft_transport *tr, const char *data, size_t len);
/* The protocol's buffer to read up to *len bytes into (sizehint: what the
 * transport would read), or NULL when the protocol has none to give or
 * data is not delivered now. */
char *weft__transport_get_buffer(weft_transport *tr, size_t sizehint, size_t *len);
/* n bytes were read into the buffer get_buffer returned: buffer_updated,
 * under the same conditions as data_received. */
void weft__transport_deliver_buffer(weft_transport *tr, size_t n);
/* eof_received (once). Returns 1 when the protocol keeps the transport
 * open (half-close); otherwise the caller closes it. */
int weft__transport_deliver_eof(weft_transport *tr);
/* connection_lost(err) exactly once (only if connection_made ran), then
 * unlink from the server. Sets CLOSING. */
void weft__transport_deliver_lost(weft_transport *tr, int err);
/* The transport's buffered byte count changed: record it and call
 * pause_writing / resume_writing on the edges of the water marks. */
void weft__transport_write_buffer_changed(weft_transport *tr, size_t size);

/* Server hooks (server.c): a connection ended. */
void weft__server_connection_lost(weft_transport *tr);

#endif
