/*
 * An echo server and client with streams (asyncio's start_server /
 * open_connection echo pair): the server answers every line it reads, the
 * client sends a few messages, prints the echoes, half-closes and waits for
 * the server to close.
 */
#include <stdio.h>
#include <weft.h>

static void handle_echo(weft_stream *s, void *arg) {
  struct sockaddr_storage peer;
  char addr[64] = "?";
  const char *line;
  size_t len;

  (void)arg;
  if (weft_stream_peername(s, &peer) == 0)
    weft_sockaddr_format((struct sockaddr *)&peer, addr, sizeof addr);
  while (weft_stream_next_line(s, &line, &len) > 0) {
    printf("[server] Received %.*s from %s\n", (int)(len - (line[len - 1] == '\n')), line, addr);
    if (weft_stream_write(s, line, len) != 0 || weft_stream_drain(s) != 0)
      break;
  }
  printf("[server] Close the connection from %s\n", addr);
}

static void *client(int port) {
  static const char *const msgs[] = {"Hello World!", "你好，weft", "bye"};
  weft_stream *s;
  const char *line;
  size_t len;
  int rc;

  if ((rc = weft_open_connection("127.0.0.1", port, NULL, &s)) != 0)
    return weft_fail(rc, "open_connection: %s", weft_strerror(rc));
  for (size_t i = 0; i < sizeof msgs / sizeof msgs[0] && rc == 0; i++) {
    printf("[client] Send: %s\n", msgs[i]);
    weft_stream_write_str(s, msgs[i]);
    weft_stream_write_str(s, "\n");
    if ((rc = weft_stream_drain(s)) == 0 && (rc = weft_stream_read_line(s, &line, &len)) == 0)
      printf("[client] Received: %.*s\n", (int)(len ? len - 1 : 0), line);
  }
  weft_stream_write_eof(s);
  if (rc == 0 && weft_stream_next_line(s, &line, &len) == 0)
    printf("[client] Server closed the connection\n");
  weft_stream_free(s);
  return rc ? weft_fail(rc, "echo: %s", weft_strerror(rc)) : NULL;
}

static void *amain(void *arg) {
  weft_stream_server *srv;
  void *res;
  int rc;

  (void)arg;
  if ((rc = weft_start_server("127.0.0.1", 0, handle_echo, NULL, NULL, &srv)) != 0)
    return weft_fail(rc, "start_server: %s", weft_strerror(rc));
  printf("Serving on 127.0.0.1:%d\n", weft_stream_server_port(srv));
  res = client(weft_stream_server_port(srv));
  weft_stream_server_close(srv);
  weft_stream_server_wait_closed(srv, INFINITY);
  weft_stream_server_free(srv);
  return res;
}

int main(void) {
  int rc = weft_run(amain, NULL, NULL);

  if (rc)
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return rc ? 1 : 0;
}
