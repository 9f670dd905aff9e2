/*
 * UDP endpoints in task style: echo over IPv4 and IPv6, connected and
 * unconnected endpoints, datagram sizes (empty, largest, oversized,
 * truncated), names, addresses and bad arguments.
 */
#include <arpa/inet.h>

#include "test.h"

/* An endpoint on host (numeric) with an ephemeral port; *port gets it. */
static weft_udp *open_on(const char *host, int *port) {
  weft_udp_opts o = {.local_host = host};
  struct sockaddr_storage ss;
  weft_udp *u = NULL;

  ASSERT_OK(weft_udp_open(&u, &o));
  ASSERT_OK(weft_udp_sockname(u, &ss));
  if (port)
    *port = weft_udp_addr_port((struct sockaddr *)&ss);
  return u;
}

static void echo_round(const char *host) {
  int pa, pb;
  weft_udp *a = open_on(host, &pa), *b = open_on(host, &pb);
  struct sockaddr_storage to, from;
  char buf[64];
  size_t len = 0;

  ASSERT_GT(pa, 0);
  ASSERT_NE(pa, pb);
  ASSERT_OK(weft_udp_addr(&to, host, pb, AF_UNSPEC));
  ASSERT_OK(weft_udp_sendto(a, "ping", 4, (struct sockaddr *)&to));
  ASSERT_OK(weft_udp_recvfrom(b, buf, sizeof buf, &len, &from));
  ASSERT_EQ(4, len);
  ASSERT_OK(memcmp(buf, "ping", 4));
  ASSERT_EQ(pa, weft_udp_addr_port((struct sockaddr *)&from));
  ASSERT_OK(weft_udp_sendto(b, "pong!", 5, (struct sockaddr *)&from));
  ASSERT_OK(weft_udp_recvfrom(a, buf, sizeof buf, &len, NULL));
  ASSERT_EQ(5, len);
  ASSERT_OK(memcmp(buf, "pong!", 5));
  weft_udp_close(a);
  weft_udp_close(b);
}

static void *echo_v4(void *arg) {
  (void)arg;
  echo_round("127.0.0.1");
  return NULL;
}

TEST_IMPL(udp_echo_v4) {
  ASSERT_OK(weft_test_run(echo_v4, NULL, NULL));
  return 0;
}

static void *echo_v6(void *arg) {
  char s[64];
  struct sockaddr_storage ss;
  weft_udp *u;

  (void)arg;
  echo_round("::1");
  u = open_on("::1", NULL);
  ASSERT_OK(weft_udp_sockname(u, &ss));
  ASSERT_EQ(AF_INET6, ss.ss_family);
  weft_udp_addr_str((struct sockaddr *)&ss, s, sizeof s);
  ASSERT_OK(strncmp(s, "[::1]:", 6));
  weft_udp_close(u);
  return NULL;
}

TEST_IMPL(udp_echo_v6) {
  ASSERT_OK(weft_test_run(echo_v6, NULL, NULL));
  return 0;
}

