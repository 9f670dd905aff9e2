/* Servers under load: 10,000 concurrent connections, 100,000 connect/close
 * cycles with the fd count back to baseline, EMFILE at accept. */
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "test-transport-util.h"

#define NCONC 10000

TEST_TIMEOUT(server_10k_connections, 120);
TEST_TIMEOUT(server_100k_cycles, 240);
TEST_TIMEOUT(server_emfile_backoff, 60);

static srv_side side;

/* The child: NCONC blocking clients, each sends one byte and reads the
 * echo; then it reports on the pipe and waits for the parent's word. */
static void child_clients(int port, int report, int go) {
  static int fds[NCONC];
  struct sockaddr_in sin = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  char c;

  if (raise_nofile(NCONC + 64) != 0)
    _exit(2);
  for (int i = 0; i < NCONC; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sin, sizeof sin) != 0)
      _exit(3);
  }
  for (int i = 0; i < NCONC; i++)
    if (write(fds[i], "x", 1) != 1)
      _exit(4);
  for (int i = 0; i < NCONC; i++)
    if (read(fds[i], &c, 1) != 1 || c != 'x')
      _exit(5);
  if (write(report, "k", 1) != 1 || read(go, &c, 1) != 1)
    _exit(6);
  _exit(0);
}

static void *conc_main(void *arg) {
  weft_server_opts o = WEFT_SERVER_OPTS_INIT;
  int report[2], go[2], status;
  weft_server *srv;
  pid_t pid;
  char c;

  (void)arg;
  ASSERT_OK(raise_nofile(NCONC + 256));
  side.echo = 1;
  o.backlog = 4096;
  srv = start_server(&side, &o);
  ASSERT_OK(pipe(report));
  ASSERT_OK(pipe(go));
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0)
    child_clients(weft_server_port(srv), report[1], go[0]);
  fcntl(report[0], F_SETFL, O_NONBLOCK);
  WAIT_UNTIL(read(report[0], &c, 1) == 1, 100);
  ASSERT_EQ(NCONC, weft_server_connections(srv));
  ASSERT_EQ(NCONC, side.n);
  ASSERT_EQ(1, write(go[1], "g", 1));
  WAIT_UNTIL(weft_server_connections(srv) == 0, 60);
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  ASSERT(WIFEXITED(status));
  ASSERT_EQ(0, WEXITSTATUS(status));
  stop_server(srv);
  close(report[0]), close(report[1]), close(go[0]), close(go[1]);
  return NULL;
}

TEST_IMPL(server_10k_connections) {
  ASSERT_OK(weft_test_run(conc_main, NULL, NULL));
  return 0;
}

/* Connect and close, over and over, from several tasks at once. The
 * client ends each connection with a reset (SO_LINGER 0) so no TIME_WAIT
 * state eats the ephemeral ports. */
#define CYCLES 100000
#define WORKERS 8

static int cycle_port;
static int cycles_done;

static void cycle_lost(weft_transport *tr, int err, void *arg) {
  (void)tr;
  (void)err;
  (*(int *)arg)++;
}

static void cycle_data(weft_transport *tr, const char *d, size_t n, void *arg) {
  (void)tr, (void)d, (void)n, (void)arg;
}

static const weft_protocol cycle_proto = {.data_received = cycle_data,
                                          .connection_lost = cycle_lost};

