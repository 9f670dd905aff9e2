/*
 * Stream servers and real peers: many concurrent clients against a weft
 * echo server, Unix sockets, pipes, Python asyncio and socat on loopback.
 */
#include <stdatomic.h>
#include <signal.h>
#include <sys/wait.h>

#include "test-stream-peer.h"

/* Echo lines until EOF. */
static void echo_handler(weft_stream *s, void *arg) {
  const char *line;
  size_t len;
  int *served = arg;

  while (weft_stream_next_line(s, &line, &len) > 0) {
    if (weft_stream_write(s, line, len) != 0 || weft_stream_drain(s) != 0)
      break;
  }
  if (served)
    (*served)++;
}

typedef struct client_arg {
  int port;
  const char *path; /* Unix socket, or NULL */
  int id;
} client_arg;

static void *echo_client(void *arg) {
  client_arg *c = arg;
  weft_stream *s;
  const char *line;
  char msg[64];
  size_t len;
  int rc = c->path ? weft_open_unix_connection(c->path, NULL, &s)
                   : weft_open_connection("127.0.0.1", c->port, NULL, &s);

  if (rc)
    return (void *)(intptr_t)rc;
  for (int i = 0; i < 5; i++) {
    snprintf(msg, sizeof msg, "client %d line %d\n", c->id, i);
    ASSERT_OK(weft_stream_write_str(s, msg));
    ASSERT_OK(weft_stream_read_line(s, &line, &len));
    ASSERT_EQ(strlen(msg), len);
    ASSERT_OK(memcmp(line, msg, len));
  }
  ASSERT_OK(weft_stream_write_eof(s));
  ASSERT_EQ(0, weft_stream_next_line(s, &line, &len)); /* server closed */
  weft_stream_close(s);
  ASSERT_OK(weft_stream_wait_closed(s));
  weft_stream_free(s);
  return NULL;
}

#define NCLIENTS 100

static void run_clients(int port, const char *path) {
  static client_arg ca[NCLIENTS];
  weft_task *t[NCLIENTS];
  int errors[NCLIENTS];

  for (int i = 0; i < NCLIENTS; i++) {
    ca[i] = (client_arg){port, path, i};
    t[i] = spawn_named(echo_client, &ca[i], "client");
  }
  ASSERT_OK(weft_gather(t, NCLIENTS, WEFT_RETURN_EXCEPTIONS, NULL, errors));
  for (int i = 0; i < NCLIENTS; i++) {
    void *res;

    ASSERT_OK(errors[i]);
    ASSERT_OK(weft_task_result(t[i], &res));
    ASSERT_NULL(res);
    weft_task_release(t[i]);
  }
}

static void *many_clients(void *arg) {
  weft_stream_server *srv;
  int served = 0;

  (void)arg;
  ASSERT_OK(weft_start_server("127.0.0.1", 0, echo_handler, &served, NULL, &srv));
  ASSERT_GT(weft_stream_server_port(srv), 0);
  ASSERT_NOT_NULL(weft_stream_server_net(srv));
  run_clients(weft_stream_server_port(srv), NULL);
  weft_stream_server_close(srv);
  ASSERT_OK(weft_stream_server_wait_closed(srv, INFINITY));
  ASSERT_EQ(NCLIENTS, served);
  weft_stream_server_free(srv);
  return NULL;
}

TEST_TIMEOUT(stream_server_many_clients, 30);
TEST_IMPL(stream_server_many_clients) {
  return weft_test_run(many_clients, NULL, NULL);
}

static void *unix_clients(void *arg) {
  weft_stream_server *srv;
  char path[64];
  int served = 0;

  (void)arg;
  snprintf(path, sizeof path, "/tmp/weft-stream-%d.sock", (int)getpid());
  ASSERT_OK(weft_start_unix_server(path, echo_handler, &served, NULL, &srv));
  ASSERT_EQ(0, weft_stream_server_port(srv));
  run_clients(0, path);
  weft_stream_server_free(srv);
  ASSERT_EQ(NCLIENTS, served);
  ASSERT_NE(0, access(path, F_OK)); /* removed on close */
  return NULL;
}

