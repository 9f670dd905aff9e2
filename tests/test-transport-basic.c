/* Transports and protocols over loopback TCP: echo, callback order,
 * half-close, pausing, water marks, writev, addresses, set_protocol. */
#include "test-transport-util.h"

static rec cli;
static srv_side side;

static weft_transport *connect_rec(weft_server *srv, rec *r) {
  weft_transport *tr = NULL;

  ASSERT_OK(weft_create_connection("127.0.0.1", weft_server_port(srv), &rec_proto, r, NULL, &tr));
  ASSERT_NOT_NULL(tr);
  return tr;
}

static void *echo_main(void *arg) {
  weft_server *srv;
  weft_transport *tr;

  (void)arg;
  side.echo = 1;
  srv = start_server(&side, NULL);
  tr = connect_rec(srv, &cli);
  ASSERT_STR_EQ("M", cli.log); /* connection_made ran before the return */
  ASSERT(cli.tr == tr);
  ASSERT_OK(weft_transport_write(tr, "hello ", 6));
  ASSERT_OK(weft_transport_write(tr, "world", 5));
  WAIT_UNTIL(cli.len == 11, 5);
  ASSERT_OK(memcmp(cli.data, "hello world", 11));
  ASSERT_EQ(1, weft_transport_is_reading(tr));
  ASSERT_EQ(0, weft_transport_is_closing(tr));
  weft_transport_close(tr);
  ASSERT_EQ(1, weft_transport_is_closing(tr));
  weft_transport_close(tr); /* again: no effect */
  WAIT_UNTIL(cli.lost, 5);
  ASSERT_STR_EQ("MDL", cli.log);
  ASSERT_EQ(0, cli.lost_err);
  WAIT_UNTIL(side.conns[0].lost, 5);
  ASSERT_STR_EQ("MDEL", side.conns[0].log); /* the server saw EOF, then closed */
  stop_server(srv);
  rec_free(&cli);
  return NULL;
}

TEST_IMPL(transport_echo_tcp) {
  ASSERT_OK(weft_test_run(echo_main, NULL, NULL));
  return 0;
}

/* The client half-closes; the server keeps its side open, answers after
 * the EOF, then closes: the client sees data, EOF, lost in that order. */
static void *half_close_client_main(void *arg) {
  weft_server *srv;
  weft_transport *tr;

  (void)arg;
  side.reply_on_eof = "after-eof";
  srv = start_server(&side, NULL);
  tr = connect_rec(srv, &cli);
  ASSERT_EQ(1, weft_transport_can_write_eof(tr));
  ASSERT_OK(weft_transport_write(tr, "ping", 4));
  ASSERT_OK(weft_transport_write_eof(tr));
  ASSERT_OK(weft_transport_write_eof(tr)); /* repeated: fine */
  ASSERT_EQ(-EPIPE, weft_transport_write(tr, "x", 1));
  WAIT_UNTIL(cli.lost, 5);
  ASSERT_STR_EQ("MDEL", cli.log);
  ASSERT_EQ(9, cli.len);
  ASSERT_OK(memcmp(cli.data, "after-eof", 9));
  WAIT_UNTIL(side.conns[0].lost, 5);
  ASSERT_STR_EQ("MDEL", side.conns[0].log);
  ASSERT_EQ(4, side.conns[0].len);
  stop_server(srv);
  rec_free(&cli);
  rec_free(&side.conns[0]);
  return NULL;
}

TEST_IMPL(transport_half_close_client) {
  ASSERT_OK(weft_test_run(half_close_client_main, NULL, NULL));
  return 0;
}

/* The server half-closes; the client keeps its side open and goes on
 * writing after its EOF. */
static void *half_close_server_main(void *arg) {
  weft_server *srv;
  weft_transport *tr, *str;

  (void)arg;
  srv = start_server(&side, NULL);
  cli.keep_open = 1;
  tr = connect_rec(srv, &cli);
  WAIT_UNTIL(side.n == 1 && side.conns[0].tr, 5);
  str = side.conns[0].tr;
  ASSERT_OK(weft_transport_write(str, "from-server", 11));
  ASSERT_OK(weft_transport_write_eof(str));
  WAIT_UNTIL(strchr(cli.log, 'E'), 5);
  ASSERT_STR_EQ("MDE", cli.log);
  ASSERT_EQ(0, weft_transport_is_closing(tr)); /* kept open */
  ASSERT_EQ(0, weft_transport_is_reading(tr));
  ASSERT_OK(weft_transport_write(tr, "still-here", 10));
  WAIT_UNTIL(side.conns[0].len == 10, 5);
  ASSERT_OK(memcmp(side.conns[0].data, "still-here", 10));
  weft_transport_close(tr);
  WAIT_UNTIL(cli.lost && side.conns[0].lost, 5);
  ASSERT_STR_EQ("MDEL", cli.log);
  ASSERT_STR_EQ("MDEL", side.conns[0].log);
  stop_server(srv);
  rec_free(&cli);
  rec_free(&side.conns[0]);
  return NULL;
}

