/*
 * Stream faults: cancellation and timeouts at every suspension point, peer
 * resets, half-close both ways, write after close, a peer that never reads,
 * and the descriptor closed exactly once.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "test-stream-peer.h"

/* ---- cancellation loses no bytes -------------------------------------- */

enum { OP_READ_LINE, OP_READ_UNTIL, OP_READ_EXACTLY, OP_READ, OP_READ_ALL };

static int timed_op(weft_stream *s, int op) {
  weft_scope sc;
  const char *v;
  char buf[64], *all = NULL;
  size_t len;
  int rc, lrc;

  ASSERT_OK(weft_timeout_enter(&sc, 0.05));
  switch (op) {
  case OP_READ_LINE:
    rc = weft_stream_read_line(s, &v, &len);
    break;
  case OP_READ_UNTIL:
    rc = weft_stream_read_until(s, "\r\n", 2, &v, &len);
    break;
  case OP_READ_EXACTLY:
    rc = weft_stream_read_exactly(s, buf, 10, &len);
    break;
  case OP_READ_ALL:
    rc = weft_stream_read_all(s, &all, &len);
    break;
  default:
    rc = weft_stream_read(s, buf, sizeof buf, &len);
    break;
  }
  lrc = weft_timeout_leave(&sc);
  ASSERT_NULL(all);
  return rc ? rc : lrc;
}

static void *cancel_keeps(void *arg) {
  int op = (int)(intptr_t)arg;
  sp_pair p;
  const char *v;
  char buf[64];
  size_t len;

  sp_open(&p);
  if (op != OP_READ)
    sp_send(&p, "abc"); /* partial data is buffered */
  sp_settle();
  ASSERT_EQ(-ETIMEDOUT, timed_op(p.s, op));
  ASSERT_EQ(op == OP_READ ? 0u : 3u, weft_stream_buffered(p.s));
  sp_send(&p, op == OP_READ ? "abcdefg\r\n" : "defg\r\n");
  switch (op) {
  case OP_READ_EXACTLY:
    ASSERT_OK(weft_stream_read_exactly(p.s, buf, 9, &len));
    ASSERT_OK(memcmp(buf, "abcdefg\r\n", 9));
    break;
  case OP_READ_ALL: {
    char *all;

    shutdown(p.peer, SHUT_WR);
    ASSERT_OK(weft_stream_read_all(p.s, &all, &len));
    ASSERT_STR_EQ("abcdefg\r\n", all);
    weft_free(all);
    break;
  }
  case OP_READ:
    sp_settle();
    ASSERT_OK(weft_stream_read(p.s, buf, sizeof buf, &len));
    ASSERT_EQ(9u, len);
    break;
  default:
    ASSERT_OK(weft_stream_read_line(p.s, &v, &len));
    ASSERT_EQ(9u, len);
    ASSERT_OK(memcmp(v, "abcdefg\r\n", 9));
  }
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_cancel_read_line_keeps_bytes) {
  return weft_test_run(cancel_keeps, (void *)(intptr_t)OP_READ_LINE, NULL);
}
TEST_IMPL(stream_cancel_read_until_keeps_bytes) {
  return weft_test_run(cancel_keeps, (void *)(intptr_t)OP_READ_UNTIL, NULL);
}
TEST_IMPL(stream_cancel_read_exactly_keeps_bytes) {
  return weft_test_run(cancel_keeps, (void *)(intptr_t)OP_READ_EXACTLY, NULL);
}
TEST_IMPL(stream_cancel_read_keeps_bytes) {
  return weft_test_run(cancel_keeps, (void *)(intptr_t)OP_READ, NULL);
}
TEST_IMPL(stream_cancel_read_all_keeps_bytes) {
  return weft_test_run(cancel_keeps, (void *)(intptr_t)OP_READ_ALL, NULL);
}

/* weft_task_cancel of a task parked in read_line: -ECANCELED, no loss. */
static void *line_reader(void *arg) {
  const char *v;
  size_t len;

  return (void *)(intptr_t)weft_stream_read_line(arg, &v, &len);
}

