/* Transport faults: refused, connect timeout and cancellation, resets
 * mid-read and mid-write, write after close, abort, close exactly once. */
#include <sys/stat.h>

#include "test-transport-util.h"

static rec cli;
static srv_side side;

/* A port nobody listens on: bound, then closed. */
static int dead_port(void) {
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sin;
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  ASSERT_OK(bind(fd, (struct sockaddr *)&sin, len));
  ASSERT_OK(getsockname(fd, (struct sockaddr *)&sin, &len));
  close(fd);
  return ntohs(sin.sin_port);
}

static void *refused_main(void *arg) {
  weft_transport *tr = NULL;

  (void)arg;
  ASSERT_EQ(-ECONNREFUSED,
            weft_create_connection("127.0.0.1", dead_port(), &rec_proto, &cli, NULL, &tr));
  ASSERT_NULL(tr);
  ASSERT_STR_EQ("", cli.log); /* no callback on failure */
  return NULL;
}

TEST_IMPL(transport_connection_refused) {
  ASSERT_OK(weft_test_run(refused_main, NULL, NULL));
  return 0;
}

/* Every address refuses: the last error comes back after trying each. */
static void *refused_all_main(void *arg) {
  weft_connect_opts o = WEFT_CONNECT_OPTS_INIT;
  weft_transport *tr = NULL;

  (void)arg;
  o.happy_eyeballs_delay = 0.05;
  ASSERT_EQ(-ECONNREFUSED,
            weft_create_connection("localhost", dead_port(), &rec_proto, &cli, &o, &tr));
  ASSERT_NULL(tr);
  return NULL;
}

TEST_IMPL(transport_connection_refused_all_addresses) {
  ASSERT_OK(weft_test_run(refused_all_main, NULL, NULL));
  return 0;
}

/* A listener that never accepts, with a backlog of 0: once its queue is
 * full, the kernel drops further SYNs and connects hang. */
static int full_listener(int *port) {
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sin;
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  ASSERT_OK(bind(fd, (struct sockaddr *)&sin, len));
  ASSERT_OK(listen(fd, 0));
  ASSERT_OK(getsockname(fd, (struct sockaddr *)&sin, &len));
  *port = ntohs(sin.sin_port);
  return fd;
}

static void *timeout_main(void *arg) {
  weft_transport *tr[8] = {0};
  int port, lfd = full_listener(&port), timed_out = 0, n = 0;

  (void)arg;
  for (int i = 0; i < 8 && !timed_out; i++) {
    weft_scope sc;
    int rc;

    ASSERT_OK(weft_timeout_enter(&sc, 0.3));
    rc = weft_create_connection("127.0.0.1", port, &rec_proto, &cli, NULL, &tr[n]);
    weft_timeout_leave(&sc);
    if (rc == -ETIMEDOUT) {
      timed_out = 1;
    } else {
      ASSERT_OK(rc);
      n++;
    }
  }
  ASSERT_EQ(1, timed_out);
  for (int i = 0; i < n; i++)
    weft_transport_abort(tr[i]);
  if (n)
    WAIT_UNTIL(cli.lost, 5);
  close(lfd);
  return NULL;
}

TEST_IMPL(transport_connect_timeout) {
  ASSERT_OK(weft_test_run(timeout_main, NULL, NULL));
  return 0;
}

static int cancel_port;
static void *connect_task(void *arg) {
  weft_transport *tr = NULL;
  int rc;

  (void)arg;
  for (;;) {
    rc = weft_create_connection("127.0.0.1", cancel_port, &rec_proto, &cli, NULL, &tr);
    if (rc)
      return (void *)(intptr_t)rc;
    weft_transport_abort(tr); /* the queue was not full yet */
  }
}

static void *cancel_main(void *arg) {
  weft_task *t;
  void *res = NULL;
  int lfd = full_listener(&cancel_port);

  (void)arg;
  ASSERT_OK(weft_spawn(&t, connect_task, NULL, NULL));
  ASSERT_OK(weft_sleep(0.3));
  TORTURE_EXIT_UNLESS(!weft_task_done(t)); /* ended early: an allocation failed */
  ASSERT_EQ(0, weft_task_done(t));
  ASSERT_EQ(1, weft_task_cancel(t));
  /* The task saw -ECANCELED and returned it: its value stands. */
  ASSERT_OK(weft_await(t, &res));
  ASSERT_EQ(-ECANCELED, (int)(intptr_t)res);
  weft_task_release(t);
  close(lfd);
  return NULL;
}

TEST_IMPL(transport_cancel_connect) {
  ASSERT_OK(weft_test_run(cancel_main, NULL, NULL));
  return 0;
}