TEST_TIMEOUT(stream_server_unix, 30);
TEST_IMPL(stream_server_unix) {
  return weft_test_run(unix_clients, NULL, NULL);
}

/* A handler stuck in read: wait_closed with a grace period aborts it. */
static void stuck_handler(weft_stream *s, void *arg) {
  char buf[8];
  size_t got;
  int *rc = arg;

  *rc = weft_stream_read_exactly(s, buf, sizeof buf, &got);
}

static void *grace(void *arg) {
  weft_stream_server *srv;
  weft_stream *c;
  int hrc = 1;

  (void)arg;
  ASSERT_OK(weft_start_server("127.0.0.1", 0, stuck_handler, &hrc, NULL, &srv));
  ASSERT_OK(weft_open_connection("127.0.0.1", weft_stream_server_port(srv), NULL, &c));
  ASSERT_OK(weft_stream_write(c, "abc", 3));
  sp_settle();
  weft_stream_server_close(srv);
  ASSERT_OK(weft_stream_server_wait_closed(srv, 0.05));
  ASSERT_EQ(-EPIPE, hrc); /* aborted: end of file with 3 of 8 bytes */
  weft_stream_server_free(srv);
  weft_stream_free(c);
  return NULL;
}

TEST_IMPL(stream_server_wait_closed_grace) {
  return weft_test_run(grace, NULL, NULL);
}

/* A handler keeping its stream: detach, then the handler's owner frees. */
static weft_stream *kept;

static void keep_handler(weft_stream *s, void *arg) {
  (void)arg;
  weft_stream_detach(s);
  kept = s;
}

static void *detach(void *arg) {
  weft_stream_server *srv;
  weft_stream *c;
  const char *line;
  size_t len;

  (void)arg;
  ASSERT_OK(weft_start_server("127.0.0.1", 0, keep_handler, NULL, NULL, &srv));
  ASSERT_OK(weft_open_connection("127.0.0.1", weft_stream_server_port(srv), NULL, &c));
  while (!kept)
    ASSERT_OK(weft_sleep(0.01));
  sp_settle(); /* the handler has returned */
  ASSERT_OK(weft_stream_write_str(kept, "still open\n"));
  ASSERT_OK(weft_stream_read_line(c, &line, &len));
  ASSERT_EQ(11u, len);
  weft_stream_free(kept);
  weft_stream_server_free(srv);
  ASSERT_EQ(0, weft_stream_next_line(c, &line, &len));
  weft_stream_free(c);
  return NULL;
}

TEST_IMPL(stream_server_handler_detach) {
  return weft_test_run(detach, NULL, NULL);
}

static void *serve_forever_cancel(void *arg) {
  weft_stream_server *srv;
  weft_scope sc;

  (void)arg;
  ASSERT_OK(weft_start_server("127.0.0.1", 0, echo_handler, NULL, NULL, &srv));
  ASSERT_OK(weft_timeout_enter(&sc, 0.05));
  ASSERT_EQ(-ETIMEDOUT, weft_stream_server_serve_forever(srv));
  weft_timeout_leave(&sc);
  ASSERT_OK(weft_stream_server_wait_closed(srv, INFINITY));
  weft_stream_server_free(srv);
  return NULL;
}

TEST_IMPL(stream_server_serve_forever_timeout) {
  return weft_test_run(serve_forever_cancel, NULL, NULL);
}

/* ---- pipes ----------------------------------------------------------------- */