static void *cancel_task(void *arg) {
  sp_pair p;
  weft_task *t;
  void *res;
  int cancelled;
  const char *v;
  size_t len;

  (void)arg;
  sp_open(&p);
  sp_send(&p, "part");
  t = spawn_named(line_reader, p.s, "reader");
  sp_settle();
  cancelled = weft_task_cancel(t); /* 0: the read ended first (out of memory) */
  ASSERT_OK(weft_await(t, &res));  /* the body returned read_line's code */
  ASSERT_EQ(-ECANCELED, (int)(intptr_t)res);
  ASSERT_EQ(1, cancelled);
  weft_task_release(t);
  sp_send(&p, "ial\n");
  ASSERT_OK(weft_stream_read_line(p.s, &v, &len));
  ASSERT_EQ(8u, len);
  ASSERT_OK(memcmp(v, "partial\n", 8));
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_cancel_task_in_read_line) {
  return weft_test_run(cancel_task, NULL, NULL);
}

/* ---- half-close -------------------------------------------------------- */

static void *half_close(void *arg) {
  sp_pair p;
  char buf[32];
  size_t got;

  (void)arg;
  sp_open(&p);
  ASSERT_EQ(1, weft_stream_can_write_eof(p.s));
  /* our side: write, write_eof, keep reading */
  ASSERT_OK(weft_stream_write(p.s, "bye", 3));
  ASSERT_OK(weft_stream_write_eof(p.s));
  ASSERT_OK(weft_stream_write_eof(p.s)); /* again: no effect */
  ASSERT_EQ(-EPIPE, weft_stream_write(p.s, "x", 1));
  sp_settle(); /* the shutdown happens once the buffer is flushed */
  sp_recv(&p, buf, 3);
  ASSERT_EQ(0, read(p.peer, buf, sizeof buf)); /* the peer sees EOF */
  sp_send(&p, "still here");
  ASSERT_OK(weft_stream_read(p.s, buf, sizeof buf, &got));
  ASSERT_EQ(10u, got);
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_half_close_ours) {
  return weft_test_run(half_close, NULL, NULL);
}

static void *half_close_peer(void *arg) {
  sp_pair p;
  char buf[32];
  size_t got;

  (void)arg;
  sp_open(&p);
  sp_send(&p, "last words");
  shutdown(p.peer, SHUT_WR);
  ASSERT_OK(weft_stream_read(p.s, buf, sizeof buf, &got));
  ASSERT_EQ(10u, got);
  ASSERT_OK(weft_stream_read(p.s, buf, sizeof buf, &got));
  ASSERT_EQ(0u, got);
  ASSERT_EQ(1, weft_stream_at_eof(p.s));
  ASSERT_EQ(0, weft_stream_is_closing(p.s));
  /* writing still works after the peer's EOF */
  ASSERT_OK(weft_stream_write(p.s, "reply", 5));
  ASSERT_OK(weft_stream_drain(p.s));
  sp_recv(&p, buf, 5);
  ASSERT_OK(memcmp(buf, "reply", 5));
  weft_stream_close(p.s);
  ASSERT_OK(weft_stream_wait_closed(p.s));
  ASSERT_EQ(0, read(p.peer, buf, sizeof buf));
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_half_close_peer) {
  return weft_test_run(half_close_peer, NULL, NULL);
}

/* ---- resets and closed streams ------------------------------------------ */

/* A TCP pair on loopback: reset needs TCP (SO_LINGER 0). */
typedef struct tcp_pair {
  weft_stream *s;
  int peer;
} tcp_pair;

static void tcp_open(tcp_pair *p, const weft_connect_opts *opts) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  int lfd = socket(AF_INET, SOCK_STREAM, 0);

  ASSERT_OK(bind(lfd, (struct sockaddr *)&a, sizeof a));
  ASSERT_OK(listen(lfd, 1));
  ASSERT_OK(getsockname(lfd, (struct sockaddr *)&a, &alen));
  ASSERT_OK(weft_open_connection("127.0.0.1", ntohs(a.sin_port), opts, &p->s));
  p->peer = accept(lfd, NULL, NULL);
  ASSERT_GE(p->peer, 0);
  close(lfd);
}