/* Reset by the peer: SO_LINGER 0 then close sends RST. */
static void reset_fd(int fd) {
  struct linger lg = {1, 0};

  ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
}

static void *reset_read_main(void *arg) {
  weft_server *srv;
  weft_transport *tr;

  (void)arg;
  srv = start_server(&side, NULL);
  ASSERT_OK(
      weft_create_connection("127.0.0.1", weft_server_port(srv), &rec_proto, &cli, NULL, &tr));
  weft_transport_retain(tr); /* used after connection_lost below */
  WAIT_UNTIL(side.conns[0].tr, 5);
  ASSERT_OK(weft_transport_write(side.conns[0].tr, "partial", 7));
  WAIT_UNTIL(cli.len == 7, 5);
  reset_fd(weft_transport_fileno(side.conns[0].tr));
  weft_transport_abort(side.conns[0].tr);
  WAIT_UNTIL(cli.lost, 5);
  ASSERT_STR_EQ("MDL", cli.log);
  ASSERT_EQ(-ECONNRESET, cli.lost_err);
  ASSERT_EQ(-EPIPE, weft_transport_write(tr, "x", 1));
  weft_transport_release(tr);
  stop_server(srv);
  rec_free(&cli);
  return NULL;
}

TEST_IMPL(transport_reset_mid_read) {
  ASSERT_OK(weft_test_run(reset_read_main, NULL, NULL));
  return 0;
}

static void *reset_write_main(void *arg) {
  static char chunk[65536];
  weft_server *srv;
  weft_transport *tr;
  int rc = 0;

  (void)arg;
  srv = start_server(&side, NULL);
  ASSERT_OK(
      weft_create_connection("127.0.0.1", weft_server_port(srv), &rec_proto, &cli, NULL, &tr));
  weft_transport_retain(tr);                   /* used after connection_lost below */
  ASSERT_OK(weft_transport_pause_reading(tr)); /* only the write side matters */
  WAIT_UNTIL(side.conns[0].tr, 5);
  ASSERT_OK(weft_transport_pause_reading(side.conns[0].tr));
  /* Fill the pipe, then reset from the other end while data is queued. */
  for (int i = 0; i < 64; i++)
    ASSERT_OK(weft_transport_write(tr, chunk, sizeof chunk));
  ASSERT_GT(weft_transport_get_write_buffer_size(tr), 0);
  reset_fd(weft_transport_fileno(side.conns[0].tr));
  weft_transport_abort(side.conns[0].tr);
  for (int i = 0; i < 500 && rc == 0 && !cli.lost; i++) {
    rc = weft_transport_write(tr, chunk, 16);
    ASSERT_OK(weft_sleep(0.01));
  }
  WAIT_UNTIL(cli.lost, 5);
  ASSERT(cli.lost_err == -ECONNRESET || cli.lost_err == -EPIPE);
  ASSERT_EQ(-EPIPE, weft_transport_write(tr, "x", 1));
  weft_transport_release(tr);
  stop_server(srv);
  return NULL;
}

TEST_IMPL(transport_reset_mid_write) {
  ASSERT_OK(weft_test_run(reset_write_main, NULL, NULL));
  return 0;
}

static void *write_after_close_main(void *arg) {
  weft_server *srv;
  weft_transport *tr;

  (void)arg;
  srv = start_server(&side, NULL);
  ASSERT_OK(
      weft_create_connection("127.0.0.1", weft_server_port(srv), &rec_proto, &cli, NULL, &tr));
  ASSERT_OK(weft_transport_write(tr, "last", 4));
  weft_transport_close(tr);
  ASSERT_EQ(-EPIPE, weft_transport_write(tr, "x", 1));
  ASSERT_EQ(-EPIPE, weft_transport_writev(tr, &(struct iovec){"x", 1}, 1));
  ASSERT_EQ(-EPIPE, weft_transport_write_eof(tr));
  WAIT_UNTIL(cli.lost, 5);
  WAIT_UNTIL(side.conns[0].lost, 5);
  ASSERT_EQ(4, side.conns[0].len); /* close flushed what was written */
  ASSERT_STR_EQ("MDEL", side.conns[0].log);
  stop_server(srv);
  rec_free(&side.conns[0]);
  return NULL;
}

TEST_IMPL(transport_write_after_close) {
  ASSERT_OK(weft_test_run(write_after_close_main, NULL, NULL));
  return 0;
}