static void *pipes(void *arg) {
  int a[2], b[2];
  weft_stream *s;
  const char *line;
  char buf[16];
  size_t len;

  (void)arg;
  ASSERT_OK(pipe(a)); /* we read a[0] */
  ASSERT_OK(pipe(b)); /* we write b[1] */
  ASSERT_OK(weft_stream_open_pipes(a[0], b[1], &s));
  ASSERT_EQ(0, weft_stream_is_closing(s));
  ASSERT_EQ(5, write(a[1], "ping\n", 5));
  ASSERT_OK(weft_stream_read_line(s, &line, &len));
  ASSERT_EQ(5u, len);
  ASSERT_OK(weft_stream_write_str(s, "pong\n"));
  ASSERT_OK(weft_stream_drain(s));
  sp_settle();
  ASSERT_EQ(5, read(b[0], buf, sizeof buf));
  ASSERT_EQ(-ENOTSUP, weft_stream_peername(s, &(struct sockaddr_storage){0}));
  close(a[1]);
  ASSERT_EQ(0, weft_stream_next_line(s, &line, &len));
  weft_stream_close(s);
  ASSERT_OK(weft_stream_wait_closed(s));
  ASSERT_EQ(0, read(b[0], buf, sizeof buf)); /* our write end closed */
  weft_stream_free(s);
  close(b[0]);
  return NULL;
}

TEST_IMPL(stream_pipes) {
  return weft_test_run(pipes, NULL, NULL);
}

/* A write-only stream (stdout-like): open until closed. */
static void *pipe_write_only(void *arg) {
  weft_stream *s;
  char buf[8];
  size_t got;
  int b[2];

  (void)arg;
  ASSERT_OK(pipe(b));
  ASSERT_OK(weft_stream_open_pipes(-1, b[1], &s));
  ASSERT_EQ(0, weft_stream_is_closing(s));
  ASSERT_OK(weft_stream_read(s, buf, sizeof buf, &got)); /* nothing to read: EOF */
  ASSERT_EQ(0u, got);
  ASSERT_OK(weft_stream_write_str(s, "out\n"));
  ASSERT_OK(weft_stream_drain(s));
  sp_settle();
  ASSERT_EQ(4, read(b[0], buf, sizeof buf));
  weft_stream_close(s);
  ASSERT_EQ(1, weft_stream_is_closing(s));
  ASSERT_OK(weft_stream_wait_closed(s));
  weft_stream_free(s);
  close(b[0]);
  return NULL;
}

TEST_IMPL(stream_pipe_write_only) {
  return weft_test_run(pipe_write_only, NULL, NULL);
}

static void *pipes_bad(void *arg) {
  weft_stream *s = (void *)1;

  (void)arg;
  ASSERT_EQ(-EBADF, weft_stream_open_pipes(-1, -1, &s));
  ASSERT_NULL(s);
  return NULL;
}

TEST_IMPL(stream_pipes_bad_fds) {
  return weft_test_run(pipes_bad, NULL, NULL);
}

/* ---- real peers -------------------------------------------------------------- */

/* Start cmd with its stdout on a pipe; read its first line (a port). */
static pid_t start_peer(const char *const argv[], int *out_fd, int *port) {
  int fds[2];
  char buf[32] = "";
  ssize_t n;
  pid_t pid;

  ASSERT_OK(pipe(fds));
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  *out_fd = fds[0];
  if (port) {
    n = read(fds[0], buf, sizeof buf - 1);
    ASSERT_GT(n, 0);
    *port = atoi(buf);
    ASSERT_GT(*port, 0);
  }
  return pid;
}

