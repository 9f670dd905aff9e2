/*
 * UDP endpoints in protocol style (asyncio's DatagramProtocol): callback
 * order, an echo server in callbacks, errors, closing from a callback.
 */
#include "test.h"

typedef struct proto_log {
  char text[512];
  int lost;
  int close_after; /* close from datagram_received after this many */
  int datagrams;
} proto_log;

static void logf_(proto_log *l, const char *s) {
  size_t n = strlen(l->text);

  snprintf(l->text + n, sizeof l->text - n, "%s%s", n ? "," : "", s);
}

static void p_made(weft_udp *u, void *arg) {
  (void)u;
  logf_(arg, "made");
}

/* Echo each datagram back, upper-cased. */
static void p_datagram(weft_udp *u, const void *data, size_t len, const struct sockaddr *addr,
                       void *arg) {
  proto_log *l = arg;
  char out[64];

  snprintf(out, sizeof out, "dgram:%.*s", (int)len, (const char *)data);
  logf_(l, out);
  for (size_t i = 0; i < len && i < sizeof out; i++)
    out[i] = (char)(((const char *)data)[i] & ~0x20);
  if (weft_udp_peername(u, &(struct sockaddr_storage){0}) == -ENOTCONN)
    ASSERT_OK(weft_udp_sendto(u, out, len, addr));
  if (++l->datagrams == l->close_after)
    weft_udp_close(u);
}

static void p_error(weft_udp *u, int err, void *arg) {
  char s[64];

  (void)u;
  snprintf(s, sizeof s, "error:%s", weft_err_name(err));
  logf_(arg, s);
}

static void p_lost(weft_udp *u, int err, void *arg) {
  proto_log *l = arg;

  (void)u;
  ASSERT_OK(err);
  l->lost++;
  logf_(l, "lost");
}

static const weft_udp_protocol proto = {p_made, p_datagram, p_error, p_lost};

static weft_udp *open_proto(proto_log *l, const char *remote, int rport, int *port) {
  weft_udp_opts o = {.local_host = "127.0.0.1",
                     .remote_host = remote,
                     .remote_port = rport,
                     .protocol = &proto,
                     .protocol_arg = l};
  struct sockaddr_storage ss;
  weft_udp *u = NULL;

  ASSERT_OK(weft_udp_open(&u, &o));
  ASSERT_STR_EQ("made", l->text); /* before open returns */
  ASSERT_OK(weft_udp_sockname(u, &ss));
  if (port)
    *port = weft_udp_addr_port((struct sockaddr *)&ss);
  return u;
}

static void *proto_echo(void *arg) {
  proto_log l = {0};
  int port;
  weft_udp *srv = open_proto(&l, NULL, 0, &port), *c = NULL;
  weft_udp_opts o = {.remote_host = "127.0.0.1", .remote_port = port};
  char buf[16];
  size_t len;

  (void)arg;
  ASSERT_OK(weft_udp_open(&c, &o));
  ASSERT_OK(weft_udp_send(c, "abc", 3));
  ASSERT_OK(weft_udp_recvfrom(c, buf, sizeof buf, &len, NULL));
  ASSERT_OK(memcmp(buf, "ABC", 3));
  ASSERT_OK(weft_udp_send(c, "", 0));
  ASSERT_OK(weft_udp_recvfrom(c, buf, sizeof buf, &len, NULL));
  ASSERT_EQ(0, len);
  ASSERT_EQ(-EINVAL, weft_udp_recvfrom(srv, buf, sizeof buf, &len, NULL));
  weft_udp_close(srv);
  weft_udp_close(srv);  /* twice: no-op */
  ASSERT_EQ(0, l.lost); /* connection_lost comes from the loop, later */
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_EQ(1, l.lost);
  ASSERT_STR_EQ("made,dgram:abc,dgram:,lost", l.text);
  weft_udp_close(c);
  return NULL;
}

TEST_IMPL(udp_proto_echo) {
  ASSERT_OK(weft_test_run(proto_echo, NULL, NULL));
  return 0;
}

/* A refused datagram of a connected protocol endpoint: error_received. */
static void *proto_refused(void *arg) {
  proto_log gone_log = {0}, l = {0};
  int port;
  weft_udp *gone = open_proto(&gone_log, NULL, 0, &port), *c;

  (void)arg;
  weft_udp_close(gone);
  c = open_proto(&l, "127.0.0.1", port, NULL);
  ASSERT_OK(weft_udp_send(c, "x", 1));
  for (int i = 0; i < 500 && !strstr(l.text, "error"); i++)
    ASSERT_OK(weft_sleep(0.01));
  ASSERT_STR_EQ("made,error:ECONNREFUSED", l.text);
  weft_udp_close(c);
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_STR_EQ("made,error:ECONNREFUSED,lost", l.text);
  ASSERT_STR_EQ("made,lost", gone_log.text);
  return NULL;
}

TEST_IMPL(udp_proto_refused) {
  ASSERT_OK(weft_test_run(proto_refused, NULL, NULL));
  return 0;
}

/* Closing from datagram_received: nothing is delivered after it, and
 * connection_lost runs once. */
static void *proto_close_inside(void *arg) {
  proto_log l = {.close_after = 1};
  int port;
  weft_udp *c = NULL;
  weft_udp_opts o = {.remote_host = "127.0.0.1"};

  (void)arg;
  open_proto(&l, NULL, 0, &port); /* closes itself */
  o.remote_port = port;
  ASSERT_OK(weft_udp_open(&c, &o));
  for (int i = 0; i < 5; i++) /* likely read in one batch by the server */
    ASSERT_OK(weft_udp_send(c, "m", 1));
  for (int i = 0; i < 200 && !l.lost; i++)
    ASSERT_OK(weft_sleep(0.01));
  ASSERT_STR_EQ("made,dgram:m,lost", l.text);
  weft_udp_close(c);
  return NULL;
}

TEST_IMPL(udp_proto_close_inside) {
  ASSERT_OK(weft_test_run(proto_close_inside, NULL, NULL));
  return 0;
}

/* An endpoint that fails to open runs no callback at all. */
static void *proto_open_fails(void *arg) {
  proto_log l = {0};
  weft_udp_opts o = {.local_host = "192.0.2.200", .protocol = &proto, .protocol_arg = &l};
  weft_udp *u = NULL;

  (void)arg;
  ASSERT_EQ(-EADDRNOTAVAIL, weft_udp_open(&u, &o));
  ASSERT_NULL(u);
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_STR_EQ("", l.text);
  return NULL;
}

TEST_IMPL(udp_proto_open_fails) {
  ASSERT_OK(weft_test_run(proto_open_fails, NULL, NULL));
  return 0;
}