static void *abort_main(void *arg) {
  static char chunk[65536];
  weft_server *srv;
  weft_transport *tr;

  (void)arg;
  srv = start_server(&side, NULL);
  ASSERT_OK(
      weft_create_connection("127.0.0.1", weft_server_port(srv), &rec_proto, &cli, NULL, &tr));
  WAIT_UNTIL(side.conns[0].tr, 5);
  ASSERT_OK(weft_transport_pause_reading(side.conns[0].tr));
  for (int i = 0; i < 64; i++)
    ASSERT_OK(weft_transport_write(tr, chunk, sizeof chunk));
  ASSERT_GT(weft_transport_get_write_buffer_size(tr), 0);
  weft_transport_abort(tr);
  ASSERT_EQ(1, weft_transport_is_closing(tr));
  weft_transport_abort(tr);
  weft_transport_close(tr);
  WAIT_UNTIL(cli.lost, 5);
  ASSERT_EQ(0, cli.lost_err);
  ASSERT_EQ(1, (int)(strchr(cli.log, 'L') - cli.log == (long)strlen(cli.log) - 1));
  ASSERT_OK(weft_transport_resume_reading(side.conns[0].tr));
  WAIT_UNTIL(side.conns[0].lost, 5);
  ASSERT_LT(side.conns[0].len, 64 * sizeof chunk); /* the buffer was dropped */
  stop_server(srv);
  rec_free(&side.conns[0]);
  return NULL;
}

TEST_IMPL(transport_abort) {
  ASSERT_OK(weft_test_run(abort_main, NULL, NULL));
  return 0;
}

/* Close exactly once: after the transport is gone its fd number is reused
 * by a canary, which nothing may touch afterwards. */
static void *close_once_main(void *arg) {
  weft_server *srv;
  weft_transport *tr;
  struct stat before, after;
  int fd, canary;

  (void)arg;
  srv = start_server(&side, NULL);
  ASSERT_OK(
      weft_create_connection("127.0.0.1", weft_server_port(srv), &rec_proto, &cli, NULL, &tr));
  fd = weft_transport_fileno(tr);
  ASSERT_GT(fd, 2);
  weft_transport_close(tr);
  weft_transport_close(tr);
  weft_transport_abort(tr);
  WAIT_UNTIL(cli.lost, 5);
  ASSERT_EQ(-1, fcntl(fd, F_GETFD)); /* closed */
  canary = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(canary, 0);
  if (canary != fd) {
    ASSERT_EQ(fd, dup2(canary, fd));
    close(canary);
  }
  ASSERT_OK(fstat(fd, &before));
  ASSERT_OK(weft_sleep(0.05)); /* let every close callback run */
  WAIT_UNTIL(side.conns[0].lost, 5);
  stop_server(srv);
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_OK(fstat(fd, &after));
  ASSERT_EQ(before.st_ino, after.st_ino);
  ASSERT_EQ(before.st_rdev, after.st_rdev);
  close(fd);
  return NULL;
}

TEST_IMPL(transport_close_once_canary) {
  ASSERT_OK(weft_test_run(close_once_main, NULL, NULL));
  return 0;
}

/* Callbacks that close or release the transport from inside. */
static void close_in_made(weft_transport *tr, void *arg) {
  rec_made(tr, arg);
  weft_transport_close(tr);
  ASSERT_EQ(-EPIPE, weft_transport_write(tr, "x", 1));
}

static void *close_in_callback_main(void *arg) {
  weft_protocol p = rec_proto;
  weft_server *srv;
  weft_transport *tr;

  (void)arg;
  p.connection_made = close_in_made;
  side.echo = 1;
  srv = start_server(&side, NULL);
  ASSERT_OK(weft_create_connection("127.0.0.1", weft_server_port(srv), &p, &cli, NULL, &tr));
  WAIT_UNTIL(cli.lost, 5);
  ASSERT_STR_EQ("ML", cli.log);
  WAIT_UNTIL(side.n == 1 && side.conns[0].lost, 5);
  stop_server(srv);
  return NULL;
}

TEST_IMPL(transport_close_in_callback) {
  ASSERT_OK(weft_test_run(close_in_callback_main, NULL, NULL));
  return 0;
}

/* A name that does not resolve reports the resolver's error. */
static void *bad_name_main(void *arg) {
  weft_transport *tr = NULL;
  int rc;

  (void)arg;
  rc = weft_create_connection("no-such-host.invalid", 80, &rec_proto, &cli, NULL, &tr);
  ASSERT_LT(rc, 0);
  ASSERT_NULL(tr);
  ASSERT_STR_EQ("", cli.log);
  return NULL;
}

TEST_IMPL(transport_unknown_host) {
  ASSERT_OK(weft_test_run(bad_name_main, NULL, NULL));
  return 0;
}