static int wait_peer(void *pidp) {
  int st;

  ASSERT_EQ(*(pid_t *)pidp, waitpid(*(pid_t *)pidp, &st, 0));
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char py_server[] = "import asyncio\n"
                                "async def h(r, w):\n"
                                "    async for line in r:\n"
                                "        w.write(line.upper())\n"
                                "        await w.drain()\n"
                                "    w.close()\n"
                                "async def main():\n"
                                "    s = await asyncio.start_server(h, '127.0.0.1', 0)\n"
                                "    print(s.sockets[0].getsockname()[1], flush=True)\n"
                                "    async with s:\n"
                                "        await asyncio.sleep(5)\n"
                                "asyncio.run(main())\n";

static void *python_server(void *arg) {
  const char *const argv[] = {"/usr/bin/python3", "-c", py_server, NULL};
  weft_stream *s;
  const char *line;
  size_t len;
  int fd, port;
  pid_t pid;

  (void)arg;
  pid = start_peer(argv, &fd, &port);
  ASSERT_OK(weft_open_connection("127.0.0.1", port, NULL, &s));
  ASSERT_OK(weft_stream_write_str(s, "hello python\nsecond line\n"));
  ASSERT_OK(weft_stream_read_line(s, &line, &len));
  ASSERT_EQ(13u, len);
  ASSERT_OK(memcmp(line, "HELLO PYTHON\n", len));
  ASSERT_OK(weft_stream_read_line(s, &line, &len));
  ASSERT_OK(memcmp(line, "SECOND LINE\n", len));
  ASSERT_OK(weft_stream_write_eof(s));
  ASSERT_EQ(0, weft_stream_next_line(s, &line, &len));
  weft_stream_free(s);
  kill(pid, SIGTERM);
  wait_peer(&pid);
  close(fd);
  return NULL;
}

TEST_TIMEOUT(stream_peer_python_server, 30);
TEST_IMPL(stream_peer_python_server) {
  return weft_test_run(python_server, NULL, NULL);
}

static const char py_client[] =
    "import asyncio, sys\n"
    "async def main():\n"
    "    r, w = await asyncio.open_connection('127.0.0.1', int(sys.argv[1]))\n"
    "    for i in range(100):\n"
    "        w.write(b'line %d\\n' % i)\n"
    "    w.write_eof()\n"
    "    n = 0\n"
    "    async for line in r:\n"
    "        assert line == b'line %d\\n' % n, line\n"
    "        n += 1\n"
    "    print('got', n, flush=True)\n"
    "asyncio.run(main())\n";

static void *python_client(void *arg) {
  weft_stream_server *srv;
  char portstr[16], out[64] = "";
  int fd, served = 0;
  pid_t pid;

  (void)arg;
  ASSERT_OK(weft_start_server("127.0.0.1", 0, echo_handler, &served, NULL, &srv));
  snprintf(portstr, sizeof portstr, "%d", weft_stream_server_port(srv));
  {
    const char *const argv[] = {"/usr/bin/python3", "-c", py_client, portstr, NULL};

    pid = start_peer(argv, &fd, NULL);
  }
  while (served == 0)
    ASSERT_OK(weft_sleep(0.01));
  ASSERT_GT(read(fd, out, sizeof out - 1), 0);
  ASSERT_STR_EQ("got 100\n", out);
  ASSERT_EQ(0, wait_peer(&pid));
  close(fd);
  weft_stream_server_free(srv);
  return NULL;
}

TEST_TIMEOUT(stream_peer_python_client, 30);
TEST_IMPL(stream_peer_python_client) {
  return weft_test_run(python_client, NULL, NULL);
}

/* socat as a client: its stdin goes to our server, the echo comes back. */
static void *socat_client(void *arg) {
  weft_stream_server *srv;
  char cmd[256], out[128] = "";
  int fd, served = 0;
  pid_t pid;

  (void)arg;
  if (access("/usr/bin/socat", X_OK) != 0)
    return NULL;
  ASSERT_OK(weft_start_server("127.0.0.1", 0, echo_handler, &served, NULL, &srv));
  snprintf(cmd, sizeof cmd, "printf 'one\\ntwo\\n' | /usr/bin/socat -t5 - TCP:127.0.0.1:%d",
           weft_stream_server_port(srv));
  {
    const char *const argv[] = {"/bin/sh", "-c", cmd, NULL};

    pid = start_peer(argv, &fd, NULL);
  }
  while (served == 0)
    ASSERT_OK(weft_sleep(0.01));
  ASSERT_EQ(0, wait_peer(&pid));
  ASSERT_EQ(8, read(fd, out, sizeof out - 1));
  ASSERT_STR_EQ("one\ntwo\n", out);
  close(fd);
  weft_stream_server_free(srv);
  return NULL;
}

TEST_TIMEOUT(stream_peer_socat_client, 30);
TEST_IMPL(stream_peer_socat_client) {
  return weft_test_run(socat_client, NULL, NULL);
}