static void tcp_reset(tcp_pair *p) {
  struct linger lg = {1, 0};

  ASSERT_OK(setsockopt(p->peer, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
  close(p->peer);
  p->peer = -1;
}

static void *reset_read(void *arg) {
  tcp_pair p;
  char buf[32];
  size_t got;

  (void)arg;
  tcp_open(&p, NULL);
  ASSERT_EQ(3, write(p.peer, "abc", 3));
  ASSERT_OK(weft_stream_read_exactly(p.s, buf, 3, &got));
  tcp_reset(&p);
  ASSERT_EQ(-ECONNRESET, weft_stream_read(p.s, buf, sizeof buf, &got));
  ASSERT_EQ(-ECONNRESET, weft_stream_error(p.s));
  ASSERT_EQ(-ECONNRESET, weft_stream_write(p.s, "x", 1));
  ASSERT_EQ(-ECONNRESET, weft_stream_drain(p.s));
  ASSERT_EQ(1, weft_stream_is_closing(p.s));
  ASSERT_EQ(-ECONNRESET, weft_stream_wait_closed(p.s));
  weft_stream_free(p.s);
  return NULL;
}

TEST_IMPL(stream_peer_reset_mid_read) {
  return weft_test_run(reset_read, NULL, NULL);
}

/* A stream that ended in a reset is not whole: read_all says so and keeps
 * the bytes that came, which read returns before the error. */
static void *reset_read_all(void *arg) {
  tcp_pair p;
  char buf[32], *all = NULL;
  size_t got, len = 0;

  (void)arg;
  tcp_open(&p, NULL);
  ASSERT_EQ(3, write(p.peer, "abc", 3));
  while (weft_stream_buffered(p.s) < 3) {
    TORTURE_EXIT_UNLESS(weft_stream_error(p.s) != -ENOMEM); /* no read buffer */
    ASSERT_OK(weft_sleep(0.001));
  }
  tcp_reset(&p);
  ASSERT_EQ(-ECONNRESET, weft_stream_read_all(p.s, &all, &len));
  ASSERT_NULL(all);
  ASSERT_EQ(0u, len);
  ASSERT_EQ(3u, weft_stream_buffered(p.s));
  ASSERT_OK(weft_stream_read(p.s, buf, sizeof buf, &got));
  ASSERT_EQ(3u, got);
  ASSERT_OK(memcmp(buf, "abc", 3));
  ASSERT_EQ(-ECONNRESET, weft_stream_read(p.s, buf, sizeof buf, &got));
  ASSERT_EQ(-ECONNRESET, weft_stream_read_all(p.s, &all, &len));
  weft_stream_free(p.s);
  return NULL;
}

TEST_IMPL(stream_read_all_reports_reset) {
  return weft_test_run(reset_read_all, NULL, NULL);
}

static void *reset_write(void *arg) {
  tcp_pair p;
  static char chunk[65536];
  int rc = 0;

  (void)arg;
  tcp_open(&p, NULL);
  /* fill the socket and the transport until drain waits */
  for (int i = 0; i < 64 && rc == 0; i++) {
    rc = weft_stream_write(p.s, chunk, sizeof chunk);
    if (weft_stream_write_buffer_size(p.s) > WEFT_WRITE_HIGH_DEFAULT)
      break;
  }
  ASSERT_OK(rc);
  tcp_reset(&p); /* the peer goes away with unread data: RST */
  rc = weft_stream_drain(p.s);
  if (weft_test_torture && rc == -ENOMEM) /* no read buffer for the reset */
    weft_test_enomem_exit();
  ASSERT(rc == -ECONNRESET || rc == -EPIPE);
  ASSERT_EQ(rc, weft_stream_write(p.s, chunk, 1));
  weft_stream_free(p.s);
  return NULL;
}

TEST_IMPL(stream_peer_reset_mid_write) {
  return weft_test_run(reset_write, NULL, NULL);
}

static void *write_after_close(void *arg) {
  sp_pair p;

  (void)arg;
  sp_open(&p);
  weft_stream_close(p.s);
  weft_stream_close(p.s); /* idempotent */
  ASSERT_EQ(1, weft_stream_is_closing(p.s));
  ASSERT_EQ(-EPIPE, weft_stream_write(p.s, "x", 1));
  ASSERT_EQ(-EPIPE, weft_stream_write_eof(p.s));
  ASSERT_EQ(-EPIPE, weft_stream_drain(p.s));
  ASSERT_OK(weft_stream_wait_closed(p.s));
  ASSERT_OK(weft_stream_wait_closed(p.s));
  ASSERT_EQ(-EPIPE, weft_stream_write(p.s, "x", 1));
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_write_after_close) {
  return weft_test_run(write_after_close, NULL, NULL);
}

/* A reader blocked in read when its own stream is closed sees EOF. */
static void *close_wakes(void *arg) {
  sp_pair p;
  weft_task *t;

  (void)arg;
  sp_open(&p);
  t = spawn_named(line_reader, p.s, "reader");
  sp_settle();
  weft_stream_close(p.s);
  ASSERT_EQ(0, await_rc(t));
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_close_wakes_reader) {
  return weft_test_run(close_wakes, NULL, NULL);
}

/* ---- a peer that never reads --------------------------------------------- */

static void *never_reads(void *arg) {
  sp_pair p;
  static char chunk[16384];
  weft_scope sc;
  int rc = 0, lrc;
  size_t high = 0, sent = 0;

  (void)arg;
  sp_open(&p);
  ASSERT_OK(weft_stream_set_write_buffer_limits(p.s, 32768, 8192));
  ASSERT_OK(weft_timeout_enter(&sc, 0.3));
  while (rc == 0) {
    rc = weft_stream_write(p.s, chunk, sizeof chunk);
    if (rc == 0) {
      sent += sizeof chunk;
      rc = weft_stream_drain(p.s);
    }
    if (weft_stream_write_buffer_size(p.s) > high)
      high = weft_stream_write_buffer_size(p.s);
  }
  lrc = weft_timeout_leave(&sc);
  ASSERT_EQ(-ETIMEDOUT, rc); /* drain suspended until the deadline */
  ASSERT_EQ(-ETIMEDOUT, lrc);
  ASSERT_LE(high, 32768u + sizeof chunk); /* memory bounded */
  ASSERT_GT(sent, 0u);
  /* close cannot flush: wait_closed times out, abort ends it */
  weft_stream_close(p.s);
  ASSERT_OK(weft_timeout_enter(&sc, 0.05));
  ASSERT_EQ(-ETIMEDOUT, weft_stream_wait_closed(p.s));
  weft_timeout_leave(&sc);
  weft_stream_abort(p.s);
  ASSERT_OK(weft_stream_wait_closed(p.s));
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_drain_peer_never_reads) {
  return weft_test_run(never_reads, NULL, NULL);
}

/* Drain resumes once the peer reads. */
static void *slow_reader_job(void *arg) {
  sp_pair *p = arg;
  char buf[65536];
  size_t total = 0;
  ssize_t n;

  usleep(50000);
  while ((n = read(p->peer, buf, sizeof buf)) > 0)
    total += (size_t)n;
  return (void *)total;
}

static void *drain_resumes(void *arg) {
  sp_pair p;
  static char chunk[65536];
  weft_future *f;
  void *total;

  (void)arg;
  sp_open(&p);
  ASSERT_OK(weft_executor_submit(NULL, slow_reader_job, &p, NULL, &f));
  for (int i = 0; i < 64; i++) {
    ASSERT_OK(weft_stream_write(p.s, chunk, sizeof chunk));
    ASSERT_OK(weft_stream_drain(p.s));
    ASSERT_LE(weft_stream_write_buffer_size(p.s), WEFT_WRITE_HIGH_DEFAULT + sizeof chunk);
  }
  weft_stream_close(p.s);
  ASSERT_OK(weft_stream_wait_closed(p.s));
  ASSERT_OK(weft_future_await(f, &total));
  weft_future_release(f);
  ASSERT_EQ(64u * sizeof chunk, (size_t)total);
  sp_close(&p);
  return NULL;
}

TEST_TIMEOUT(stream_drain_resumes, 30);
TEST_IMPL(stream_drain_resumes) {
  return weft_test_run(drain_resumes, NULL, NULL);
}

/* ---- the descriptor is closed once ------------------------------------- */

static void *fd_once(void *arg) {
  sp_pair p;
  int fd, canary;

  (void)arg;
  sp_open(&p);
  fd = weft_stream_fileno(p.s);
  ASSERT_GE(fd, 0);
  weft_stream_close(p.s);
  ASSERT_OK(weft_stream_wait_closed(p.s));
  /* the number is free again: a new descriptor takes it */
  canary = open("/dev/null", O_RDONLY);
  ASSERT_EQ(fd, canary);
  weft_stream_close(p.s);
  weft_stream_abort(p.s);
  weft_stream_free(p.s);
  p.s = NULL;
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_NE(-1, fcntl(canary, F_GETFD)); /* still open */
  close(canary);
  close(p.peer);
  return NULL;
}

TEST_IMPL(stream_close_fd_exactly_once) {
  return weft_test_run(fd_once, NULL, NULL);
}

/* ---- connecting ----------------------------------------------------------- */

static int free_port(void) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof a));
  ASSERT_OK(getsockname(fd, (struct sockaddr *)&a, &alen));
  close(fd);
  return ntohs(a.sin_port);
}

