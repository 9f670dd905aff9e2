/* Names with several addresses (through a resolver on dnsmasq): the first
 * address hangs, the second answers; happy eyeballs gets through, one
 * address at a time runs into the deadline. */
#include <signal.h>
#include <sys/wait.h>

#include "test-transport-util.h"
#include "weft/dns.h"

static srv_side side;
static rec cli;

static int free_udp_port(void) {
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sin;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);

  ASSERT_OK(bind(fd, (struct sockaddr *)&sin, len));
  ASSERT_OK(getsockname(fd, (struct sockaddr *)&sin, &len));
  close(fd);
  return ntohs(sin.sin_port);
}

static int udp_port_taken(int port) {
  struct sockaddr_in sin = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_DGRAM, 0), taken;

  taken = bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0;
  close(fd);
  return taken;
}

static pid_t spawn_dnsmasq(int port) {
  char arg_port[32];
  pid_t pid;

  snprintf(arg_port, sizeof arg_port, "--port=%d", port);
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);

    dup2(devnull, 1);
    dup2(devnull, 2);
    execl("/usr/sbin/dnsmasq", "dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts",
          "--conf-file=/dev/null", "--listen-address=127.0.0.1", "--bind-interfaces",
          "--host-record=dual.test,127.0.0.1,::1", arg_port, (char *)NULL);
    _exit(127);
  }
  return pid;
}

/* Start dnsmasq on a free port. Probing the port can collide with its
 * bind (it then exits): start again on another port. */
static pid_t start_dnsmasq(int *port) {
  for (int attempt = 0; attempt < 10; attempt++) {
    pid_t pid;

    *port = free_udp_port();
    pid = spawn_dnsmasq(*port);
    for (int i = 0; i < 500; i++) {
      if (waitpid(pid, NULL, WNOHANG) == pid)
        break;
      if (udp_port_taken(*port))
        return pid;
      ASSERT_OK(weft_sleep(0.01));
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
  }
  ASSERT(!"dnsmasq did not start");
  return -1;
}

/* A loopback listener whose accept queue is full: connects hang. */
static int hung_listener(int family, int *port, int *hogs) {
  struct sockaddr_storage ss;
  socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
  int fd = socket(family, SOCK_STREAM, 0);

  ASSERT_OK(weft_sockaddr_parse(family == AF_INET ? "127.0.0.1" : "::1", 0, family, &ss));
  ASSERT_OK(bind(fd, (struct sockaddr *)&ss, len));
  ASSERT_OK(listen(fd, 0));
  ASSERT_OK(getsockname(fd, (struct sockaddr *)&ss, &len));
  *port = weft_sockaddr_port((struct sockaddr *)&ss);
  for (int i = 0; i < 4; i++) {
    hogs[i] = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(hogs[i], (struct sockaddr *)&ss, len);
  }
  return fd;
}

/* The family of the first address the resolver gives for dual.test, or
 * the lookup's error. */
static int first_family(weft_resolver *r) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
  int fam, rc = weft_resolver_getaddrinfo(r, "dual.test", "80", &hints, &res);

  if (rc)
    return rc;
  ASSERT_NOT_NULL(res->ai_next); /* two addresses */
  fam = res->ai_family;
  weft_freeaddrinfo(res);
  return fam;
}

/* dnsmasq and a resolver on it that answers. Under load another process
 * may grab the probed port before dnsmasq binds it: start over then. */
static pid_t dns_up(weft_resolver **r, char *ns, size_t nslen, int *fam) {
  weft_resolver_opts ro = {0};

  for (int attempt = 0; attempt < 5; attempt++) {
    int dport, status;
    pid_t dns = start_dnsmasq(&dport);

    snprintf(ns, nslen, "127.0.0.1:%d", dport);
    ro.nameservers = ns;
    ro.no_hosts = 1;
    ro.timeout = 1;
    ro.tries = 3;
    ASSERT_OK(weft_resolver_new(r, &ro));
    if ((*fam = first_family(*r)) > 0)
      return dns;
    weft_resolver_free(*r);
    kill(dns, SIGTERM);
    ASSERT_EQ(dns, waitpid(dns, &status, 0));
  }
  ASSERT(!"no answer from dnsmasq");
  return -1;
}

static void *eyeballs_main(void *arg) {
  weft_connect_opts co = WEFT_CONNECT_OPTS_INIT;
  struct sockaddr_storage ss;
  const char *other[1];
  weft_resolver *r;
  weft_server *srv;
  weft_transport *tr;
  weft_scope sc;
  char ns[64];
  int port, hogs[4], lfd, status, fam;
  pid_t dns = dns_up(&r, ns, sizeof ns, &fam);

  (void)arg;
  {
    lfd = hung_listener(fam, &port, hogs);
    other[0] = fam == AF_INET ? "::1" : "127.0.0.1";
    side.echo = 1;
    ASSERT_OK(weft_create_server(other, 1, port, srv_factory, &side, NULL, &srv));
  }
  co.resolver = r;
  /* One address at a time: stuck on the first until the deadline. */
  ASSERT_OK(weft_timeout_enter(&sc, 0.5));
  ASSERT_EQ(-ETIMEDOUT, weft_create_connection("dual.test", port, &rec_proto, &cli, &co, &tr));
  weft_timeout_leave(&sc);
  ASSERT_STR_EQ("", cli.log);
  /* Staggered: the second starts after 0.1 s and wins. */
  co.happy_eyeballs_delay = 0.1;
  ASSERT_OK(weft_timeout_enter(&sc, 5));
  ASSERT_OK(weft_create_connection("dual.test", port, &rec_proto, &cli, &co, &tr));
  ASSERT_OK(weft_timeout_leave(&sc));
  ASSERT_OK(weft_transport_peername(tr, &ss));
  {
    struct sockaddr_storage srv_ss;

    ASSERT_OK(weft_server_sockname(srv, 0, &srv_ss));
    ASSERT_EQ(srv_ss.ss_family, ss.ss_family); /* the second address won */
  }
  ASSERT_OK(weft_transport_write(tr, "eyeballs", 8));
  WAIT_UNTIL(cli.len == 8, 5);
  weft_transport_close(tr);
  WAIT_UNTIL(cli.lost, 5);
  stop_server(srv);
  weft_resolver_free(r);
  for (int i = 0; i < 4; i++)
    close(hogs[i]);
  close(lfd);
  kill(dns, SIGTERM);
  ASSERT_EQ(dns, waitpid(dns, &status, 0));
  rec_free(&cli);
  return NULL;
}

TEST_TIMEOUT(transport_happy_eyeballs, 60);
TEST_IMPL(transport_happy_eyeballs) {
  ASSERT_OK(weft_test_run(eyeballs_main, NULL, NULL));
  return 0;
}
