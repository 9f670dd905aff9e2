/*
 * UDP against real peers on loopback: a Python echo server (the test's
 * client is weft) and socat as a client (the test's server is weft).
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

typedef struct peer {
  pid_t pid;
  FILE *out; /* its stdout */
} peer;

/* Run `sh -c cmd` with its stdout on a pipe. */
static void peer_start(peer *p, const char *cmd) {
  int fds[2];

  ASSERT_OK(pipe(fds));
  p->pid = fork();
  ASSERT(p->pid >= 0);
  if (p->pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  p->out = fdopen(fds[0], "r");
  ASSERT_NOT_NULL(p->out);
}

static int peer_wait(peer *p) {
  int status = 0;

  ASSERT_EQ(p->pid, waitpid(p->pid, &status, 0));
  fclose(p->out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Echoes each datagram with "py:" in front until it gets "quit". */
static const char py_echo[] =
    "/usr/bin/python3 -c '\n"
    "import socket, sys\n"
    "fam = socket.AF_INET6 if sys.argv[1] == \"::1\" else socket.AF_INET\n"
    "s = socket.socket(fam, socket.SOCK_DGRAM)\n"
    "s.bind((sys.argv[1], 0)); s.settimeout(20)\n"
    "print(s.getsockname()[1], flush=True)\n"
    "while True:\n"
    "    d, a = s.recvfrom(70000)\n"
    "    if d == b\"quit\": break\n"
    "    s.sendto(b\"py:\" + d, a)\n"
    "' ";

typedef struct py_job {
  const char *host;
  int port;
} py_job;

static void *py_client(void *arg) {
  py_job *j = arg;
  weft_udp_opts o = {.remote_host = j->host, .remote_port = j->port};
  static char big[60000], in[65536];
  weft_udp *c = NULL;
  size_t len;

  ASSERT_OK(weft_udp_open(&c, &o));
  for (int i = 0; i < 5; i++) {
    char msg[16];
    int n = snprintf(msg, sizeof msg, "msg %d", i);

    ASSERT_OK(weft_udp_send(c, msg, (size_t)n));
    ASSERT_OK(weft_udp_recvfrom(c, in, sizeof in, &len, NULL));
    ASSERT_EQ(n + 3, len);
    ASSERT_OK(memcmp(in, "py:", 3));
    ASSERT_OK(memcmp(in + 3, msg, (size_t)n));
  }
  memset(big, 'B', sizeof big);
  ASSERT_OK(weft_udp_send(c, big, sizeof big));
  ASSERT_OK(weft_udp_recvfrom(c, in, sizeof in, &len, NULL));
  ASSERT_EQ(sizeof big + 3, len);
  ASSERT_OK(weft_udp_send(c, "truncate me", 11)); /* the reply is cut, and says so */
  ASSERT_EQ(-EMSGSIZE, weft_udp_recvfrom(c, in, 2, &len, NULL));
  ASSERT_EQ(14, len);
  ASSERT_OK(memcmp(in, "py", 2));
  ASSERT_OK(weft_udp_send(c, "quit", 4));
  weft_udp_close(c);
  return NULL;
}

static void python_round(const char *host) {
  char cmd[1024];
  py_job j = {.host = host};
  peer p;

  snprintf(cmd, sizeof cmd, "%s%s", py_echo, host);
  peer_start(&p, cmd);
  ASSERT_EQ(1, fscanf(p.out, "%d", &j.port));
  ASSERT_GT(j.port, 0);
  ASSERT_OK(weft_test_run(py_client, &j, NULL));
  ASSERT_OK(peer_wait(&p));
}

TEST_TIMEOUT(udp_peer_python, 30);
TEST_IMPL(udp_peer_python) {
  python_round("127.0.0.1");
  python_round("::1");
  return 0;
}

/* socat sends two lines from its stdin as datagrams and prints what comes
 * back; the weft server echoes them reversed. */
static void *socat_server(void *arg) {
  weft_udp_opts o = {.local_host = "127.0.0.1"};
  struct sockaddr_storage ss, from;
  weft_udp *u = NULL;
  char cmd[256], buf[128], out[128];
  size_t len;
  peer *p = arg;

  ASSERT_OK(weft_udp_open(&u, &o));
  ASSERT_OK(weft_udp_sockname(u, &ss));
  snprintf(cmd, sizeof cmd,
           "(printf 'hello weft\\n'; sleep 0.3; printf 'second line\\n') | "
           "socat -t 1 - UDP:127.0.0.1:%d",
           weft_udp_addr_port((struct sockaddr *)&ss));
  peer_start(p, cmd);
  for (int i = 0; i < 2; i++) {
    ASSERT_OK(weft_udp_recvfrom(u, buf, sizeof buf, &len, &from));
    ASSERT_EQ('\n', buf[len - 1]);
    for (size_t k = 0; k + 1 < len; k++)
      out[k] = buf[len - 2 - k];
    out[len - 1] = '\n';
    ASSERT_OK(weft_udp_sendto(u, out, len, (struct sockaddr *)&from));
  }
  weft_udp_close(u);
  return NULL;
}

TEST_TIMEOUT(udp_peer_socat, 30);
TEST_IMPL(udp_peer_socat) {
  peer p;
  char line[128];

  ASSERT_OK(weft_test_run(socat_server, &p, NULL));
  ASSERT_NOT_NULL(fgets(line, sizeof line, p.out));
  ASSERT_STR_EQ("tfew olleh\n", line);
  ASSERT_NOT_NULL(fgets(line, sizeof line, p.out));
  ASSERT_STR_EQ("enil dnoces\n", line);
  ASSERT_OK(peer_wait(&p));
  return 0;
}