TEST_IMPL(transport_half_close_server) {
  ASSERT_OK(weft_test_run(half_close_server_main, NULL, NULL));
  return 0;
}

static void *pause_reading_main(void *arg) {
  weft_server *srv;
  weft_transport *tr, *str;

  (void)arg;
  srv = start_server(&side, NULL);
  tr = connect_rec(srv, &cli);
  ASSERT_OK(weft_transport_pause_reading(tr));
  ASSERT_OK(weft_transport_pause_reading(tr)); /* no-op */
  ASSERT_EQ(0, weft_transport_is_reading(tr));
  WAIT_UNTIL(side.conns[0].tr, 5);
  str = side.conns[0].tr;
  ASSERT_OK(weft_transport_write(str, "abc", 3));
  ASSERT_OK(weft_sleep(0.1));
  ASSERT_EQ(0, cli.len);
  ASSERT_STR_EQ("M", cli.log);
  ASSERT_OK(weft_transport_resume_reading(tr));
  ASSERT_OK(weft_transport_resume_reading(tr));
  ASSERT_EQ(1, weft_transport_is_reading(tr));
  WAIT_UNTIL(cli.len == 3, 5);
  weft_transport_close(tr);
  ASSERT_EQ(-EPIPE, weft_transport_pause_reading(tr));
  ASSERT_EQ(-EPIPE, weft_transport_resume_reading(tr));
  WAIT_UNTIL(cli.lost && side.conns[0].lost, 5);
  stop_server(srv);
  rec_free(&cli);
  return NULL;
}

TEST_IMPL(transport_pause_reading) {
  ASSERT_OK(weft_test_run(pause_reading_main, NULL, NULL));
  return 0;
}

/* A peer that never reads: pause_writing comes once above the high mark,
 * the producer stops (memory stays bounded), resume_writing comes once the
 * peer reads and the buffer drains below the low mark. */
static int paused;
static void flood_pause(weft_transport *tr, void *arg) {
  rec_pause(tr, arg);
  paused = 1;
}
static void flood_resume(weft_transport *tr, void *arg) {
  rec_resume(tr, arg);
  paused = 0;
}

static void *write_limits_main(void *arg) {
  static char chunk[16384];
  weft_protocol proto = rec_proto;
  weft_server *srv;
  weft_transport *tr;
  size_t high, low, sent = 0;

  (void)arg;
  proto.pause_writing = flood_pause;
  proto.resume_writing = flood_resume;
  srv = start_server(&side, NULL);
  ASSERT_OK(weft_create_connection("127.0.0.1", weft_server_port(srv), &proto, &cli, NULL, &tr));
  WAIT_UNTIL(side.conns[0].tr, 5);
  ASSERT_OK(weft_transport_pause_reading(side.conns[0].tr)); /* never reads */
  weft_transport_get_write_buffer_limits(tr, &high, &low);
  ASSERT_EQ(64 * 1024, high);
  ASSERT_EQ(16 * 1024, low);
  ASSERT_EQ(-EINVAL, weft_transport_set_write_buffer_limits(tr, 100, 200));
  ASSERT_OK(weft_transport_set_write_buffer_limits(tr, 256 * 1024, 32 * 1024));
  while (!paused) {
    ASSERT_OK(weft_transport_write(tr, chunk, sizeof chunk));
    sent += sizeof chunk;
    ASSERT_LT(sent, (size_t)256 << 20); /* the kernel buffers are finite */
    if (sent % (1 << 20) == 0)
      ASSERT_OK(weft_yield());
  }
  ASSERT_STR_EQ("MP", cli.log);
  ASSERT_GT(weft_transport_get_write_buffer_size(tr), 256 * 1024);
  ASSERT_LE(weft_transport_get_write_buffer_size(tr), 256 * 1024 + sizeof chunk);
  ASSERT_OK(weft_sleep(0.05)); /* nothing drains while the peer sleeps */
  ASSERT_EQ(1, paused);
  ASSERT_OK(weft_transport_resume_reading(side.conns[0].tr));
  WAIT_UNTIL(!paused, 10);
  ASSERT_STR_EQ("MPR", cli.log);
  ASSERT_LE(weft_transport_get_write_buffer_size(tr), 32 * 1024);
  WAIT_UNTIL(side.conns[0].len == sent, 10);
  weft_transport_close(tr);
  WAIT_UNTIL(cli.lost && side.conns[0].lost, 5);
  stop_server(srv);
  rec_free(&cli);
  rec_free(&side.conns[0]);
  return NULL;
}

