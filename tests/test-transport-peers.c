/* Real peers on loopback: Python's socket module and socat, as servers
 * and as clients of weft's transports. */
#include <sys/wait.h>

#include "test-transport-util.h"

typedef struct peer {
  pid_t pid;
  int out;
  char buf[8192];
  size_t len;
  int eof;
} peer;

/* Run `sh -c cmd` with its stdout on a pipe we read without blocking. */
static void peer_start(peer *p, const char *cmd) {
  int fds[2];

  memset(p, 0, sizeof *p);
  ASSERT_OK(pipe(fds));
  p->pid = fork();
  ASSERT_GE(p->pid, 0);
  if (p->pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  p->out = fds[0];
  fcntl(p->out, F_SETFL, O_NONBLOCK);
}

static int peer_pump(peer *p) {
  ssize_t n;

  while (!p->eof && p->len + 1 < sizeof p->buf) {
    n = read(p->out, p->buf + p->len, sizeof p->buf - 1 - p->len);
    if (n > 0)
      p->len += (size_t)n;
    else if (n == 0)
      p->eof = 1;
    else
      break;
  }
  p->buf[p->len] = '\0';
  return p->eof;
}

static int peer_finish(peer *p) {
  int status;

  WAIT_UNTIL(peer_pump(p), 20);
  close(p->out);
  ASSERT_EQ(p->pid, waitpid(p->pid, &status, 0));
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static rec cli;
static srv_side side;

static const char py_server[] = "/usr/bin/python3 -c '\n"
                                "import socket, sys\n"
                                "s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen(1)\n"
                                "print(s.getsockname()[1], flush=True)\n"
                                "c, _ = s.accept()\n"
                                "while True:\n"
                                "    d = c.recv(65536)\n"
                                "    if not d: break\n"
                                "    c.sendall(d)\n"
                                "c.sendall(b\"<bye>\"); c.close()\n"
                                "'";

/* weft client, Python server: echo, then our EOF makes it answer and close. */
static void *py_server_main(void *arg) {
  static char big[200000];
  weft_transport *tr;
  peer p;
  int port;

  (void)arg;
  peer_start(&p, py_server);
  WAIT_UNTIL((peer_pump(&p), strchr(p.buf, '\n')), 20);
  port = atoi(p.buf);
  ASSERT_GT(port, 0);
  ASSERT_OK(weft_create_connection("127.0.0.1", port, &rec_proto, &cli, NULL, &tr));
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (char)('a' + i % 26);
  ASSERT_OK(weft_transport_write(tr, big, sizeof big));
  ASSERT_OK(weft_transport_write_eof(tr));
  WAIT_UNTIL(cli.lost, 20);
  ASSERT_STR_EQ("MDEL", cli.log);
  ASSERT_EQ(sizeof big + 5, cli.len);
  ASSERT_OK(memcmp(cli.data, big, sizeof big));
  ASSERT_OK(memcmp(cli.data + sizeof big, "<bye>", 5));
  ASSERT_EQ(0, peer_finish(&p));
  rec_free(&cli);
  return NULL;
}

TEST_IMPL(transport_python_server) {
  ASSERT_OK(weft_test_run(py_server_main, NULL, NULL));
  return 0;
}

/* Python client, weft echo server. */
static void *py_client_main(void *arg) {
  weft_server *srv;
  char cmd[1024];
  peer p;

  (void)arg;
  side.echo = 1;
  srv = start_server(&side, NULL);
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 -c '\n"
           "import socket\n"
           "c = socket.create_connection((\"127.0.0.1\", %d))\n"
           "c.sendall(b\"hello from python \" * 1000)\n"
           "c.shutdown(socket.SHUT_WR)\n"
           "got = b\"\"\n"
           "while True:\n"
           "    d = c.recv(65536)\n"
           "    if not d: break\n"
           "    got += d\n"
           "print(len(got), got[:17].decode())\n"
           "'",
           weft_server_port(srv));
  peer_start(&p, cmd);
  ASSERT_EQ(0, peer_finish(&p));
  ASSERT_STR_EQ("18000 hello from python\n", p.buf);
  WAIT_UNTIL(side.conns[0].lost, 5);
  ASSERT_STR_EQ("MDEL", side.conns[0].log);
  stop_server(srv);
  return NULL;
}

TEST_IMPL(transport_python_client) {
  ASSERT_OK(weft_test_run(py_client_main, NULL, NULL));
  return 0;
}

/* socat as a client of weft's TCP and Unix servers. */
static void *socat_tcp_main(void *arg) {
  weft_server *srv;
  char cmd[256];
  peer p;

  (void)arg;
  side.echo = 1;
  srv = start_server(&side, NULL);
  snprintf(cmd, sizeof cmd, "printf 'via socat' | socat -t 5 - TCP:127.0.0.1:%d",
           weft_server_port(srv));
  peer_start(&p, cmd);
  ASSERT_EQ(0, peer_finish(&p));
  ASSERT_STR_EQ("via socat", p.buf);
  WAIT_UNTIL(weft_server_connections(srv) == 0, 5);
  stop_server(srv);
  return NULL;
}

TEST_IMPL(transport_socat_tcp) {
  ASSERT_OK(weft_test_run(socat_tcp_main, NULL, NULL));
  return 0;
}

static void *socat_unix_main(void *arg) {
  char path[64], name[64], cmd[256];
  weft_server *srv;
  peer p;

  (void)arg;
  side.echo = 1;
  snprintf(path, sizeof path, "/tmp/weft-socat-%d.sock", (int)getpid());
  ASSERT_OK(weft_create_unix_server(path, srv_factory, &side, NULL, &srv));
  snprintf(cmd, sizeof cmd, "printf 'unix path' | socat -t 5 - UNIX-CONNECT:%s", path);
  peer_start(&p, cmd);
  ASSERT_EQ(0, peer_finish(&p));
  ASSERT_STR_EQ("unix path", p.buf);
  WAIT_UNTIL(weft_server_connections(srv) == 0, 5);
  stop_server(srv);
  snprintf(name, sizeof name, "@weft-socat-%d", (int)getpid());
  ASSERT_OK(weft_create_unix_server(name, srv_factory, &side, NULL, &srv));
  snprintf(cmd, sizeof cmd, "printf 'abstract' | socat -t 5 - ABSTRACT-CONNECT:%s", name + 1);
  peer_start(&p, cmd);
  ASSERT_EQ(0, peer_finish(&p));
  ASSERT_STR_EQ("abstract", p.buf);
  WAIT_UNTIL(weft_server_connections(srv) == 0, 5);
  stop_server(srv);
  return NULL;
}

TEST_IMPL(unix_socat_client) {
  ASSERT_OK(weft_test_run(socat_unix_main, NULL, NULL));
  return 0;
}

/* socat as a server: weft connects over Unix to `socat UNIX-LISTEN` that
 * runs `tr a-z A-Z` on what it receives. */
static void *socat_server_main(void *arg) {
  char path[64], cmd[256];
  weft_transport *tr = NULL;
  peer p;
  int rc = -1;

  (void)arg;
  snprintf(path, sizeof path, "/tmp/weft-socat-srv-%d.sock", (int)getpid());
  unlink(path);
  snprintf(cmd, sizeof cmd, "socat UNIX-LISTEN:%s EXEC:'tr a-z A-Z'", path);
  peer_start(&p, cmd);
  for (int i = 0; i < 500 && rc != 0; i++) {
    rc = weft_create_unix_connection(path, &rec_proto, &cli, NULL, &tr);
    if (rc)
      ASSERT_OK(weft_sleep(0.01));
  }
  ASSERT_OK(rc);
  ASSERT_OK(weft_transport_write(tr, "shout", 5));
  ASSERT_OK(weft_transport_write_eof(tr));
  WAIT_UNTIL(cli.lost, 10);
  ASSERT_EQ(5, cli.len);
  ASSERT_OK(memcmp(cli.data, "SHOUT", 5));
  ASSERT_EQ(0, peer_finish(&p));
  unlink(path);
  rec_free(&cli);
  return NULL;
}

TEST_IMPL(unix_socat_server) {
  ASSERT_OK(weft_test_run(socat_server_main, NULL, NULL));
  return 0;
}
