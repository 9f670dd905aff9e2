/*
 * UDP echo, the two programs of asyncio's documentation in one: a server in
 * protocol style (DatagramProtocol: every datagram is sent straight back
 * from datagram_received) and a client in task style that sends a few
 * messages, prints the echoes and closes. Both run on 127.0.0.1; the server
 * takes an ephemeral port and the client connects to it.
 */
#include <stdio.h>
#include <string.h>
#include <weft.h>

static void server_made(weft_udp *u, void *arg) {
  (void)u;
  (void)arg;
  printf("Server: ready\n");
}

static void server_datagram(weft_udp *u, const void *data, size_t len, const struct sockaddr *addr,
                            void *arg) {
  int rc;

  (void)arg;
  printf("Server: received %.*s\n", (int)len, (const char *)data);
  if ((rc = weft_udp_sendto(u, data, len, addr)) != 0)
    printf("Server: could not echo: %s\n", weft_strerror(rc));
}

static void server_error(weft_udp *u, int err, void *arg) {
  (void)u;
  (void)arg;
  printf("Server: error %s\n", weft_strerror(err));
}

static void server_lost(weft_udp *u, int err, void *arg) {
  (void)u;
  (void)arg;
  printf("Server: closed (%d)\n", err);
}

static const weft_udp_protocol echo_protocol = {server_made, server_datagram, server_error,
                                                server_lost};

static int client(int port) {
  static const char *const messages[] = {"Hello World!", "Hello UDP", "Bye"};
  weft_udp_opts o = {.remote_host = "127.0.0.1", .remote_port = port};
  char buf[256];
  weft_scope sc;
  weft_udp *c;
  size_t len;
  int rc;

  if ((rc = weft_udp_open(&c, &o)) != 0)
    return rc;
  for (size_t i = 0; rc == 0 && i < sizeof messages / sizeof *messages; i++) {
    printf("Client: send %s\n", messages[i]);
    if ((rc = weft_udp_send(c, messages[i], strlen(messages[i]))) != 0)
      break;
    weft_timeout_enter(&sc, 5); /* UDP may lose a datagram: do not wait forever */
    rc = weft_udp_recvfrom(c, buf, sizeof buf, &len, NULL);
    weft_timeout_leave(&sc);
    if (rc == 0)
      printf("Client: received %.*s\n", (int)len, buf);
  }
  printf("Client: close the socket\n");
  weft_udp_close(c);
  return rc;
}

static void *amain(void *arg) {
  weft_udp_opts o = {.local_host = "127.0.0.1", .protocol = &echo_protocol};
  struct sockaddr_storage ss;
  char where[64];
  weft_udp *server;
  int rc;

  (void)arg;
  if ((rc = weft_udp_open(&server, &o)) != 0)
    return weft_fail(rc, "server: %s", weft_strerror(rc));
  weft_udp_sockname(server, &ss);
  printf("Server: listening on %s\n",
         weft_udp_addr_str((struct sockaddr *)&ss, where, sizeof where));
  rc = client(weft_udp_addr_port((struct sockaddr *)&ss));
  weft_udp_close(server);
  weft_sleep(0.01); /* let connection_lost run before the loop ends */
  if (rc)
    return weft_fail(rc, "client: %s", weft_strerror(rc));
  return NULL;
}

int main(void) {
  int rc;

  setvbuf(stdout, NULL, _IOLBF, 0);
  rc = weft_run(amain, NULL, NULL);
  if (rc) {
    fprintf(stderr, "udp echo: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
