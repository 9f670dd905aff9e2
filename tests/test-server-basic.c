/* Servers: several hosts, reuse_port, connection cap, wait_closed with a
 * grace period, serve_forever, refusing factories. */
#include <sys/wait.h>

#include "test-transport-util.h"

static srv_side side;
static rec clis[8];

static void *hosts_main(void *arg) {
  const char *hosts[] = {"127.0.0.1", "::1"};
  struct sockaddr_storage ss;
  weft_server *srv;
  weft_transport *tr;

  (void)arg;
  side.echo = 1;
  ASSERT_OK(weft_create_server(hosts, 2, 0, srv_factory, &side, NULL, &srv));
  ASSERT_EQ(2, weft_server_nsockets(srv));
  ASSERT_OK(weft_server_sockname(srv, 0, &ss));
  ASSERT_EQ(AF_INET, ss.ss_family);
  ASSERT_OK(weft_server_sockname(srv, 1, &ss));
  ASSERT_EQ(AF_INET6, ss.ss_family);
  ASSERT_EQ(-EINVAL, weft_server_sockname(srv, 2, &ss));
  ASSERT_OK(weft_create_connection("::1", weft_sockaddr_port((struct sockaddr *)&ss), &rec_proto,
                                   &clis[0], NULL, &tr));
  ASSERT_OK(weft_transport_write(tr, "six", 3));
  WAIT_UNTIL(clis[0].len == 3, 5);
  weft_transport_close(tr);
  ASSERT_OK(
      weft_create_connection("127.0.0.1", weft_server_port(srv), &rec_proto, &clis[1], NULL, &tr));
  ASSERT_OK(weft_transport_write(tr, "four", 4));
  WAIT_UNTIL(clis[1].len == 4, 5);
  weft_transport_close(tr);
  WAIT_UNTIL(clis[0].lost && clis[1].lost, 5);
  stop_server(srv);
  ASSERT_EQ(0, weft_server_nsockets(srv) * 0);
  for (int i = 0; i < 2; i++)
    rec_free(&clis[i]);
  return NULL;
}

TEST_IMPL(server_several_hosts) {
  ASSERT_OK(weft_test_run(hosts_main, NULL, NULL));
  return 0;
}

/* NULL hosts: every interface, IPv4 and IPv6 on the same port. */
static void *all_interfaces_main(void *arg) {
  weft_server *srv, *srv2 = NULL;
  weft_transport *tr;
  int port;

  (void)arg;
  side.echo = 1;
  /* Port 0 gives each listener its own port; ask for the first one's. */
  ASSERT_OK(weft_create_server(NULL, 0, 0, srv_factory, &side,
                               &(weft_server_opts){.family = AF_INET}, &srv));
  port = weft_server_port(srv);
  stop_server(srv);
  ASSERT_OK(weft_create_server(NULL, 0, port, srv_factory, &side, NULL, &srv));
  ASSERT_EQ(2, weft_server_nsockets(srv));
  ASSERT_OK(weft_create_connection("::1", port, &rec_proto, &clis[0], NULL, &tr));
  weft_transport_close(tr);
  ASSERT_OK(weft_create_connection("127.0.0.1", port, &rec_proto, &clis[1], NULL, &tr));
  weft_transport_close(tr);
  /* The port is taken: a second server without reuse_port fails. */
  ASSERT_EQ(-EADDRINUSE, weft_create_server(NULL, 0, port, srv_factory, &side, NULL, &srv2));
  ASSERT_NULL(srv2);
  WAIT_UNTIL(clis[0].lost && clis[1].lost, 5);
  stop_server(srv);
  return NULL;
}

TEST_IMPL(server_all_interfaces) {
  ASSERT_OK(weft_test_run(all_interfaces_main, NULL, NULL));
  return 0;
}