/* A connected endpoint sends without an address and hears only its peer. */
static void *connected(void *arg) {
  int pp, po;
  weft_udp *peer = open_on("127.0.0.1", &pp), *other = open_on("127.0.0.1", &po), *c = NULL;
  weft_udp_opts o = {.remote_host = "127.0.0.1", .remote_port = pp};
  struct sockaddr_storage ss, from;
  char buf[16];
  size_t len;

  (void)arg;
  ASSERT_OK(weft_udp_open(&c, &o));
  ASSERT_OK(weft_udp_peername(c, &ss));
  ASSERT_EQ(pp, weft_udp_addr_port((struct sockaddr *)&ss));
  ASSERT_OK(weft_udp_sockname(c, &ss));
  ASSERT_EQ(-EISCONN, weft_udp_sendto(c, "x", 1, (struct sockaddr *)&ss));
  ASSERT_EQ(-ENOTCONN, weft_udp_peername(peer, &from));
  ASSERT_EQ(-EDESTADDRREQ, weft_udp_send(peer, "x", 1));
  ASSERT_OK(weft_udp_send(c, "hi", 2));
  ASSERT_OK(weft_udp_recvfrom(peer, buf, sizeof buf, &len, &from));
  ASSERT_EQ(2, len);
  /* a stranger's datagram never reaches the connected endpoint */
  ASSERT_OK(weft_udp_sendto(other, "stranger", 8, (struct sockaddr *)&from));
  ASSERT_OK(weft_udp_sendto(peer, "peer", 4, (struct sockaddr *)&from));
  ASSERT_OK(weft_udp_recvfrom(c, buf, sizeof buf, &len, &from));
  ASSERT_EQ(4, len);
  ASSERT_OK(memcmp(buf, "peer", 4));
  ASSERT_EQ(pp, weft_udp_addr_port((struct sockaddr *)&from));
  ASSERT_OK(weft_sleep(0.05));
  ASSERT_EQ(-EAGAIN, weft_udp_try_recvfrom(c, buf, sizeof buf, &len, NULL));
  weft_udp_close(c);
  weft_udp_close(peer);
  weft_udp_close(other);
  return NULL;
}

TEST_IMPL(udp_connected) {
  ASSERT_OK(weft_test_run(connected, NULL, NULL));
  return 0;
}

/* Send n bytes of a pattern from a to b (both on 127.0.0.1) and receive
 * them into a buffer of cap bytes; returns recvfrom's code. */
static int send_recv(size_t n, size_t cap, size_t *len) {
  int pb;
  weft_udp *a = open_on("127.0.0.1", NULL), *b = open_on("127.0.0.1", &pb);
  struct sockaddr_storage to;
  char *out = malloc(n + 1), *in = malloc(cap + 1);
  int rc;

  for (size_t i = 0; i < n; i++)
    out[i] = (char)(i * 7 + 1);
  ASSERT_OK(weft_udp_addr(&to, "127.0.0.1", pb, AF_INET));
  ASSERT_OK(weft_udp_sendto(a, out, n, (struct sockaddr *)&to));
  rc = weft_udp_recvfrom(b, in, cap, len, NULL);
  ASSERT_OK(memcmp(in, out, n < cap ? n : cap));
  /* the next datagram is whole: the cut one was consumed, nothing mixed */
  ASSERT_OK(weft_udp_sendto(a, "next", 4, (struct sockaddr *)&to));
  ASSERT_OK(weft_udp_recvfrom(b, in, cap, &(size_t){0}, NULL));
  ASSERT_OK(memcmp(in, "next", 4));
  free(out);
  free(in);
  weft_udp_close(a);
  weft_udp_close(b);
  return rc;
}

static void *sizes(void *arg) {
  size_t len = 99;

  (void)arg;
  ASSERT_OK(send_recv(0, 16, &len)); /* an empty datagram is a datagram */
  ASSERT_EQ(0, len);
  ASSERT_OK(send_recv(65507, 65507, &len)); /* the largest IPv4 payload */
  ASSERT_EQ(65507, len);
  ASSERT_EQ(-EMSGSIZE, send_recv(2000, 100, &len)); /* cut: reported */
  ASSERT_EQ(2000, len);
  return NULL;
}

TEST_TIMEOUT(udp_sizes, 20);
TEST_IMPL(udp_sizes) {
  ASSERT_OK(weft_test_run(sizes, NULL, NULL));
  return 0;
}

