/*
 * sendfile (file -> stream): over a TCP connection and a Unix socket pair
 * (the kernel path), over a pipe (the copy path), with offsets and counts,
 * after buffered writes, to a peer that goes away, and timed out part way.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"

#define FILE_SIZE (3u * 1024u * 1024u + 123u)

static char file_path[64];
static char *file_data;

static void make_file(void) {
  int fd;

  snprintf(file_path, sizeof file_path, "/tmp/weft-sendfileXXXXXX");
  ASSERT_GE(fd = mkstemp(file_path), 0);
  ASSERT_NOT_NULL(file_data = malloc(FILE_SIZE));
  for (size_t i = 0; i < FILE_SIZE; i++)
    file_data[i] = (char)(i * 131 + (i >> 12));
  ASSERT_EQ((ssize_t)FILE_SIZE, write(fd, file_data, FILE_SIZE));
  close(fd);
}

static void drop_file(void) {
  unlink(file_path);
  free(file_data);
}

typedef struct sender {
  weft_stream *s;
  int64_t off;
  size_t count, sent;
  const char *prefix; /* written to the stream first, may be NULL */
  int rc;
} sender;

static void *send_task(void *arg) {
  sender *sd = arg;
  weft_file *f;

  ASSERT_OK(weft_file_open(&f, file_path, "rb"));
  if (sd->prefix)
    ASSERT_OK(weft_stream_write_str(sd->s, sd->prefix));
  sd->rc = weft_file_sendfile(f, sd->s, sd->off, sd->count, &sd->sent);
  if (sd->rc == 0)
    weft_stream_close(sd->s);
  ASSERT_OK(weft_file_close(f));
  return NULL;
}

/* Send through w, read everything from r, compare. */
static void transfer(weft_stream *w, weft_stream *r, int64_t off, size_t count, size_t want) {
  sender sd = {.s = w, .off = off, .count = count, .prefix = "HDR:"};
  weft_task *t;
  char *got;
  size_t len;

  ASSERT_OK(weft_spawn(&t, send_task, &sd, NULL));
  ASSERT_OK(weft_stream_read_all(r, &got, &len));
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_OK(sd.rc);
  ASSERT_EQ(want, sd.sent);
  ASSERT_EQ(want + 4, len);
  ASSERT_OK(memcmp("HDR:", got, 4));
  ASSERT_OK(memcmp(file_data + off, got + 4, want));
  weft_free(got);
}

static void socketpair_streams(weft_stream **a, weft_stream **b) {
  int sv[2];

  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  ASSERT_OK(weft_stream_open_fd(sv[0], a));
  ASSERT_OK(weft_stream_open_fd(sv[1], b));
}

static void *socketpair_main(void *arg) {
  weft_stream *a, *b;

  (void)arg;
  socketpair_streams(&a, &b);
  transfer(a, b, 0, 0, FILE_SIZE); /* whole file */
  weft_stream_free(a);
  weft_stream_free(b);
  socketpair_streams(&a, &b);
  transfer(a, b, 1000, 70000, 70000); /* a slice */
  weft_stream_free(a);
  weft_stream_free(b);
  socketpair_streams(&a, &b);
  transfer(a, b, FILE_SIZE - 10, 1000, 10); /* past the end: what there is */
  weft_stream_free(a);
  weft_stream_free(b);
  return NULL;
}

TEST_IMPL(fs_sendfile_socketpair) {
  make_file();
  ASSERT_OK(weft_test_run(socketpair_main, NULL, NULL));
  drop_file();
  return 0;
}

typedef struct tcp_peer {
  char *got;
  size_t len;
  weft_event done;
} tcp_peer;

static void tcp_handler(weft_stream *s, void *arg) {
  tcp_peer *peer = arg;

  ASSERT_OK(weft_stream_read_all(s, &peer->got, &peer->len));
  weft_event_set(&peer->done);
}

static void *tcp_main(void *arg) {
  tcp_peer peer = {0};
  weft_stream_server *srv;
  weft_stream *c;
  weft_file *f;
  size_t sent = 0;

  (void)arg;
  weft_event_init(&peer.done);
  ASSERT_OK(weft_start_server("127.0.0.1", 0, tcp_handler, &peer, NULL, &srv));
  ASSERT_OK(weft_open_connection("127.0.0.1", weft_stream_server_port(srv), NULL, &c));
  ASSERT_OK(weft_file_open(&f, file_path, "rb"));
  ASSERT_OK(weft_file_sendfile(f, c, 0, 0, &sent));
  ASSERT_EQ(FILE_SIZE, sent);
  ASSERT_EQ(0, weft_file_tell(f)); /* the file's position does not move */
  ASSERT_OK(weft_file_close(f));
  weft_stream_close(c);
  ASSERT_OK(weft_event_wait(&peer.done));
  ASSERT_EQ(FILE_SIZE, peer.len);
  ASSERT_OK(memcmp(file_data, peer.got, FILE_SIZE));
  weft_free(peer.got);
  weft_stream_free(c);
  weft_stream_server_close(srv);
  ASSERT_OK(weft_stream_server_wait_closed(srv, -1));
  weft_stream_server_free(srv);
  return NULL;
}