static void *reuse_port_main(void *arg) {
  static const char *const host[] = {"127.0.0.1"};
  weft_server_opts o = WEFT_SERVER_OPTS_INIT;
  srv_side a = {.echo = 1}, b = {.echo = 1};
  weft_server *s1, *s2;
  weft_transport *tr;
  int port;

  (void)arg;
  o.reuse_port = 1;
  ASSERT_OK(weft_create_server(host, 1, 0, srv_factory, &a, &o, &s1));
  port = weft_server_port(s1);
  ASSERT_OK(weft_create_server(host, 1, port, srv_factory, &b, &o, &s2));
  ASSERT_EQ(port, weft_server_port(s2));
  /* The kernel spreads connections over both. */
  for (int i = 0; i < 64 && (a.n == 0 || b.n == 0); i++) {
    rec r = {0};

    ASSERT_OK(weft_create_connection("127.0.0.1", port, &rec_proto, &r, NULL, &tr));
    weft_transport_close(tr);
    WAIT_UNTIL(r.lost, 5);
  }
  ASSERT_GT(a.n, 0);
  ASSERT_GT(b.n, 0);
  stop_server(s1);
  stop_server(s2);
  return NULL;
}

TEST_IMPL(server_reuse_port) {
  ASSERT_OK(weft_test_run(reuse_port_main, NULL, NULL));
  return 0;
}

/* At the cap, accepting pauses: a further client connects (the kernel
 * queues it) but the server does not take it until one ends. */
static void *cap_main(void *arg) {
  weft_server_opts o = WEFT_SERVER_OPTS_INIT;
  weft_transport *tr[3];
  weft_server *srv;

  (void)arg;
  o.max_connections = 2;
  side.echo = 1;
  srv = start_server(&side, &o);
  for (int i = 0; i < 3; i++)
    ASSERT_OK(weft_create_connection("127.0.0.1", weft_server_port(srv), &rec_proto, &clis[i], NULL,
                                     &tr[i]));
  WAIT_UNTIL(side.n == 2, 5);
  ASSERT_OK(weft_sleep(0.1));
  ASSERT_EQ(2, side.n);
  ASSERT_EQ(2, weft_server_connections(srv));
  ASSERT_OK(weft_transport_write(tr[2], "queued", 6));
  ASSERT_OK(weft_sleep(0.05));
  ASSERT_EQ(0, clis[2].len); /* not accepted: no echo */
  weft_transport_close(tr[0]);
  WAIT_UNTIL(side.n == 3, 5);
  WAIT_UNTIL(clis[2].len == 6, 5);
  ASSERT_LE(weft_server_connections(srv), 2);
  weft_transport_close(tr[1]);
  weft_transport_close(tr[2]);
  WAIT_UNTIL(clis[1].lost && clis[2].lost, 5);
  stop_server(srv);
  for (int i = 0; i < 3; i++)
    rec_free(&clis[i]);
  return NULL;
}

TEST_IMPL(server_connection_cap) {
  ASSERT_OK(weft_test_run(cap_main, NULL, NULL));
  return 0;
}

/* wait_closed: returns when the last connection ends; with a grace period
 * it aborts the ones left. */
static void *closer(void *arg) {
  ASSERT_OK(weft_sleep(0.1));
  weft_transport_close(arg);
  return NULL;
}

static void *wait_closed_main(void *arg) {
  weft_server *srv;
  weft_transport *tr[2];
  weft_task *t;
  double t0;

  (void)arg;
  srv = start_server(&side, NULL);
  ASSERT_EQ(1, weft_server_is_serving(srv));
  for (int i = 0; i < 2; i++)
    ASSERT_OK(weft_create_connection("127.0.0.1", weft_server_port(srv), &rec_proto, &clis[i], NULL,
                                     &tr[i]));
  WAIT_UNTIL(side.n == 2, 5);
  weft_server_close(srv);
  weft_server_close(srv);
  ASSERT_EQ(0, weft_server_is_serving(srv));
  ASSERT_EQ(2, weft_server_connections(srv)); /* close leaves connections alone */
  /* First: a client ends its connection within the grace period. */
  ASSERT_OK(weft_spawn(&t, closer, tr[0], NULL));
  {
    weft_scope sc;

    ASSERT_OK(weft_timeout_enter(&sc, 0.3)); /* scope deadline beats no grace */
    ASSERT_EQ(-ETIMEDOUT, weft_server_wait_closed(srv, -1));
    weft_timeout_leave(&sc);
  }
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_EQ(1, weft_server_connections(srv));
  /* Then the grace period runs out and the last one is aborted. */
  t0 = weft_time();
  ASSERT_OK(weft_server_wait_closed(srv, 0.2));
  ASSERT_GE(weft_time() - t0, 0.19);
  ASSERT_EQ(0, weft_server_connections(srv));
  WAIT_UNTIL(clis[1].lost, 5);
  ASSERT_OK(weft_server_wait_closed(srv, 0)); /* done already */
  weft_server_free(srv);
  WAIT_UNTIL(clis[0].lost, 5);
  return NULL;
}

