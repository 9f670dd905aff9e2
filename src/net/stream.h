/*
 * Stream internals: the read buffer (stream_buf.c) and the stream object
 * shared by the files of src/net/stream*.c.
 */
#ifndef WEFT_NET_STREAM_INTERNAL_H
#define WEFT_NET_STREAM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A growable byte buffer. Live bytes are data[off, off + len). Consumed
 * bytes may be "pinned" (a view handed to the caller points at them): while
 * pinned, appending never moves or frees them; a buffer that has to grow is
 * copied to a new block and the old one is kept in `retired` until unpin.
 */
typedef struct weft__sbuf {
  char *data;
  size_t off, len, cap;
  char *retired;  /* the block a view still points into, or NULL */
  uint8_t pinned; /* bytes before off are still in use by a view */
} weft__sbuf;

#define WEFT__SBUF_NPOS ((size_t)-1)

/* Append n bytes. 0 or -ENOMEM (the buffer is unchanged then). */
int weft__sbuf_append(weft__sbuf *b, const void *src, size_t n);
/* Room for n more bytes at the tail: returns where to write them, or NULL
 * (-ENOMEM). Commit what was written with weft__sbuf_commit. */
char *weft__sbuf_reserve(weft__sbuf *b, size_t n);
void weft__sbuf_commit(weft__sbuf *b, size_t n);
static inline const char *weft__sbuf_head(const weft__sbuf *b) {
  return b->data + b->off;
}
/* Drop the first n live bytes (n <= len). */
void weft__sbuf_consume(weft__sbuf *b, size_t n);
/* Consume n bytes and keep them in place until weft__sbuf_unpin: returns
 * where they are. */
const char *weft__sbuf_take_view(weft__sbuf *b, size_t n);
void weft__sbuf_unpin(weft__sbuf *b);
/* The offset of the first sep (seplen >= 1) in the live bytes at or after
 * from, or WEFT__SBUF_NPOS. */
size_t weft__sbuf_find(const weft__sbuf *b, const void *sep, size_t seplen, size_t from);
void weft__sbuf_free(weft__sbuf *b);

/* ---- the stream object ---------------------------------------------- */

#include "core/internal.h"
#include "weft/stream.h"

/* A task parked on the stream (drain, wait_closed). */
typedef struct weft__swaiter {
  weft__list link;
  weft_task *task;
} weft__swaiter;

struct weft_stream {
  weft_transport *rtr; /* reads (retained), NULL for a write-only stream */
  weft_transport *wtr; /* writes (retained), may equal rtr or be NULL */
  weft_loop *loop;
  weft__sbuf rbuf;
  size_t limit;
  weft_task *reader; /* the task parked in a read */
  /* A task parked in weft_stream_read with an empty buffer: data goes
   * straight into its buffer (one copy less), the rest to rbuf. */
  char *direct_buf;
  size_t direct_cap, direct_got;
  uint8_t filling; /* the transport reads into: 1 direct_buf, 2 rbuf's tail */
  weft__list drainers, closers;
  int err;         /* the error the connection was lost to */
  uint32_t refs;   /* the owner's, plus one per transport until lost */
  uint8_t eof;     /* the peer sent end of file (or reading ended) */
  uint8_t rpaused; /* reading paused: the buffer is over 2 * limit */
  uint8_t wpaused; /* pause_writing without resume_writing */
  uint8_t rlost, wlost;
  uint8_t closing;  /* close or abort called by us */
  uint8_t detached; /* a server handler took ownership */
  uint8_t freed;    /* the owner released it */
  /* server streams: the handler and its server */
  weft_stream_handler handler;
  void *handler_arg;
  struct weft_stream_server *server;
};

/* Sockets; the read and the write end of a pair of pipes. Their
 * connection_made attaches the transport to the stream (arg). */
extern const weft_protocol weft__stream_protocol;
extern const weft_protocol weft__stream_read_protocol;
extern const weft_protocol weft__stream_write_protocol;

/* A new stream (one owner reference) with no transport yet. */
weft_stream *weft__stream_new(weft_loop *loop);
/* Attach a transport (retained) for reading / writing. */
void weft__stream_attach_read(weft_stream *s, weft_transport *tr);
void weft__stream_attach_write(weft_stream *s, weft_transport *tr);
void weft__stream_unref(weft_stream *s);
/* Park the current task on list until woken. */
int weft__stream_park(weft__list *list, const char *what);
void weft__stream_wake_all(weft__list *list);
/* The reader: wait for more data (resuming a paused transport first). */
int weft__stream_wait_data(weft_stream *s, const char *what);
/* After consuming: resume reading once the buffer is down to the limit. */
void weft__stream_consumed(weft_stream *s);
/* Start a read call: the previous view expires. -EBUSY while another task
 * reads, -EPERM outside a task. */
int weft__stream_begin_read(weft_stream *s);

/* Server (stream_server.c): a handler's task ended. */
void weft__stream_server_handler_done(struct weft_stream_server *srv);

#endif
