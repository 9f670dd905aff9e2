/*
 * Stream servers: a net server whose protocol factory makes a stream per
 * connection and whose connection_made starts the handler's task.
 *
 * The server object is referenced by the user and by every running handler,
 * so wait_closed can wait for handlers and a handler may outlive the free.
 */
#include <errno.h>
#include <math.h>

#include "stream.h"

struct weft_stream_server {
  weft_server *srv;
  weft_stream_handler handler;
  void *arg;
  uint32_t refs;
  size_t handlers;    /* running handler tasks */
  weft__list waiters; /* wait_closed waiting for handlers */
};

static void server_unref(weft_stream_server *ss) {
  if (--ss->refs > 0)
    return;
  weft_free(ss);
}

void weft__stream_server_handler_done(weft_stream_server *ss) {
  if (--ss->handlers == 0)
    weft__stream_wake_all(&ss->waiters);
  server_unref(ss);
}

static void *handler_task(void *arg) {
  weft_stream *s = arg;
  weft_stream_server *ss = s->server;

  s->handler(s, s->handler_arg);
  if (!s->detached)
    weft_stream_free(s);
  weft__stream_server_handler_done(ss);
  return NULL;
}

/* Start the handler's task; on failure the connection is aborted. */
static void start_handler(weft_stream_server *ss, weft_stream *s) {
  weft_spawn_opts o = {.name = "stream handler"};

  if (weft_spawn(NULL, handler_task, s, &o) != 0) {
    weft_stream_abort(s);
    weft_stream_free(s);
    return;
  }
  ss->handlers++;
  ss->refs++;
}

/* The stream is made here, not in the factory: a connection whose TLS
 * handshake fails never gets this far, and must not leave a stream behind.
 * The transport then switches to the stream's own protocol. */
static void on_made_server(weft_transport *tr, void *arg) {
  weft_stream_server *ss = arg;
  weft_stream *s = weft__stream_new(weft_transport_loop(tr));

  if (!s) {
    weft_transport_abort(tr);
    return;
  }
  s->handler = ss->handler;
  s->handler_arg = ss->arg;
  s->server = ss;
  weft__stream_attach_read(s, tr);
  weft__stream_attach_write(s, tr);
  weft_transport_set_protocol(tr, &weft__stream_protocol, s);
  start_handler(ss, s);
}

/* Nothing arrives before connection_made switches the protocol. */
static void no_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  WEFT__UNUSED(tr);
  WEFT__UNUSED(data);
  WEFT__UNUSED(len);
  WEFT__UNUSED(arg);
}

static const weft_protocol server_protocol = {
    .connection_made = on_made_server,
    .data_received = no_data,
};

static int factory(void *arg, weft_transport *tr, const weft_protocol **proto, void **proto_arg) {
  WEFT__UNUSED(tr);
  *proto = &server_protocol;
  *proto_arg = arg;
  return 0;
}

static int server_new(weft_stream_handler handler, void *arg, weft_stream_server **out) {
  weft_stream_server *ss;

  *out = NULL;
  if (!handler)
    return -EINVAL;
  if (!(ss = weft_calloc(1, sizeof *ss)))
    return -ENOMEM;
  ss->handler = handler;
  ss->arg = arg;
  ss->refs = 1;
  weft__list_init(&ss->waiters);
  *out = ss;
  return 0;
}

int weft_start_server(const char *host, int port, weft_stream_handler handler, void *arg,
                      const weft_server_opts *opts, weft_stream_server **out) {
  const char *hosts[1] = {host};
  int rc = server_new(handler, arg, out);

  if (rc)
    return rc;
  rc = weft_create_server(host ? hosts : NULL, host ? 1 : 0, port, factory, *out, opts,
                          &(*out)->srv);
  if (rc) {
    weft_free(*out);
    *out = NULL;
  }
  return rc;
}

int weft_start_unix_server(const char *path, weft_stream_handler handler, void *arg,
                           const weft_server_opts *opts, weft_stream_server **out) {
  int rc = server_new(handler, arg, out);

  if (rc)
    return rc;
  rc = weft_create_unix_server(path, factory, *out, opts, &(*out)->srv);
  if (rc) {
    weft_free(*out);
    *out = NULL;
  }
  return rc;
}

weft_server *weft_stream_server_net(weft_stream_server *ss) {
  return ss->srv;
}

int weft_stream_server_port(const weft_stream_server *ss) {
  return weft_server_port(ss->srv);
}

void weft_stream_server_close(weft_stream_server *ss) {
  weft_server_close(ss->srv);
}

int weft_stream_server_serve_forever(weft_stream_server *ss) {
  return weft_server_serve_forever(ss->srv);
}

int weft_stream_server_wait_closed(weft_stream_server *ss, double grace_seconds) {
  int rc = weft_server_wait_closed(ss->srv, grace_seconds);

  while (rc == 0 && ss->handlers > 0)
    rc = weft__stream_park(&ss->waiters, "stream server wait_closed");
  return rc;
}

void weft_stream_server_free(weft_stream_server *ss) {
  if (!ss)
    return;
  weft_server_free(ss->srv);
  ss->srv = NULL;
  server_unref(ss);
}