TEST_IMPL(fs_sendfile_tcp) {
  make_file();
  ASSERT_OK(weft_test_run(tcp_main, NULL, NULL));
  drop_file();
  return 0;
}

static void *pipe_main(void *arg) {
  weft_stream *w, *r;
  int fds[2];

  (void)arg;
  ASSERT_OK(pipe(fds));
  ASSERT_OK(weft_stream_open_pipes(-1, fds[1], &w));
  ASSERT_OK(weft_stream_open_pipes(fds[0], -1, &r));
  transfer(w, r, 5, 0, FILE_SIZE - 5); /* copied in chunks */
  weft_stream_free(w);
  weft_stream_free(r);
  return NULL;
}

TEST_IMPL(fs_sendfile_pipe) {
  make_file();
  ASSERT_OK(weft_test_run(pipe_main, NULL, NULL));
  drop_file();
  return 0;
}

/* Data written to the file and not yet flushed is sent too. */
static void *unflushed_main(void *arg) {
  weft_stream *a, *b;
  weft_file *f;
  size_t sent;
  char *got;
  size_t len;

  (void)arg;
  ASSERT_OK(weft_file_open(&f, file_path, "w+"));
  ASSERT_EQ(11, weft_file_write(f, "hello world", 11));
  socketpair_streams(&a, &b);
  ASSERT_OK(weft_file_sendfile(f, a, 6, 0, &sent));
  ASSERT_EQ(5, sent);
  weft_stream_close(a);
  ASSERT_OK(weft_stream_read_all(b, &got, &len));
  ASSERT_STR_EQ("world", got);
  weft_free(got);
  ASSERT_OK(weft_file_close(f));
  weft_stream_free(a);
  weft_stream_free(b);
  return NULL;
}

TEST_IMPL(fs_sendfile_unflushed) {
  make_file();
  ASSERT_OK(weft_test_run(unflushed_main, NULL, NULL));
  drop_file();
  return 0;
}

/* The peer closes: the send fails with the connection's error. */
static void *peer_gone_main(void *arg) {
  weft_stream *a, *b;
  weft_file *f;
  size_t sent = 0;
  int rc;

  (void)arg;
  socketpair_streams(&a, &b);
  weft_stream_free(b);
  ASSERT_OK(weft_file_open(&f, file_path, "rb"));
  rc = weft_file_sendfile(f, a, 0, 0, &sent);
  ASSERT(rc == -EPIPE || rc == -ECONNRESET);
  ASSERT_LT(sent, FILE_SIZE);
  ASSERT_NOT_NULL(strstr(weft_fs_error(), "sendfile"));
  ASSERT_OK(weft_file_close(f));
  weft_stream_free(a);
  return NULL;
}

TEST_IMPL(fs_sendfile_peer_gone) {
  make_file();
  ASSERT_OK(weft_test_run(peer_gone_main, NULL, NULL));
  drop_file();
  return 0;
}

/* A peer that never reads: a timeout stops the send part way; what went
 * out is counted, and the stream carries exactly that much. */
static void *stalled_main(void *arg) {
  weft_stream *a, *b;
  weft_file *f;
  weft_scope sc;
  size_t sent = 0, len;
  char *got;

  (void)arg;
  socketpair_streams(&a, &b);
  ASSERT_OK(weft_file_open(&f, file_path, "rb"));
  ASSERT_OK(weft_timeout_enter(&sc, 0.2));
  ASSERT_EQ(-ETIMEDOUT, weft_file_sendfile(f, a, 0, 0, &sent));
  weft_timeout_leave(&sc);
  ASSERT_GT(sent, 0);
  ASSERT_LT(sent, FILE_SIZE);
  weft_stream_close(a);
  ASSERT_OK(weft_stream_read_all(b, &got, &len));
  ASSERT_EQ(sent, len);
  ASSERT_OK(memcmp(file_data, got, len));
  weft_free(got);
  ASSERT_OK(weft_file_close(f));
  weft_stream_free(a);
  weft_stream_free(b);
  return NULL;
}

