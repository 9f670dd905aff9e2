/* weft TCP echo servers for the echo benchmark.
 *
 *   echo_weft protocol [PORT]        a protocol whose data_received writes
 *                                    the bytes back (weft_create_server)
 *   echo_weft streams [PORT]         a task per connection looping
 *                                    read -> write -> drain (weft_start_server),
 *                                    reading into a 256 KiB buffer as the Go
 *                                    server does
 *   echo_weft streams-view [PORT]    the same with weft_stream_read_view
 *                                    (no copy out of the stream's buffer)
 *   echo_weft tls CERT KEY [PORT]    the protocol server with TLS: each
 *                                    accepted connection is wrapped with
 *                                    weft_tls_wrap (asyncio's SSLProtocol)
 *
 * Prints "LISTENING <port>" once it accepts connections on 127.0.0.1.
 */
#include <weft.h>
#include <weft/net.h>
#include <weft/stream.h>
#include <weft/tls.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
  const char *mode, *cert, *key;
  int port;
} g;

/* ---- protocol ---- */

static void echo_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  (void)arg;
  if (weft_transport_write(tr, data, len) != 0)
    weft_transport_abort(tr);
}

static const weft_protocol echo_protocol = {.data_received = echo_data};

/* TLS: the accepted TCP transport's first protocol puts TLS over it, with
 * echo_protocol above; the handshake runs from the transport's callbacks. */
static weft_tls_ctx *tls_ctx;

static void tls_connection_made(weft_transport *tr, void *arg) {
  (void)arg;
  weft_tls_opts o = {.server_side = 1};
  if (weft_tls_wrap(tr, &echo_protocol, NULL, tls_ctx, &o) != 0)
    weft_transport_abort(tr);
}

static void tls_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  (void)tr, (void)data, (void)len, (void)arg; /* TLS takes over before any data */
}

static const weft_protocol tls_protocol = {.connection_made = tls_connection_made,
                                           .data_received = tls_data};

static int echo_factory(void *arg, weft_transport *tr, const weft_protocol **proto,
                        void **proto_arg) {
  (void)arg;
  (void)tr;
  *proto = tls_ctx ? &tls_protocol : &echo_protocol;
  *proto_arg = NULL;
  return 0;
}

static int tls_context(weft_tls_ctx **out) {
  weft_tls_ctx_opts o = {.server = 1, .cert_file = g.cert, .key_file = g.key};
  int err = weft_tls_ctx_new(out, &o);
  if (err)
    fprintf(stderr, "echo_weft: TLS context: %s\n", weft_tls_last_error());
  return err;
}

static int serve_protocol(int tls) {
  const char *host = "127.0.0.1";
  weft_server_opts opts = WEFT_SERVER_OPTS_INIT;
  weft_server *srv = NULL;
  int err = tls ? tls_context(&tls_ctx) : 0;
  if (!err)
    err = weft_create_server(&host, 1, g.port, echo_factory, NULL, &opts, &srv);
  if (err)
    goto out;
  printf("LISTENING %d\n", weft_server_port(srv));
  fflush(stdout);
  err = weft_server_serve_forever(srv);
  weft_server_free(srv);
out:
  if (tls_ctx)
    weft_tls_ctx_release(tls_ctx);
  return err;
}

/* ---- streams ---- */

#define STREAM_BUF (256 * 1024)

static void echo_stream(weft_stream *s, void *arg) {
  (void)arg;
  char *buf = malloc(STREAM_BUF);
  size_t got = 0;
  if (!buf)
    return;
  while (weft_stream_read(s, buf, STREAM_BUF, &got) == 0 && got > 0) {
    if (weft_stream_write(s, buf, got) != 0 || weft_stream_drain(s) != 0)
      break;
  }
  free(buf);
}

static void echo_stream_view(weft_stream *s, void *arg) {
  (void)arg;
  const char *data;
  size_t len = 0;
  while (weft_stream_read_view(s, STREAM_BUF, &data, &len) == 0 && len > 0) {
    if (weft_stream_write(s, data, len) != 0 || weft_stream_drain(s) != 0)
      break;
  }
}

static int serve_streams(int view) {
  weft_stream_server *srv = NULL;
  int err = weft_start_server("127.0.0.1", g.port, view ? echo_stream_view : echo_stream, NULL,
                              NULL, &srv);
  if (err)
    return err;
  printf("LISTENING %d\n", weft_stream_server_port(srv));
  fflush(stdout);
  err = weft_stream_server_serve_forever(srv);
  weft_stream_server_free(srv);
  return err;
}

static void *server_main(void *arg) {
  (void)arg;
  int err;
  if (strncmp(g.mode, "streams", 7) == 0)
    err = serve_streams(strcmp(g.mode, "streams-view") == 0);
  else
    err = serve_protocol(strcmp(g.mode, "tls") == 0);
  if (err)
    fprintf(stderr, "echo_weft: %s\n", weft_strerror(err));
  return (void *)(intptr_t)err;
}

static void usage(void) {
  fprintf(stderr, "usage: echo_weft protocol|streams|streams-view [PORT] | "
                  "echo_weft tls CERT KEY [PORT]\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 2)
    usage();
  g.mode = argv[1];
  int next = 2;
  if (strcmp(g.mode, "tls") == 0) {
    if (argc < 4)
      usage();
    g.cert = argv[2];
    g.key = argv[3];
    next = 4;
  } else if (strcmp(g.mode, "protocol") != 0 && strcmp(g.mode, "streams") != 0 &&
             strcmp(g.mode, "streams-view") != 0) {
    usage();
  }
  g.port = argc > next ? atoi(argv[next]) : 0;
  void *res = NULL;
  int err = weft_run(server_main, NULL, &res);
  return err || res ? 1 : 0;
}