static void *oversized(void *arg) {
  weft_udp *a = open_on("127.0.0.1", NULL), *b = open_on("::1", NULL);
  struct sockaddr_storage to4, to6;
  static char big[70000];

  (void)arg;
  ASSERT_OK(weft_udp_addr(&to4, "127.0.0.1", 9, AF_INET));
  ASSERT_OK(weft_udp_addr(&to6, "::1", 9, AF_INET6));
  ASSERT_EQ(-EMSGSIZE, weft_udp_sendto(a, big, 65508, (struct sockaddr *)&to4));
  ASSERT_EQ(-EMSGSIZE, weft_udp_sendto(a, big, sizeof big, (struct sockaddr *)&to4));
  ASSERT_EQ(-EMSGSIZE, weft_udp_sendto(b, big, 65528, (struct sockaddr *)&to6));
  ASSERT_OK(weft_udp_sendto(b, big, 65527, (struct sockaddr *)&to6));
  weft_udp_close(a);
  weft_udp_close(b);
  return NULL;
}

TEST_IMPL(udp_oversized) {
  ASSERT_OK(weft_test_run(oversized, NULL, NULL));
  return 0;
}

/* Host names go through the resolver. */
static void *names(void *arg) {
  weft_udp_opts o = {.local_host = "localhost", .family = AF_INET};
  weft_udp *u = NULL, *c = NULL;
  struct sockaddr_storage ss;
  char buf[8];
  size_t len;

  (void)arg;
  ASSERT_OK(weft_udp_open(&u, &o));
  ASSERT_OK(weft_udp_sockname(u, &ss));
  ASSERT_EQ(htonl(INADDR_LOOPBACK), ((struct sockaddr_in *)&ss)->sin_addr.s_addr);
  o = (weft_udp_opts){.remote_host = "localhost",
                      .remote_port = weft_udp_addr_port((struct sockaddr *)&ss),
                      .family = AF_INET};
  ASSERT_OK(weft_udp_open(&c, &o));
  ASSERT_OK(weft_udp_send(c, "name", 4));
  ASSERT_OK(weft_udp_recvfrom(u, buf, sizeof buf, &len, NULL));
  ASSERT_EQ(4, len);
  ASSERT_OK(weft_udp_addr(&ss, "localhost", 53, AF_INET));
  ASSERT_EQ(53, weft_udp_addr_port((struct sockaddr *)&ss));
  weft_udp_close(u);
  weft_udp_close(c);
  return NULL;
}

TEST_IMPL(udp_names) {
  ASSERT_OK(weft_test_run(names, NULL, NULL));
  return 0;
}

static void *bad_open(void *arg) {
  weft_udp *u = NULL;
  weft_udp_opts o = {.local_port = 70000};

  (void)arg;
  ASSERT_EQ(-EINVAL, weft_udp_open(NULL, &o));
  ASSERT_EQ(-EINVAL, weft_udp_open(&u, NULL));
  ASSERT_EQ(-EINVAL, weft_udp_open(&u, &o));
  o = (weft_udp_opts){.remote_port = -1, .remote_host = "127.0.0.1"};
  ASSERT_EQ(-EINVAL, weft_udp_open(&u, &o));
  o = (weft_udp_opts){.family = AF_UNIX};
  ASSERT_EQ(-EINVAL, weft_udp_open(&u, &o));
  o = (weft_udp_opts){.local_host = "::1", .family = AF_INET};
  ASSERT_EQ(-EINVAL, weft_udp_open(&u, &o));
  o = (weft_udp_opts){.local_host = "::1", .remote_host = "127.0.0.1", .remote_port = 9};
  ASSERT_EQ(-EINVAL, weft_udp_open(&u, &o));
  o = (weft_udp_opts){.local_host = "192.0.2.200"}; /* not ours */
  ASSERT_EQ(-EADDRNOTAVAIL, weft_udp_open(&u, &o));
  ASSERT_NULL(u);
  return NULL;
}

