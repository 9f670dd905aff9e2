/*
 * weft streams: asyncio's StreamReader / StreamWriter as one task-style
 * object over a transport (include/weft/net.h).
 *
 * A stream buffers what the peer sends and wakes the task waiting in a
 * read; writes never suspend (they go to the transport's buffer) and
 * weft_stream_drain waits while that buffer is above its high-water mark.
 *
 * Views: read_until, read_line, next_line and read_view hand back a pointer
 * into the stream's buffer instead of a copy. A view stays valid until the
 * next read call on the stream (or its free), even if more data arrives
 * meanwhile.
 *
 * Cancellation and timeouts: every suspension point returns -ECANCELED or
 * -ETIMEDOUT from the task's scopes, and leaves the stream as it was: no
 * byte is consumed by a read that did not return data.
 *
 * One task reads at a time (a second concurrent reader gets -EBUSY); any
 * number of tasks may write, drain and wait_closed.
 *
 * Common codes: -EPERM (a suspension point outside a task), -EINVAL (NULL
 * or bad arguments), and errors of the connection passed through as the
 * transport reported them (-ECONNRESET, -EPIPE, -ETIMEDOUT, TLS errors).
 */
#ifndef WEFT_STREAM_H
#define WEFT_STREAM_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "weft/core.h"
#include "weft/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_stream weft_stream;
typedef struct weft_stream_server weft_stream_server;

/* asyncio's default line limit. */
#define WEFT_STREAM_LIMIT_DEFAULT (64u * 1024u)

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */

/*
 * asyncio.open_connection: connect (see weft_create_connection for opts:
 * local address, happy eyeballs, keep-alive, TLS, water marks; NULL for
 * defaults) and return a stream. Suspends. Returns 0 and *out, or the codes
 * of weft_create_connection (-ECONNREFUSED, resolver errors, -ETIMEDOUT /
 * -ECANCELED from the task's scopes, TLS errors, -ENOMEM, -EINVAL, -EPERM).
 */
int weft_open_connection(const char *host, int port, const weft_connect_opts *opts,
                         weft_stream **out);
/* asyncio.open_unix_connection: a path or an abstract name ('@' first).
 * Same codes, plus -ENAMETOOLONG. */
int weft_open_unix_connection(const char *path, const weft_connect_opts *opts, weft_stream **out);
/*
 * A stream over an open descriptor (a connected socket or a bidirectional
 * pipe). The stream owns fd and closes it once. Does not suspend. Returns
 * 0, -EBADF, -EINVAL (a regular file), -ENOMEM; on failure fd stays the
 * caller's.
 */
int weft_stream_open_fd(int fd, weft_stream **out);
/*
 * A stream reading rfd and writing wfd (two pipes, or stdin and stdout:
 * weft_stream_open_pipes(0, 1, &s)). Either may be -1 for a one-way
 * stream. The stream owns both. Same codes as weft_stream_open_fd, plus
 * -EBADF when both are -1. On failure rfd, if it was already wrapped, is
 * closed; wfd stays the caller's.
 */
int weft_stream_open_pipes(int rfd, int wfd, weft_stream **out);

/* ------------------------------------------------------------------ */
/* Servers                                                             */
/* ------------------------------------------------------------------ */

/*
 * Runs in its own task for every accepted connection. When it returns the
 * stream is closed and freed, unless it called weft_stream_detach (the
 * stream is then the handler's to free).
 */
typedef void (*weft_stream_handler)(weft_stream *stream, void *arg);

/*
 * asyncio.start_server: listen on host (NULL: every interface, IPv4 and
 * IPv6) and port (0: ephemeral, see weft_stream_server_port) and run
 * handler(stream, arg) in a new task for each connection. opts as for
 * weft_create_server (backlog, reuse_port, max_connections, keep-alive,
 * TLS ...; NULL for defaults). Returns 0 and *out, or the codes of
 * weft_create_server (-EADDRINUSE, -EACCES, -EINVAL, -ENOMEM ...).
 */
int weft_start_server(const char *host, int port, weft_stream_handler handler, void *arg,
                      const weft_server_opts *opts, weft_stream_server **out);
/* asyncio.start_unix_server. Same codes, plus -ENAMETOOLONG. */
int weft_start_unix_server(const char *path, weft_stream_handler handler, void *arg,
                           const weft_server_opts *opts, weft_stream_server **out);
