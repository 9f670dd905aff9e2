/*
 * UDP endpoints under faults: the bounded receive queue, cancellation and
 * timeouts of recvfrom, close while a task waits, connection refused,
 * broadcast, multicast and shared ports.
 */
#include <arpa/inet.h>

#include "test.h"

static weft_udp *open_opts(weft_udp_opts o, int *port) {
  struct sockaddr_storage ss;
  weft_udp *u = NULL;

  ASSERT_OK(weft_udp_open(&u, &o));
  ASSERT_OK(weft_udp_sockname(u, &ss));
  if (port)
    *port = weft_udp_addr_port((struct sockaddr *)&ss);
  return u;
}

static weft_udp *open_on(const char *host, int *port) {
  return open_opts((weft_udp_opts){.local_host = host}, port);
}

/* Wait (really) until the endpoint has seen what it will see. */
static void settle(weft_udp *u, size_t queued) {
  for (int i = 0; i < 200 && weft_udp_queued(u) + weft_udp_dropped(u) < queued; i++)
    ASSERT_OK(weft_sleep(0.01));
}

static void *queue_bound(void *arg) {
  int pb;
  weft_udp *a = open_on("127.0.0.1", NULL);
  weft_udp *b = open_opts((weft_udp_opts){.local_host = "127.0.0.1", .queue_datagrams = 4}, &pb);
  struct sockaddr_storage to;
  char buf[8];
  size_t len;

  (void)arg;
  ASSERT_OK(weft_udp_addr(&to, "127.0.0.1", pb, AF_INET));
  for (int i = 0; i < 10; i++)
    ASSERT_OK(weft_udp_sendto(a, &(char){(char)('0' + i)}, 1, (struct sockaddr *)&to));
  settle(b, 10);
  if (weft_test_torture) { /* a datagram whose copy fails is dropped too */
    ASSERT_EQ(10, weft_udp_queued(b) + weft_udp_dropped(b));
    weft_udp_close(b);
    weft_udp_close(a);
    return NULL;
  }
  ASSERT_EQ(4, weft_udp_queued(b));
  ASSERT_EQ(6, weft_udp_dropped(b)); /* the newest were dropped */
  for (int i = 0; i < 4; i++) {
    ASSERT_OK(weft_udp_recvfrom(b, buf, sizeof buf, &len, NULL));
    ASSERT_EQ('0' + i, buf[0]);
  }
  ASSERT_EQ(-EAGAIN, weft_udp_try_recvfrom(b, buf, sizeof buf, &len, NULL));
  weft_udp_close(b);
  /* the byte bound: 400-byte datagrams into 1000 bytes */
  b = open_opts((weft_udp_opts){.local_host = "127.0.0.1", .queue_bytes = 1000}, &pb);
  ASSERT_OK(weft_udp_addr(&to, "127.0.0.1", pb, AF_INET));
  for (int i = 0; i < 5; i++)
    ASSERT_OK(weft_udp_sendto(a, (char[400]){0}, 400, (struct sockaddr *)&to));
  settle(b, 5);
  ASSERT_EQ(2, weft_udp_queued(b));
  ASSERT_EQ(3, weft_udp_dropped(b));
  weft_udp_close(b); /* closing frees what is queued */
  weft_udp_close(a);
  return NULL;
}

TEST_IMPL(udp_queue_bound) {
  ASSERT_OK(weft_test_run(queue_bound, NULL, NULL));
  return 0;
}

typedef struct recv_job {
  weft_udp *u;
  char buf[16];
  size_t len;
  int rc;
} recv_job;

static void *receiver(void *arg) {
  recv_job *j = arg;

  j->rc = weft_udp_recvfrom(j->u, j->buf, sizeof j->buf, &j->len, NULL);
  return NULL;
}

/* A cancelled or timed-out recvfrom loses no datagram. */
static void *recv_cancel(void *arg) {
  int pb;
  weft_udp *a = open_on("127.0.0.1", NULL), *b = open_on("127.0.0.1", &pb);
  struct sockaddr_storage to;
  recv_job j = {.u = b};
  weft_task *t = NULL;
  weft_scope sc;
  char buf[16];
  size_t len;
  int rc;

  (void)arg;
  ASSERT_OK(weft_udp_addr(&to, "127.0.0.1", pb, AF_INET));
  ASSERT_OK(weft_spawn(&t, receiver, &j, NULL));
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_STR_EQ("udp recv", weft_task_waiting_on(t));
  ASSERT_EQ(1, weft_task_cancel(t));
  weft_await(t, NULL); /* the body returned after seeing -ECANCELED */
  weft_task_release(t);
  ASSERT_EQ(-ECANCELED, j.rc);
  ASSERT_OK(weft_timeout_enter(&sc, 0.05));
  ASSERT_EQ(-ETIMEDOUT, weft_udp_recvfrom(b, buf, sizeof buf, &len, NULL));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_OK(weft_udp_sendto(a, "after", 5, (struct sockaddr *)&to));
  ASSERT_OK(weft_udp_recvfrom(b, buf, sizeof buf, &len, NULL));
  ASSERT_EQ(5, len);
  ASSERT_OK(memcmp(buf, "after", 5));
  /* a datagram queued before a timeout expires is still returned */
  ASSERT_OK(weft_udp_sendto(a, "queued", 6, (struct sockaddr *)&to));
  settle(b, 1);
  ASSERT_OK(weft_timeout_enter(&sc, 0));
  rc = weft_udp_recvfrom(b, buf, sizeof buf, &len, NULL);
  weft_timeout_leave(&sc);
  if (weft_test_torture && rc == -ETIMEDOUT) /* its copy failed: dropped */
    ASSERT_EQ(1, weft_udp_dropped(b));
  else
    ASSERT_EQ(6, rc == 0 ? len : 0);
  weft_udp_close(a);
  weft_udp_close(b);
  return NULL;
}

