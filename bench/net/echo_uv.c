/* Raw libuv TCP echo server: the physical-limit reference of the echo
 * benchmark. Each connection owns one read buffer; a read is written back
 * with uv_try_write, and only what the socket did not take goes through
 * uv_write, with reading paused until it completes, so the buffer is reused
 * and nothing is copied or allocated per message.
 *
 *   echo_uv [PORT]        (0 or nothing: an ephemeral port)
 *
 * Prints "LISTENING <port>" once it accepts connections, on 127.0.0.1.
 */
#include <uv.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_SIZE (256 * 1024)

typedef struct conn {
  uv_tcp_t tcp;
  uv_write_t wreq;
  char buf[BUF_SIZE];
} conn;

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void on_close(uv_handle_t *h) {
  free(h->data);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)hint;
  *buf = uv_buf_init(((conn *)h->data)->buf, BUF_SIZE);
}

static void on_written(uv_write_t *req, int status) {
  conn *c = req->data;
  if (status < 0 || uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
    uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void echo(conn *c, size_t len) {
  uv_buf_t b = uv_buf_init(c->buf, (unsigned)len);
  int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (n == UV_EAGAIN)
    n = 0;
  if (n < 0)
    goto fail;
  if ((size_t)n == len)
    return;
  uv_read_stop((uv_stream_t *)&c->tcp);
  b = uv_buf_init(c->buf + n, (unsigned)(len - (size_t)n));
  c->wreq.data = c;
  if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_written) == 0)
    return;
fail:
  uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  (void)buf;
  if (n > 0)
    echo(s->data, (size_t)n);
  else if (n < 0)
    uv_close((uv_handle_t *)s, on_close);
}

static void on_connection(uv_stream_t *server, int status) {
  if (status < 0)
    return;
  conn *c = malloc(sizeof *c);
  if (!c)
    return;
  uv_tcp_init(server->loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
    uv_close((uv_handle_t *)&c->tcp, on_close);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

int main(int argc, char **argv) {
  uv_loop_t *loop = uv_default_loop();
  uv_tcp_t server;
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int len = sizeof bound;
  uv_ip4_addr("127.0.0.1", argc > 1 ? atoi(argv[1]) : 0, &addr);
  uv_tcp_init(loop, &server);
  int err = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
  if (!err)
    err = uv_listen((uv_stream_t *)&server, 1024, on_connection);
  if (!err)
    err = uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &len);
  if (err) {
    fprintf(stderr, "echo_uv: %s\n", uv_strerror(err));
    return 1;
  }
  printf("LISTENING %d\n", ntohs(((struct sockaddr_in *)&bound)->sin_port));
  fflush(stdout);
  return uv_run(loop, UV_RUN_DEFAULT);
}
