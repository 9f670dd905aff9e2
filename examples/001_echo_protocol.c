/*
 * An echo server and client with protocols and transports (asyncio's
 * callback interface): no task per connection. The server echoes what it
 * receives; the client sends a few lines, prints each echo, half-closes,
 * and the server closes in turn.
 */
#include <stdio.h>
#include <string.h>
#include <weft.h>

/* ---- server ---------------------------------------------------------- */

static void server_made(weft_transport *tr, void *arg) {
  struct sockaddr_storage peer;
  char name[64] = "?";

  (void)arg;
  if (weft_transport_peername(tr, &peer) == 0)
    weft_sockaddr_format((struct sockaddr *)&peer, name, sizeof name);
  printf("[server] Connection from %s\n", name);
}

static void server_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  (void)arg;
  printf("[server] Echoing %zu bytes\n", len);
  weft_transport_write(tr, data, len);
}

static int server_eof(weft_transport *tr, void *arg) {
  (void)tr;
  (void)arg;
  printf("[server] The client is done sending; closing\n");
  return 0; /* close our side too */
}

static void server_lost(weft_transport *tr, int err, void *arg) {
  (void)tr;
  (void)arg;
  printf("[server] Connection closed (%s)\n", err ? weft_strerror(err) : "cleanly");
}

static const weft_protocol server_proto = {
    .connection_made = server_made,
    .data_received = server_data,
    .eof_received = server_eof,
    .connection_lost = server_lost,
};

static int echo_factory(void *arg, weft_transport *tr, const weft_protocol **proto, void **parg) {
  (void)arg;
  (void)tr;
  *proto = &server_proto;
  *parg = NULL;
  return 0;
}

/* ---- client ---------------------------------------------------------- */

typedef struct client {
  char line[256];
  size_t len;
  int echoes;
  weft_event all_echoed;
  weft_event closed;
} client;

static void client_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  client *c = arg;

  (void)tr;
  /* Data comes in pieces of any size: split it into lines. */
  for (size_t i = 0; i < len; i++) {
    if (data[i] != '\n') {
      if (c->len + 1 < sizeof c->line)
        c->line[c->len++] = data[i];
      continue;
    }
    c->line[c->len] = '\0';
    printf("[client] Received: %s\n", c->line);
    c->len = 0;
    if (++c->echoes == 3)
      weft_event_set(&c->all_echoed);
  }
}

static int client_eof(weft_transport *tr, void *arg) {
  (void)tr;
  (void)arg;
  printf("[client] Server closed the connection\n");
  return 0;
}

static void client_lost(weft_transport *tr, int err, void *arg) {
  client *c = arg;

  (void)tr;
  if (err)
    printf("[client] Connection lost: %s\n", weft_strerror(err));
  weft_event_set(&c->closed);
}

static const weft_protocol client_proto = {
    .data_received = client_data,
    .eof_received = client_eof,
    .connection_lost = client_lost,
};

static void *run_client(int port) {
  static const char *const lines[] = {"Hello World!", "你好，weft", "bye"};
  weft_transport *tr;
  client c = {0};
  int rc;

  weft_event_init(&c.all_echoed);
  weft_event_init(&c.closed);
  rc = weft_create_connection("127.0.0.1", port, &client_proto, &c, NULL, &tr);
  if (rc)
    return weft_fail(rc, "connect: %s", weft_strerror(rc));
  for (size_t i = 0; i < 3; i++) {
    printf("[client] Send: %s\n", lines[i]);
    weft_transport_write(tr, lines[i], strlen(lines[i]));
    weft_transport_write(tr, "\n", 1);
  }
  weft_event_wait(&c.all_echoed);
  weft_transport_write_eof(tr); /* half-close: the server sees EOF */
  weft_event_wait(&c.closed);
  weft_event_destroy(&c.all_echoed);
  weft_event_destroy(&c.closed);
  return NULL;
}

static void *main_task(void *arg) {
  static const char *const hosts[] = {"127.0.0.1"};
  weft_server *srv;
  void *res;
  int rc;

  (void)arg;
  rc = weft_create_server(hosts, 1, 0, echo_factory, NULL, NULL, &srv);
  if (rc)
    return weft_fail(rc, "listen: %s", weft_strerror(rc));
  printf("Serving on 127.0.0.1:%d\n", weft_server_port(srv));
  res = run_client(weft_server_port(srv));
  weft_server_close(srv);
  weft_server_wait_closed(srv, 1.0);
  weft_server_free(srv);
  return res;
}

int main(void) {
  int rc = weft_run(main_task, NULL, NULL);

  if (rc)
    fprintf(stderr, "echo: %s\n", weft_strerror(rc));
  return rc ? 1 : 0;
}