TEST_IMPL(udp_recv_cancel) {
  ASSERT_OK(weft_test_run(recv_cancel, NULL, NULL));
  return 0;
}

/* Two tasks wait; datagrams go to them in the order they started. */
static void *recv_close(void *arg) {
  int pb;
  weft_udp *a = open_on("127.0.0.1", NULL), *b = open_on("127.0.0.1", &pb);
  recv_job j1 = {.u = b}, j2 = {.u = b};
  struct sockaddr_storage to;
  weft_task *t1, *t2;

  (void)arg;
  ASSERT_OK(weft_udp_addr(&to, "127.0.0.1", pb, AF_INET));
  ASSERT_OK(weft_spawn(&t1, receiver, &j1, NULL));
  ASSERT_OK(weft_spawn(&t2, receiver, &j2, NULL));
  ASSERT_OK(weft_sleep(0.01));
  ASSERT_OK(weft_udp_sendto(a, "first", 5, (struct sockaddr *)&to));
  ASSERT_OK(weft_await(t1, NULL));
  ASSERT_OK(j1.rc);
  ASSERT_OK(memcmp(j1.buf, "first", 5));
  weft_udp_close(b); /* the second waiter wakes with -EPIPE */
  ASSERT_OK(weft_await(t2, NULL));
  ASSERT_EQ(-EPIPE, j2.rc);
  weft_task_release(t1);
  weft_task_release(t2);
  weft_udp_close(a);
  return NULL;
}

TEST_IMPL(udp_recv_close) {
  ASSERT_OK(weft_test_run(recv_close, NULL, NULL));
  return 0;
}

/* A closed port answers with ICMP port unreachable: a connected endpoint
 * sees -ECONNREFUSED. */
static void *refused(void *arg) {
  int port;
  weft_udp *gone = open_on("127.0.0.1", &port), *c;
  weft_scope sc;
  char buf[8];
  size_t len;
  int rc;

  (void)arg;
  weft_udp_close(gone);
  c = open_opts((weft_udp_opts){.remote_host = "127.0.0.1", .remote_port = port}, NULL);
  ASSERT_OK(weft_udp_send(c, "anyone?", 7));
  ASSERT_OK(weft_timeout_enter(&sc, 5));
  rc = weft_udp_recvfrom(c, buf, sizeof buf, &len, NULL);
  ASSERT_OK(weft_timeout_leave(&sc));
  ASSERT_EQ(-ECONNREFUSED, rc);
  weft_udp_close(c);
  return NULL;
}

TEST_IMPL(udp_refused) {
  ASSERT_OK(weft_test_run(refused, NULL, NULL));
  return 0;
}

/* Loopback's broadcast address needs the broadcast flag. */
static void *broadcast(void *arg) {
  int pb;
  weft_udp *a = open_on("0.0.0.0", NULL), *b = open_on("0.0.0.0", &pb);
  weft_udp *c = open_opts((weft_udp_opts){.broadcast = 1}, NULL);
  struct sockaddr_storage to;
  char buf[8];
  size_t len;

  (void)arg;
  ASSERT_OK(weft_udp_addr(&to, "127.255.255.255", pb, AF_INET));
  ASSERT_EQ(-EACCES, weft_udp_sendto(a, "b", 1, (struct sockaddr *)&to));
  ASSERT_OK(weft_udp_set_broadcast(a, 1));
  ASSERT_OK(weft_udp_sendto(a, "b", 1, (struct sockaddr *)&to));
  ASSERT_OK(weft_udp_recvfrom(b, buf, sizeof buf, &len, NULL));
  ASSERT_EQ(1, len);
  ASSERT_OK(weft_udp_sendto(c, "c", 1, (struct sockaddr *)&to)); /* flag at open */
  ASSERT_OK(weft_udp_recvfrom(b, buf, sizeof buf, &len, NULL));
  ASSERT_EQ('c', buf[0]);
  ASSERT_OK(weft_udp_set_broadcast(a, 0));
  ASSERT_EQ(-EACCES, weft_udp_sendto(a, "b", 1, (struct sockaddr *)&to));
  weft_udp_close(a);
  weft_udp_close(b);
  weft_udp_close(c);
  return NULL;
}

