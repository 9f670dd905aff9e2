/*
 * Opening streams: over a new TCP or Unix connection, over a descriptor,
 * over a pair of pipes.
 */
#include <errno.h>

#include "stream.h"

typedef int (*connect_fn)(const char *where, int port, const weft_protocol *proto, void *arg,
                          const weft_connect_opts *opts, weft_transport **out);

static int connect_tcp(const char *host, int port, const weft_protocol *proto, void *arg,
                       const weft_connect_opts *opts, weft_transport **out) {
  return weft_create_connection(host, port, proto, arg, opts, out);
}

static int connect_unix(const char *path, int port, const weft_protocol *proto, void *arg,
                        const weft_connect_opts *opts, weft_transport **out) {
  WEFT__UNUSED(port);
  return weft_create_unix_connection(path, proto, arg, opts, out);
}

/* connection_made attaches the transport to the stream; on failure no
 * callback ran and the stream is simply dropped. */
static int open_with(connect_fn fn, const char *where, int port, const weft_connect_opts *opts,
                     weft_stream **out) {
  weft_loop *loop = weft_loop_current();
  weft_transport *tr = NULL;
  weft_stream *s;
  int rc;

  *out = NULL;
  if (!where)
    return -EINVAL;
  if (!weft__current())
    return -EPERM;
  if (!(s = weft__stream_new(loop)))
    return -ENOMEM;
  rc = fn(where, port, &weft__stream_protocol, s, opts, &tr);
  if (rc) {
    weft__stream_unref(s);
    return rc;
  }
  *out = s; /* connection_made attached tr */
  return 0;
}

int weft_open_connection(const char *host, int port, const weft_connect_opts *opts,
                         weft_stream **out) {
  return open_with(connect_tcp, host, port, opts, out);
}

int weft_open_unix_connection(const char *path, const weft_connect_opts *opts, weft_stream **out) {
  return open_with(connect_unix, path, 0, opts, out);
}

int weft_stream_open_fd(int fd, weft_stream **out) {
  weft_transport *tr;
  weft_stream *s;
  int rc;

  *out = NULL;
  if (!(s = weft__stream_new(weft_loop_current())))
    return -ENOMEM;
  if ((rc = weft_connect_fd(fd, &weft__stream_protocol, s, &tr)) != 0) {
    weft__stream_unref(s);
    return rc;
  }
  *out = s;
  return 0;
}

static int open_pipe_ends(weft_stream *s, int rfd, int wfd) {
  weft_transport *tr;
  int rc;

  if (rfd >= 0) {
    rc = weft_connect_read_pipe(rfd, &weft__stream_read_protocol, s, &tr);
    if (rc)
      return rc;
  }
  if (wfd >= 0) {
    rc = weft_connect_write_pipe(wfd, &weft__stream_write_protocol, s, &tr);
    if (rc)
      return rc;
  }
  return 0;
}

int weft_stream_open_pipes(int rfd, int wfd, weft_stream **out) {
  weft_stream *s;
  int rc;

  *out = NULL;
  if (rfd < 0 && wfd < 0)
    return -EBADF;
  if (!(s = weft__stream_new(weft_loop_current())))
    return -ENOMEM;
  rc = open_pipe_ends(s, rfd, wfd);
  if (rc) {
    weft_stream_free(s); /* closes (and so owns) the read end if it opened */
    return rc;
  }
  *out = s;
  return 0;
}