/* The underlying server, for weft_server_* (sockets, port, connections). */
weft_server *weft_stream_server_net(weft_stream_server *srv);
/* The port of the first listening socket (0 for Unix servers). */
int weft_stream_server_port(const weft_stream_server *srv);
/* Stop accepting (idempotent); running handlers go on. */
void weft_stream_server_close(weft_stream_server *srv);
/* Suspend until closed: 0, -ECANCELED / -ETIMEDOUT (the server is then
 * closed), -EPERM. */
int weft_stream_server_serve_forever(weft_stream_server *srv);
/*
 * Wait until the server is closed, every connection is lost and every
 * handler task has returned. grace_seconds < 0 or INFINITY: no limit;
 * otherwise remaining connections are aborted after that long (their
 * handlers' reads and drains then fail with the connection's error).
 * Returns 0, -ECANCELED / -ETIMEDOUT, -EPERM.
 */
int weft_stream_server_wait_closed(weft_stream_server *srv, double grace_seconds);
/* Close (if needed) and free. Running handlers keep their streams. */
void weft_stream_server_free(weft_stream_server *srv);

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

/*
 * read(n): wait until data or end of file, then copy up to n bytes. *got
 * 0 means end of file (or n == 0). Returns 0, the connection's error once
 * buffered data is exhausted (-ECONNRESET ...), -EBUSY (another task is
 * reading), -ECANCELED / -ETIMEDOUT, -EPERM.
 */
int weft_stream_read(weft_stream *s, void *buf, size_t n, size_t *got);
/* Like weft_stream_read, without the copy: *data views up to n buffered
 * bytes (valid until the next read call). Same codes. */
int weft_stream_read_view(weft_stream *s, size_t n, const char **data, size_t *len);
/*
 * read(-1): everything until end of file, into a new weft_malloc'd buffer
 * (NUL-terminated, free with weft_free). Returns 0, -ENOMEM, the
 * connection's error, -EBUSY, -ECANCELED / -ETIMEDOUT (nothing consumed:
 * the data read so far stays buffered), -EPERM. *out is NULL on error.
 */
int weft_stream_read_all(weft_stream *s, char **out, size_t *len);
/*
 * readexactly(n): wait until n bytes are buffered and copy them. At end of
 * file first: -EPIPE (asyncio's IncompleteReadError) with the *got bytes
 * that did arrive copied to buf and consumed. Also the connection's error
 * (with the partial data likewise), -EBUSY, -ECANCELED / -ETIMEDOUT (nothing
 * consumed, *got 0), -EPERM.
 */
int weft_stream_read_exactly(weft_stream *s, void *buf, size_t n, size_t *got);
/*
 * readuntil(separator): wait for sep (seplen >= 1) and view everything up
 * to and including it. -ENOBUFS (LimitOverrunError) when more than the
 * limit would precede the separator: nothing is consumed, the data stays
 * buffered (read it with weft_stream_read). At end of file first: -EPIPE
 * with the partial data viewed and consumed (*len may be 0). Also the
 * connection's error (partial data likewise), -EBUSY, -ECANCELED /
 * -ETIMEDOUT (nothing consumed), -EPERM, -EINVAL (seplen 0).
 */
int weft_stream_read_until(weft_stream *s, const void *sep, size_t seplen, const char **data,
                           size_t *len);
/*
 * readline: read_until "\n", except that at end of file the last partial
 * line is returned with 0 (and *len 0 once nothing is left). Codes as
 * weft_stream_read_until without -EPIPE.
 */
int weft_stream_read_line(weft_stream *s, const char **line, size_t *len);
/* weft_stream_read_line into a new weft_malloc'd, NUL-terminated copy. Same
 * codes plus -ENOMEM; *line is NULL on error. */
int weft_stream_read_line_dup(weft_stream *s, char **line, size_t *len);
/*
 * `async for line in reader`: 1 and the next line (with its "\n", the last
 * one maybe without), 0 at end of file, or a negative code as
 * weft_stream_read_line:
 *
 *   while ((rc = weft_stream_next_line(s, &line, &len)) > 0)
 *     use(line, len);
 */
int weft_stream_next_line(weft_stream *s, const char **line, size_t *len);
/* 1 when end of file was seen and nothing is buffered (asyncio's
 * at_eof()). */
int weft_stream_at_eof(const weft_stream *s);
/* Bytes buffered and not yet read. */
size_t weft_stream_buffered(const weft_stream *s);
/* The line limit of read_until/read_line (default 64 KiB); reading pauses
 * while more than twice the limit is buffered. 0 or -EINVAL (0). */
int weft_stream_set_limit(weft_stream *s, size_t limit);
size_t weft_stream_limit(const weft_stream *s);

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