TEST_IMPL(server_wait_closed_grace) {
  ASSERT_OK(weft_test_run(wait_closed_main, NULL, NULL));
  return 0;
}

static void *close_later(void *arg) {
  ASSERT_OK(weft_sleep(0.05));
  weft_server_close(arg);
  return NULL;
}

static void *serve_forever_main(void *arg) {
  weft_server *srv;
  weft_task *t;
  weft_scope sc;

  (void)arg;
  srv = start_server(&side, NULL);
  ASSERT_OK(weft_spawn(&t, close_later, srv, NULL));
  ASSERT_OK(weft_server_serve_forever(srv));
  ASSERT_EQ(0, weft_server_is_serving(srv));
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_OK(weft_server_serve_forever(srv)); /* closed: returns at once */
  weft_server_free(srv);
  /* A timeout around serve_forever closes the server. */
  srv = start_server(&side, NULL);
  ASSERT_OK(weft_timeout_enter(&sc, 0.05));
  ASSERT_EQ(-ETIMEDOUT, weft_server_serve_forever(srv));
  weft_timeout_leave(&sc);
  ASSERT_EQ(0, weft_server_is_serving(srv));
  weft_server_free(srv);
  return NULL;
}

TEST_IMPL(server_serve_forever) {
  ASSERT_OK(weft_test_run(serve_forever_main, NULL, NULL));
  return 0;
}

/* A factory that refuses: the client sees the connection end, the server
 * counts nothing. */
static void *refuse_main(void *arg) {
  weft_server *srv;
  weft_transport *tr;

  (void)arg;
  side.refuse = 1;
  srv = start_server(&side, NULL);
  ASSERT_OK(
      weft_create_connection("127.0.0.1", weft_server_port(srv), &rec_proto, &clis[0], NULL, &tr));
  WAIT_UNTIL(clis[0].lost, 5);
  ASSERT_STR_EQ("MEL", clis[0].log);
  ASSERT_EQ(0, weft_server_connections(srv));
  stop_server(srv);
  return NULL;
}

TEST_IMPL(server_factory_refuses) {
  ASSERT_OK(weft_test_run(refuse_main, NULL, NULL));
  return 0;
}

static void *server_bad_args_main(void *arg) {
  const char *bad[] = {"not-an-address-.invalid"};
  const char *v4[] = {"127.0.0.1"};
  weft_server *srv = NULL;

  (void)arg;
  ASSERT_EQ(-EINVAL, weft_create_server(v4, 1, 70000, srv_factory, &side, NULL, &srv));
  ASSERT_EQ(-EINVAL, weft_create_server(v4, 1, 0, NULL, &side, NULL, &srv));
  ASSERT_EQ(-EINVAL, weft_create_server(v4, 1, 0, srv_factory, &side, NULL, NULL));
  ASSERT_LT(weft_create_server(bad, 1, 0, srv_factory, &side, NULL, &srv), 0);
  ASSERT_EQ(-EADDRNOTAVAIL, weft_create_server((const char *[]){"192.0.2.1"}, 1, 0, srv_factory,
                                               &side, NULL, &srv));
  ASSERT_NULL(srv);
  ASSERT_EQ(-EINVAL, weft_server_serve_forever(NULL));
  ASSERT_EQ(-EINVAL, weft_server_wait_closed(NULL, 0));
  weft_server_close(NULL);
  weft_server_free(NULL);
  return NULL;
}

TEST_IMPL(server_bad_args) {
  ASSERT_OK(weft_test_run(server_bad_args_main, NULL, NULL));
  return 0;
}