TEST_IMPL(udp_broadcast) {
  ASSERT_OK(weft_test_run(broadcast, NULL, NULL));
  return 0;
}

#define GROUP "239.255.77.1"

static void *multicast(void *arg) {
  int pm;
  weft_udp *m = open_on("0.0.0.0", &pm), *s = open_on("127.0.0.1", NULL);
  struct sockaddr_storage to;
  char buf[8];
  size_t len;
  int rc;

  (void)arg;
  rc = weft_udp_join(m, GROUP, "127.0.0.1");
  if (rc) { /* no multicast on loopback here: the error must say so */
    fprintf(stderr, "multicast join on lo: %s\n", weft_strerror(rc));
    ASSERT(rc == -ENODEV || rc == -EADDRNOTAVAIL || rc == -ENOBUFS);
    goto out;
  }
  ASSERT_EQ(-EADDRINUSE, weft_udp_join(m, GROUP, "127.0.0.1")); /* twice */
  ASSERT_OK(weft_udp_set_multicast_interface(s, "127.0.0.1"));
  ASSERT_OK(weft_udp_set_multicast_loop(s, 1));
  ASSERT_OK(weft_udp_set_multicast_ttl(s, 1));
  ASSERT_OK(weft_udp_addr(&to, GROUP, pm, AF_INET));
  ASSERT_OK(weft_udp_sendto(s, "mc", 2, (struct sockaddr *)&to));
  ASSERT_OK(weft_udp_recvfrom(m, buf, sizeof buf, &len, NULL));
  ASSERT_EQ(2, len);
  ASSERT_OK(memcmp(buf, "mc", 2));
  ASSERT_OK(weft_udp_leave(m, GROUP, "127.0.0.1"));
  ASSERT_EQ(-EADDRNOTAVAIL, weft_udp_leave(m, GROUP, "127.0.0.1"));
  ASSERT_OK(weft_udp_sendto(s, "gone", 4, (struct sockaddr *)&to));
  ASSERT_OK(weft_sleep(0.05));
  ASSERT_EQ(-EAGAIN, weft_udp_try_recvfrom(m, buf, sizeof buf, &len, NULL));
  ASSERT_EQ(-EADDRNOTAVAIL, weft_udp_set_multicast_interface(s, "192.0.2.200"));
out:
  weft_udp_close(m);
  weft_udp_close(s);
  return NULL;
}

TEST_IMPL(udp_multicast) {
  ASSERT_OK(weft_test_run(multicast, NULL, NULL));
  return 0;
}

/* Datagrams an endpoint received (kept or dropped). */
static uint64_t seen(const weft_udp *u) {
  return weft_udp_queued(u) + weft_udp_dropped(u);
}

/* reuse_port: two endpoints on one port share its datagrams. */
static void *reuse_port(void *arg) {
  int p1, p2;
  weft_udp *e1 = open_opts((weft_udp_opts){.local_host = "127.0.0.1", .reuse_port = 1}, &p1);
  weft_udp *e2 = NULL, *tx[16];
  weft_udp_opts o = {.local_host = "127.0.0.1", .local_port = p1};
  struct sockaddr_storage to;

  (void)arg;
  ASSERT_EQ(-EADDRINUSE, weft_udp_open(&e2, &o));
  o.reuse_port = 1;
  e2 = open_opts(o, &p2);
  ASSERT_EQ(p1, p2);
  ASSERT_OK(weft_udp_addr(&to, "127.0.0.1", p1, AF_INET));
  for (int i = 0; i < 16; i++) { /* many sources: the kernel spreads them */
    tx[i] = open_on("127.0.0.1", NULL);
    ASSERT_OK(weft_udp_sendto(tx[i], "r", 1, (struct sockaddr *)&to));
  }
  for (int i = 0; i < 200 && seen(e1) + seen(e2) < 16; i++)
    ASSERT_OK(weft_sleep(0.01));
  ASSERT_EQ(16, seen(e1) + seen(e2));
  ASSERT_EQ(weft_test_torture ? weft_udp_dropped(e1) + weft_udp_dropped(e2) : 0,
            weft_udp_dropped(e1) + weft_udp_dropped(e2)); /* only a failed copy drops */
  for (int i = 0; i < 16; i++)
    weft_udp_close(tx[i]);
  weft_udp_close(e1);
  weft_udp_close(e2);
  return NULL;
}

TEST_IMPL(udp_reuse_port) {
  ASSERT_OK(weft_test_run(reuse_port, NULL, NULL));
  return 0;
}