TEST_IMPL(transport_write_buffer_limits) {
  ASSERT_OK(weft_test_run(write_limits_main, NULL, NULL));
  return 0;
}

static void *writev_main(void *arg) {
  struct iovec iov[3] = {{"one ", 4}, {"", 0}, {"two", 3}};
  weft_server *srv;
  weft_transport *tr;

  (void)arg;
  side.echo = 1;
  srv = start_server(&side, NULL);
  tr = connect_rec(srv, &cli);
  ASSERT_OK(weft_transport_writev(tr, iov, 3));
  ASSERT_OK(weft_transport_writev(tr, iov, 0));
  ASSERT_OK(weft_transport_write(tr, "", 0));
  ASSERT_EQ(-EINVAL, weft_transport_writev(tr, NULL, 2));
  WAIT_UNTIL(cli.len == 7, 5);
  ASSERT_OK(memcmp(cli.data, "one two", 7));
  weft_transport_close(tr);
  WAIT_UNTIL(cli.lost, 5);
  stop_server(srv);
  rec_free(&cli);
  return NULL;
}

TEST_IMPL(transport_writev) {
  ASSERT_OK(weft_test_run(writev_main, NULL, NULL));
  return 0;
}

static void *names_main(void *arg) {
  weft_connect_opts o = WEFT_CONNECT_OPTS_INIT;
  struct sockaddr_storage ss;
  weft_server *srv;
  weft_transport *tr;
  char buf[64];
  int one = 0;
  socklen_t len = sizeof one;

  (void)arg;
  srv = start_server(&side, NULL);
  o.local_host = "127.0.0.1";
  ASSERT_OK(weft_create_connection("127.0.0.1", weft_server_port(srv), &rec_proto, &cli, &o, &tr));
  ASSERT_OK(weft_transport_peername(tr, &ss));
  ASSERT_EQ(weft_server_port(srv), weft_sockaddr_port((struct sockaddr *)&ss));
  ASSERT_OK(weft_sockaddr_format((struct sockaddr *)&ss, buf, sizeof buf));
  ASSERT_EQ(0, strncmp(buf, "127.0.0.1:", 10));
  ASSERT_EQ(-ENOSPC, weft_sockaddr_format((struct sockaddr *)&ss, buf, 5));
  ASSERT_OK(weft_transport_sockname(tr, &ss));
  ASSERT_EQ(AF_INET, ss.ss_family);
  ASSERT_GT(weft_transport_fileno(tr), 2);
  /* TCP_NODELAY is on by default. */
  ASSERT_OK(getsockopt(weft_transport_fileno(tr), IPPROTO_TCP, TCP_NODELAY, &one, &len));
  ASSERT_NE(0, one);
  ASSERT(weft_transport_loop(tr) == weft_loop_current());
  weft_transport_retain(tr);
  weft_transport_close(tr);
  WAIT_UNTIL(cli.lost, 5);
  ASSERT_EQ(-ENOTCONN, weft_transport_peername(tr, &ss));
  ASSERT_EQ(-EBADF, weft_transport_fileno(tr));
  ASSERT_EQ(-EPIPE, weft_transport_write(tr, "x", 1));
  weft_transport_release(tr);
  stop_server(srv);
  return NULL;
}

TEST_IMPL(transport_names) {
  ASSERT_OK(weft_test_run(names_main, NULL, NULL));
  return 0;
}