static void *refused(void *arg) {
  weft_stream *s = (void *)1;

  (void)arg;
  ASSERT_EQ(-ECONNREFUSED, weft_open_connection("127.0.0.1", free_port(), NULL, &s));
  ASSERT_NULL(s);
  return NULL;
}

TEST_IMPL(stream_open_connection_refused) {
  return weft_test_run(refused, NULL, NULL);
}

/* A listener whose backlog is full drops new SYNs: connect hangs until the
 * scope's deadline. */
static void *connect_timeout(void *arg) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  int lfd = socket(AF_INET, SOCK_STREAM, 0), fill[8];
  weft_stream *s = NULL;
  weft_scope sc;
  int rc;

  (void)arg;
  ASSERT_OK(bind(lfd, (struct sockaddr *)&a, sizeof a));
  ASSERT_OK(listen(lfd, 0));
  ASSERT_OK(getsockname(lfd, (struct sockaddr *)&a, &alen));
  for (int i = 0; i < 8; i++) {
    fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(fill[i], (struct sockaddr *)&a, sizeof a);
  }
  usleep(50000);
  ASSERT_OK(weft_timeout_enter(&sc, 0.2));
  rc = weft_open_connection("127.0.0.1", ntohs(a.sin_port), NULL, &s);
  weft_timeout_leave(&sc);
  ASSERT_EQ(-ETIMEDOUT, rc);
  ASSERT_NULL(s);
  for (int i = 0; i < 8; i++)
    close(fill[i]);
  close(lfd);
  return NULL;
}