static void *cycle_worker(void *arg) {
  struct linger lg = {1, 0};
  int lost = 0, n = 0;

  (void)arg;
  while (cycles_done < CYCLES) {
    weft_transport *tr;

    cycles_done++;
    ASSERT_OK(weft_create_connection("127.0.0.1", cycle_port, &cycle_proto, &lost, NULL, &tr));
    setsockopt(weft_transport_fileno(tr), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    weft_transport_abort(tr);
    n++;
  }
  WAIT_UNTIL(lost == n, 10);
  return NULL;
}

static void *cycles_main(void *arg) {
  weft_task *t[WORKERS];
  weft_server *srv;
  int base;

  (void)arg;
  side.echo = 1;
  srv = start_server(&side, &(weft_server_opts){.backlog = 1024});
  cycle_port = weft_server_port(srv);
  /* libuv keeps one spare fd per loop from its first stream on: count
   * after it exists. */
  {
    weft_transport *tr;
    int lost = 0;

    ASSERT_OK(weft_create_connection("127.0.0.1", cycle_port, &cycle_proto, &lost, NULL, &tr));
    weft_transport_close(tr);
    WAIT_UNTIL(lost == 1 && weft_server_connections(srv) == 0, 5);
  }
  base = count_fds();
  for (int i = 0; i < WORKERS; i++)
    ASSERT_OK(weft_spawn(&t[i], cycle_worker, NULL, NULL));
  for (int i = 0; i < WORKERS; i++) {
    ASSERT_OK(weft_await(t[i], NULL));
    weft_task_release(t[i]);
  }
  WAIT_UNTIL(weft_server_connections(srv) == 0, 30);
  ASSERT_GE(side.n, CYCLES - 64); /* resets may beat a few accepts */
  ASSERT_EQ(base, count_fds());
  stop_server(srv);
  return NULL;
}

TEST_IMPL(server_100k_cycles) {
  ASSERT_OK(weft_test_run(cycles_main, NULL, NULL));
  return 0;
}

/* EMFILE at accept: with the fd limit reached the server stops polling and
 * retries on a timer (little CPU while it cannot accept), and accepts the
 * waiting client once fds are free again. */
static double cpu_seconds(void) {
  struct rusage ru;

  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void *emfile_main(void *arg) {
  weft_server_opts o = WEFT_SERVER_OPTS_INIT;
  struct rlimit rl, low;
  int hog[64], nhog = 0, cfd;
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  weft_server *srv;
  double cpu0;

  (void)arg;
  side.echo = 1;
  o.accept_retry_delay = 0.05;
  srv = start_server(&side, &o);
  sin.sin_port = htons((uint16_t)weft_server_port(srv));
  /* The client socket exists before the limit drops. */
  cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(cfd, 0);
  ASSERT_OK(getrlimit(RLIMIT_NOFILE, &rl));
  low = rl;
  low.rlim_cur = (rlim_t)count_fds() + 8;
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &low));
  while (nhog < 64 && (hog[nhog] = open("/dev/null", O_RDONLY)) >= 0)
    nhog++;
  ASSERT_LT(nhog, 64); /* the table is full */
  ASSERT(connect(cfd, (struct sockaddr *)&sin, sizeof sin) == 0 || errno == EINPROGRESS);
  cpu0 = cpu_seconds();
  ASSERT_OK(weft_sleep(0.5));
  ASSERT_EQ(0, side.n);
  ASSERT_LT(cpu_seconds() - cpu0, 0.25); /* no busy loop on the ready socket */
  while (nhog)
    close(hog[--nhog]);
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
  WAIT_UNTIL(side.n == 1, 5); /* recovered */
  ASSERT_EQ(1, write(cfd, "e", 1));
  close(cfd);
  WAIT_UNTIL(weft_server_connections(srv) == 0, 5);
  stop_server(srv);
  return NULL;
}

TEST_IMPL(server_emfile_backoff) {
  ASSERT_OK(weft_test_run(emfile_main, NULL, NULL));
  return 0;
}

extern long weft_test_alloc_fail_at;
extern long weft_test_alloc_count;
extern int weft_test_alloc_persistent;

/* Memory short when a connection comes: it stays in the listen backlog,
 * accepting backs off (no busy loop), and once memory is back the
 * connection is served; it is not accepted and dropped. */
static void *nomem_main(void *arg) {
  weft_server_opts o = WEFT_SERVER_OPTS_INIT;
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  weft_server *srv;
  double cpu0;
  int cfd, rc;
  char c = 0;

  (void)arg;
  side.echo = 1;
  side.n = 0;
  o.accept_retry_delay = 0.05;
  srv = start_server(&side, &o);
  sin.sin_port = htons((uint16_t)weft_server_port(srv));
  cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(cfd, 0);
  ASSERT_OK(weft_sleep(0.01)); /* the timer heap has room: the sleep below allocates nothing */
  weft_test_alloc_persistent = 1;
  weft_test_alloc_fail_at = weft_test_alloc_count + 1; /* every allocation fails from here */
  ASSERT(connect(cfd, (struct sockaddr *)&sin, sizeof sin) == 0 || errno == EINPROGRESS);
  cpu0 = cpu_seconds();
  rc = weft_sleep(0.3);
  weft_test_alloc_fail_at = 0;
  weft_test_alloc_persistent = 0;
  ASSERT_OK(rc);
  ASSERT_EQ(0, side.n);
  ASSERT_LT(cpu_seconds() - cpu0, 0.15); /* no busy loop on the ready socket */
  WAIT_UNTIL(side.n == 1, 5);            /* memory is back: accepted */
  ASSERT_EQ(1, write(cfd, "m", 1));
  WAIT_UNTIL(recv(cfd, &c, 1, MSG_DONTWAIT) == 1, 5);
  ASSERT_EQ('m', c);
  close(cfd);
  WAIT_UNTIL(weft_server_connections(srv) == 0, 5);
  stop_server(srv);
  return NULL;
}

TEST_IMPL(server_memory_short_backs_off) {
  ASSERT_OK(weft_test_run(nomem_main, NULL, NULL));
  return 0;
}