TEST_IMPL(transport_sockaddr_parse) {
  struct sockaddr_storage ss;
  char buf[64];

  ASSERT_OK(weft_sockaddr_parse("::1", 8080, AF_UNSPEC, &ss));
  ASSERT_OK(weft_sockaddr_format((struct sockaddr *)&ss, buf, sizeof buf));
  ASSERT_STR_EQ("[::1]:8080", buf);
  ASSERT_OK(weft_sockaddr_parse(NULL, 1, AF_UNSPEC, &ss));
  ASSERT_EQ(AF_INET, ss.ss_family);
  ASSERT_OK(weft_sockaddr_parse(NULL, 1, AF_INET6, &ss));
  ASSERT_EQ(AF_INET6, ss.ss_family);
  ASSERT_EQ(-EINVAL, weft_sockaddr_parse("1.2.3.4", 1, AF_INET6, &ss));
  ASSERT_EQ(-EINVAL, weft_sockaddr_parse("not-an-ip", 1, AF_UNSPEC, &ss));
  ASSERT_EQ(-EINVAL, weft_sockaddr_parse("1.2.3.4", 70000, AF_UNSPEC, &ss));
  ASSERT_EQ(-EINVAL, weft_sockaddr_parse("1.2.3.4", -1, AF_UNSPEC, &ss));
  ss.ss_family = AF_UNIX;
  ASSERT_EQ(-EINVAL, weft_sockaddr_port((struct sockaddr *)&ss));
  return 0;
}

/* Swap the protocol mid-connection: the new one gets the next data. */
static rec second;
static void swap_data(weft_transport *tr, const char *d, size_t n, void *arg) {
  rec_data(tr, d, n, arg);
  weft_transport_set_protocol(tr, &rec_proto, &second);
}

static void *set_protocol_main(void *arg) {
  weft_protocol first = rec_proto;
  weft_server *srv;
  weft_transport *tr, *str;
  void *parg = NULL;

  (void)arg;
  first.data_received = swap_data;
  srv = start_server(&side, NULL);
  ASSERT_OK(weft_create_connection("127.0.0.1", weft_server_port(srv), &first, &cli, NULL, &tr));
  ASSERT(weft_transport_get_protocol(tr, &parg) == &first);
  ASSERT(parg == &cli);
  WAIT_UNTIL(side.conns[0].tr, 5);
  str = side.conns[0].tr;
  ASSERT_OK(weft_transport_write(str, "1", 1));
  WAIT_UNTIL(cli.len == 1, 5);
  ASSERT_OK(weft_transport_write(str, "2", 1));
  WAIT_UNTIL(second.len == 1, 5);
  ASSERT(weft_transport_get_protocol(tr, &parg) == &rec_proto);
  ASSERT(parg == &second);
  weft_transport_close(tr);
  WAIT_UNTIL(second.lost, 5);
  ASSERT_EQ(0, cli.lost);
  ASSERT_STR_EQ("DL", second.log); /* no connection_made for the new one */
  stop_server(srv);
  rec_free(&cli);
  rec_free(&second);
  return NULL;
}

TEST_IMPL(transport_set_protocol) {
  ASSERT_OK(weft_test_run(set_protocol_main, NULL, NULL));
  return 0;
}

/* Bad arguments are refused before anything happens. */
static void *bad_args_main(void *arg) {
  weft_transport *tr;
  weft_protocol none = {0};

  (void)arg;
  ASSERT_EQ(-EINVAL, weft_create_connection("127.0.0.1", 1, &none, NULL, NULL, &tr));
  ASSERT_EQ(-EINVAL, weft_create_connection("127.0.0.1", 1, NULL, NULL, NULL, &tr));
  ASSERT_EQ(-EINVAL, weft_create_connection("127.0.0.1", 65536, &rec_proto, NULL, NULL, &tr));
  ASSERT_EQ(-EINVAL, weft_create_connection("127.0.0.1", -1, &rec_proto, NULL, NULL, &tr));
  ASSERT_EQ(-EINVAL, weft_create_connection(NULL, 1, &rec_proto, NULL, NULL, &tr));
  ASSERT_EQ(-EINVAL, weft_create_connection("127.0.0.1", 1, &rec_proto, NULL, NULL, NULL));
  return NULL;
}

TEST_IMPL(transport_bad_args) {
  weft_transport *tr;

  ASSERT_OK(weft_test_run(bad_args_main, NULL, NULL));
  ASSERT_EQ(-EPERM, weft_create_connection("127.0.0.1", 1, &rec_proto, NULL, NULL, &tr));
  return 0;
}