TEST_IMPL(stream_open_connection_timeout) {
  return weft_test_run(connect_timeout, NULL, NULL);
}

/* ---- the read side is bounded too ------------------------------------------ */

/* More than the socket buffers, the stream's limit and one read (the
 * transport reads up to 256 KiB at a time) hold together. */
#define HUGE_SEND (4u << 20)
#define ONE_READ (256u * 1024u)

static void *huge_send_job(void *arg) {
  static char data[HUGE_SEND];
  sp_pair *p = arg;
  size_t off = 0;

  memset(data, 'z', sizeof data);
  while (off < sizeof data) {
    ssize_t n = write(p->peer, data + off, sizeof data - off);

    if (n <= 0)
      break;
    off += (size_t)n;
  }
  return NULL;
}

static void *read_bounded(void *arg) {
  static char data[HUGE_SEND], back[HUGE_SEND];
  weft_future *f;
  sp_pair p;
  size_t got;

  (void)arg;
  sp_open(&p);
  memset(data, 'z', sizeof data);
  ASSERT_OK(weft_stream_set_limit(p.s, 1024));
  ASSERT_OK(weft_executor_submit(NULL, huge_send_job, &p, NULL, &f));
  ASSERT_OK(weft_sleep(0.1)); /* nobody reads: the stream stops reading */
  TORTURE_EXIT_UNLESS(weft_stream_error(p.s) != -ENOMEM); /* no read buffer */
  ASSERT_GT(weft_stream_buffered(p.s), 0u);
  ASSERT_LE(weft_stream_buffered(p.s), 2 * 1024u + ONE_READ);
  ASSERT_OK(weft_stream_read_exactly(p.s, back, sizeof back, &got)); /* resumes */
  ASSERT_EQ(sizeof back, got);
  ASSERT_OK(memcmp(back, data, sizeof back));
  ASSERT_OK(weft_future_await(f, NULL));
  weft_future_release(f);
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_read_pauses_when_full) {
  return weft_test_run(read_bounded, NULL, NULL);
}

/* TCP_NODELAY on by default, keep-alive on request. */
static void *sockopts(void *arg) {
  weft_connect_opts o = WEFT_CONNECT_OPTS_INIT;
  tcp_pair p;
  int on = 0;
  socklen_t len = sizeof on;

  (void)arg;
  tcp_open(&p, NULL);
  ASSERT_OK(getsockopt(weft_stream_fileno(p.s), IPPROTO_TCP, TCP_NODELAY, &on, &len));
  ASSERT_NE(0, on);
  ASSERT_OK(getsockopt(weft_stream_fileno(p.s), SOL_SOCKET, SO_KEEPALIVE, &on, &len));
  ASSERT_EQ(0, on);
  weft_stream_free(p.s);
  close(p.peer);
  o.keepalive = 30;
  tcp_open(&p, &o);
  ASSERT_OK(getsockopt(weft_stream_fileno(p.s), SOL_SOCKET, SO_KEEPALIVE, &on, &len));
  ASSERT_NE(0, on);
  weft_stream_free(p.s);
  close(p.peer);
  return NULL;
}

TEST_IMPL(stream_socket_options) {
  return weft_test_run(sockopts, NULL, NULL);
}