static void *bad_calls(void *arg) {
  weft_udp *u = open_on("127.0.0.1", NULL);
  struct sockaddr_storage ss6, ss;
  char buf[4];
  size_t len;

  (void)arg;
  ASSERT_OK(weft_udp_addr(&ss6, "::1", 9, AF_INET6));
  ASSERT_EQ(-EINVAL, weft_udp_sendto(NULL, "x", 1, (struct sockaddr *)&ss6));
  ASSERT_EQ(-EINVAL, weft_udp_sendto(u, NULL, 1, (struct sockaddr *)&ss6));
  ASSERT_EQ(-EINVAL, weft_udp_sendto(u, "x", 1, (struct sockaddr *)&ss6)); /* family */
  ASSERT_EQ(-EINVAL, weft_udp_recvfrom(NULL, buf, sizeof buf, &len, NULL));
  ASSERT_EQ(-EINVAL, weft_udp_recvfrom(u, buf, sizeof buf, NULL, NULL));
  ASSERT_EQ(-EINVAL, weft_udp_recvfrom(u, NULL, 4, &len, NULL));
  ASSERT_EQ(-EINVAL, weft_udp_addr(&ss, "127.0.0.1", 65536, AF_UNSPEC));
  ASSERT_EQ(-EINVAL, weft_udp_addr(&ss, NULL, 1, AF_UNSPEC));
  ASSERT_EQ(-EINVAL, weft_udp_addr(&ss, "127.0.0.1", 1, AF_UNIX));
  ASSERT_EQ(-EAFNOSUPPORT, weft_udp_addr(&ss, "127.0.0.1", 1, AF_INET6));
  ASSERT_EQ(-EINVAL, weft_udp_addr_port(NULL));
  ASSERT_EQ(-EINVAL, weft_udp_sockname(NULL, &ss));
  ASSERT_EQ(-EINVAL, weft_udp_sockname(u, NULL));
  ASSERT_EQ(-EINVAL, weft_udp_set_ttl(u, 0));
  ASSERT_EQ(-EINVAL, weft_udp_set_ttl(u, 256));
  ASSERT_OK(weft_udp_set_ttl(u, 64));
  ASSERT_EQ(-EINVAL, weft_udp_set_multicast_ttl(u, -1));
  ASSERT_EQ(-EINVAL, weft_udp_join(u, "127.0.0.1", NULL)); /* not multicast */
  ASSERT_EQ(-EINVAL, weft_udp_join(u, "not an address", NULL));
  ASSERT_EQ(-EINVAL, weft_udp_join(u, "ff02::1", NULL)); /* other family */
  ASSERT_EQ(-EINVAL, weft_udp_set_multicast_interface(u, NULL));
  ASSERT_EQ(-EINVAL, weft_udp_set_broadcast(NULL, 1));
  weft_udp_close(u);
  weft_udp_close(NULL);
  return NULL;
}

TEST_IMPL(udp_bad_args) {
  weft_udp *u = NULL;
  weft_udp_opts o = {0};

  ASSERT_EQ(-EPERM, weft_udp_open(&u, &o)); /* no loop, no task */
  ASSERT_OK(weft_test_run(bad_open, NULL, NULL));
  ASSERT_OK(weft_test_run(bad_calls, NULL, NULL));
  return 0;
}

/* A timeout or cancellation while a name resolves leaves nothing open. */
static void *open_cancel(void *arg) {
  weft_udp_opts o = {.local_host = "localhost", .family = AF_INET};
  weft_udp *u = NULL;
  weft_scope sc;
  int rc;

  (void)arg;
  ASSERT_OK(weft_timeout_enter(&sc, 0));
  ASSERT_EQ(-ETIMEDOUT, weft_udp_open(&u, &o));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_NULL(u);
  /* a name that does not exist: an error, whichever comes first */
  o = (weft_udp_opts){.remote_host = "no-such-host.invalid", .remote_port = 9};
  ASSERT_OK(weft_timeout_enter(&sc, 0.5));
  rc = weft_udp_open(&u, &o);
  weft_timeout_leave(&sc);
  ASSERT_NE(0, rc);
  ASSERT_NULL(u);
  return NULL;
}

TEST_IMPL(udp_open_cancel) {
  ASSERT_OK(weft_test_run(open_cancel, NULL, NULL));
  return 0;
}