/*
 * Write len bytes; never suspends (call weft_stream_drain to wait for the
 * buffer to go down). Returns 0, -EPIPE (closing, closed, after
 * write_eof), the connection's error if it was lost to one (-ECONNRESET
 * ...), -ENOTSUP (read-only stream), -ENOMEM.
 */
int weft_stream_write(weft_stream *s, const void *data, size_t len);
/* writelines: n buffers in order, as one write. Same codes. */
int weft_stream_writev(weft_stream *s, const struct iovec *iov, size_t n);
/* weft_stream_write of a NUL-terminated string. */
int weft_stream_write_str(weft_stream *s, const char *str);
/*
 * drain: suspend while the write buffer is above the high-water mark,
 * until it is down to the low one. Returns 0, the connection's error
 * (-ECONNRESET, -EPIPE ...), -EPIPE when the stream was closed,
 * -ECANCELED / -ETIMEDOUT, -EPERM.
 */
int weft_stream_drain(weft_stream *s);
/* Water marks (0: 64 KiB default; low (size_t)-1: high / 4). 0, -EINVAL. */
int weft_stream_set_write_buffer_limits(weft_stream *s, size_t high, size_t low);
size_t weft_stream_write_buffer_size(const weft_stream *s);
/* Half-close: send end of file after the buffered data; reading goes on.
 * 0, -EPIPE (closing), -ENOTSUP (can_write_eof is 0). */
int weft_stream_write_eof(weft_stream *s);
int weft_stream_can_write_eof(const weft_stream *s);

/* ------------------------------------------------------------------ */
/* Closing and information                                             */
/* ------------------------------------------------------------------ */

/* Close: flush what is buffered, then close the descriptor (exactly once).
 * Does not suspend; idempotent. Wakes a blocked reader with end of file. */
void weft_stream_close(weft_stream *s);
/* Close at once, dropping buffered writes. */
void weft_stream_abort(weft_stream *s);
/* 1 once close/abort was called or the connection was lost. */
int weft_stream_is_closing(const weft_stream *s);
/* Suspend until the connection is fully closed. Returns 0, or the error the
 * connection was lost to, -ECANCELED / -ETIMEDOUT, -EPERM. */
int weft_stream_wait_closed(weft_stream *s);
/* Close if needed and release the stream (its memory goes once the
 * transport reports the connection lost). Views become invalid. */
void weft_stream_free(weft_stream *s);
/* In a server handler: keep the stream past the handler's return; the
 * caller then owns it and frees it with weft_stream_free. */
void weft_stream_detach(weft_stream *s);
/* The connection's error once lost to one, else 0. */
int weft_stream_error(const weft_stream *s);
/* Addresses and descriptor, as the transport's (0, -ENOTCONN, -ENOTSUP,
 * -EBADF). */
int weft_stream_peername(const weft_stream *s, struct sockaddr_storage *out);
int weft_stream_sockname(const weft_stream *s, struct sockaddr_storage *out);
int weft_stream_fileno(const weft_stream *s);
/* The transport underneath (the reading one for a pair of pipes); NULL
 * once a failed start_tls has closed it. */
weft_transport *weft_stream_transport(weft_stream *s);

/* ------------------------------------------------------------------ */
/* TLS                                                                 */
/* ------------------------------------------------------------------ */

struct weft_tls_opts;
struct weft_tls_info;

/*
 * asyncio's StreamWriter.start_tls: run a TLS handshake over the stream's
 * connection (either side: opts->server_side, see weft_start_tls in
 * weft/tls.h) and carry on over TLS with the same stream. Suspends until
 * the handshake is done. Bytes already buffered for reading stay there (as
 * plaintext). TLS inside TLS works (upgrade a stream that is TLS already).
 *
 * Returns 0, or: -EINVAL (NULL arguments, bad options), -EPERM, -EBUSY (a
 * task is reading), -ENOTSUP (a pair of pipes), -EPIPE (closing), the
 * connection's error, and the codes of weft_start_tls (-ETIMEDOUT,
 * -ECANCELED, WEFT_TLS_VERIFY_FAILED, WEFT_TLS_PROTOCOL_ERROR,
 * WEFT_TLS_HANDSHAKE_EOF, -ENOMEM). On failure the connection is closed
 * and weft_stream_error returns the code; weft_tls_last_error() says why.
 */
int weft_stream_start_tls(weft_stream *s, weft_tls_ctx *ctx, const struct weft_tls_opts *opts);
/* Negotiated TLS parameters: 0, or -EINVAL when the stream is not TLS. */
int weft_stream_tls_info(const weft_stream *s, struct weft_tls_info *info);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_STREAM_H */