TEST_IMPL(fs_sendfile_timeout) {
  make_file();
  ASSERT_OK(weft_test_run(stalled_main, NULL, NULL));
  drop_file();
  return 0;
}

static void *bad_args_main(void *arg) {
  weft_stream *a, *b;
  weft_file *f;
  size_t sent = 7;

  (void)arg;
  socketpair_streams(&a, &b);
  ASSERT_OK(weft_file_open(&f, file_path, "rb"));
  ASSERT_EQ(-EINVAL, weft_file_sendfile(NULL, a, 0, 0, &sent));
  ASSERT_EQ(0, sent);
  ASSERT_EQ(-EINVAL, weft_file_sendfile(f, NULL, 0, 0, NULL));
  ASSERT_EQ(-EINVAL, weft_file_sendfile(f, a, -1, 0, NULL));
  ASSERT_OK(weft_file_sendfile(f, a, FILE_SIZE + 10, 0, &sent)); /* nothing there */
  ASSERT_EQ(0, sent);
  ASSERT_OK(weft_file_close(f));
  ASSERT_OK(weft_file_open(&f, file_path, "ab")); /* write-only */
  ASSERT_EQ(-EBADF, weft_file_sendfile(f, a, 0, 0, NULL));
  ASSERT_OK(weft_file_close(f));
  weft_stream_free(a);
  weft_stream_free(b);
  return NULL;
}

TEST_IMPL(fs_sendfile_bad_args) {
  make_file();
  ASSERT_OK(weft_test_run(bad_args_main, NULL, NULL));
  drop_file();
  return 0;
}

/* Over TLS the bytes are read and written through the stream (encrypted):
 * both ends of a socket pair upgraded, the far end decrypts the file. */
static char tls_cert[128], tls_key[128];

static void make_cert(void) {
  char cmd[512];

  snprintf(tls_cert, sizeof tls_cert, "/tmp/weft-sendfile-%d.crt", (int)getpid());
  snprintf(tls_key, sizeof tls_key, "/tmp/weft-sendfile-%d.key", (int)getpid());
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
           "-keyout %s -out %s -days 1 -subj /CN=localhost >/dev/null 2>&1",
           tls_key, tls_cert);
  ASSERT_OK(system(cmd));
}

typedef struct tls_side {
  weft_stream *s;
  weft_tls_ctx *ctx;
  char *got;
  size_t len;
} tls_side;

static void *tls_server(void *arg) {
  tls_side *side = arg;
  weft_tls_opts o = {.server_side = 1};

  ASSERT_OK(weft_stream_start_tls(side->s, side->ctx, &o));
  ASSERT_OK(weft_stream_read_all(side->s, &side->got, &side->len));
  return NULL;
}

static void *tls_main(void *arg) {
  weft_tls_ctx_opts so = {.server = 1, .cert_file = tls_cert, .key_file = tls_key};
  weft_tls_ctx_opts co = {.verify = WEFT_TLS_VERIFY_NONE};
  weft_tls_opts o = {.server_hostname = "localhost"};
  weft_tls_ctx *cctx;
  tls_side side = {0};
  weft_stream *a;
  weft_task *t;
  weft_file *f;
  size_t sent = 0;

  (void)arg;
  ASSERT_OK(weft_tls_ctx_new(&side.ctx, &so));
  ASSERT_OK(weft_tls_ctx_new(&cctx, &co));
  socketpair_streams(&a, &side.s);
  ASSERT_OK(weft_spawn(&t, tls_server, &side, NULL));
  ASSERT_OK(weft_stream_start_tls(a, cctx, &o));
  ASSERT_OK(weft_file_open(&f, file_path, "rb"));
  ASSERT_OK(weft_file_sendfile(f, a, 7, 0, &sent));
  ASSERT_EQ(FILE_SIZE - 7, sent);
  ASSERT_OK(weft_file_close(f));
  weft_stream_close(a);
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_EQ(FILE_SIZE - 7, side.len);
  ASSERT_OK(memcmp(file_data + 7, side.got, side.len));
  weft_free(side.got);
  ASSERT_OK(weft_stream_wait_closed(a));
  weft_stream_close(side.s);
  weft_stream_wait_closed(side.s);
  weft_stream_free(a);
  weft_stream_free(side.s);
  weft_tls_ctx_release(side.ctx);
  weft_tls_ctx_release(cctx);
  return NULL;
}

TEST_TIMEOUT(fs_sendfile_tls, 60);
TEST_IMPL(fs_sendfile_tls) {
  make_file();
  make_cert();
  ASSERT_OK(weft_test_run(tls_main, NULL, NULL));
  unlink(tls_cert);
  unlink(tls_key);
  drop_file();
  return 0;
}
