/*
 * Peers for the DNS tests: dnsmasq serving records of every type on a
 * loopback port, a Python responder answering SERVFAIL/REFUSED/garbage by
 * the first label of the name, and a UDP socket that never answers. Each
 * peer dies with the test process.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/test.h"

int dns_dnsmasq_start(int *pid, int *port);
int dns_responder_start(int *pid, int *port);
int dns_silent_open(int *fd, int *port);
void dns_peer_stop(int pid);

static void nap_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

  nanosleep(&ts, NULL);
}

/* A UDP socket bound to a free loopback port. */
static int udp_bound(int port, int *out_port) {
  struct sockaddr_in sin = {0};
  socklen_t len = sizeof sin;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  ASSERT(fd >= 0);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons((uint16_t)port);
  if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
    close(fd);
    return -errno;
  }
  ASSERT_OK(getsockname(fd, (struct sockaddr *)&sin, &len));
  if (out_port)
    *out_port = ntohs(sin.sin_port);
  return fd;
}

int dns_silent_open(int *fd, int *port) {
  *fd = udp_bound(0, port);
  return *fd >= 0 ? 0 : *fd;
}

static pid_t spawn(char *const argv[], int out_fd) {
  pid_t pid = fork();

  ASSERT(pid >= 0);
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(null, 0);
    dup2(out_fd >= 0 ? out_fd : null, 1);
    if (!getenv("WEFT_DNS_PEER_LOG"))
      dup2(null, 2);
    execv(argv[0], argv);
    _exit(127);
  }
  return pid;
}

void dns_peer_stop(int pid) {
  if (pid <= 0)
    return;
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

static char arg_port[32];
static char *dnsmasq_argv[] = {
    "/usr/sbin/dnsmasq",
    arg_port,
    "--no-daemon",
    "--no-resolv",
    "--no-hosts",
    "--conf-file=/dev/null",
    "--listen-address=127.0.0.1",
    "--bind-interfaces",
    "--local-ttl=300",
    "--local=/test/",
    "--host-record=a.test,192.0.2.1,2001:db8::1",
    "--host-record=b.test,192.0.2.2",
    "--host-record=v6only.test,2001:db8::6",
    "--host-record=short.test,192.0.2.3,5",
    "--cname=alias.test,a.test",
    "--mx-host=mail.test,mx1.test,10",
    "--mx-host=mail.test,mx2.test,20",
    "--txt-record=txt.test,hello world,second part",
    "--srv-host=_http._tcp.srv.test,web.test,8080,1,2",
    "--ptr-record=ptr.test,target.test",
    "--naptr-record=naptr.test,100,10,U,E2U+sip,!^.*$!sip:info@example.test!",
    "--caa-record=caa.test,0,issue,letsencrypt.org",
    "--auth-zone=zone.test",
    "--auth-server=ns1.zone.test,127.0.0.2",
    "--auth-soa=2024010101,hostmaster.zone.test,1200,120,604800",
    "--host-record=ns1.zone.test,192.0.2.53",
    NULL};

/* dnsmasq has bound the port when we no longer can. */
static int wait_bound(pid_t pid, int port) {
  for (int i = 0; i < 250; i++) {
    int fd = udp_bound(port, NULL);

    if (fd == -EADDRINUSE)
      return 0;
    if (fd >= 0)
      close(fd);
    if (waitpid(pid, NULL, WNOHANG) == pid)
      return -1;
    nap_ms(20);
  }
  return -1;
}

int dns_dnsmasq_start(int *pid, int *port) {
  for (int attempt = 0; attempt < 10; attempt++) {
    int fd = udp_bound(0, port);

    ASSERT(fd >= 0);
    close(fd);
    snprintf(arg_port, sizeof arg_port, "--port=%d", *port);
    *pid = spawn(dnsmasq_argv, -1);
    if (wait_bound(*pid, *port) == 0)
      return 0;
    dns_peer_stop(*pid);
  }
  return -1;
}

static const char responder_py[] =
    "import socket,struct,sys\n"
    "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
    "s.bind(('127.0.0.1',0))\n"
    "sys.stdout.write('%d\\n'%s.getsockname()[1]);sys.stdout.flush()\n"
    "while True:\n"
    "  d,a=s.recvfrom(4096)\n"
    "  if len(d)<12: continue\n"
    "  i=12;labels=[]\n"
    "  while i<len(d) and d[i]!=0:\n"
    "    labels.append(d[i+1:i+1+d[i]].decode('ascii','replace').lower());i+=1+d[i]\n"
    "  q=d[12:i+5];first=labels[0] if labels else ''\n"
    "  def hdr(rc,an): return d[:2]+struct.pack('>HHHHH',0x8180|rc,1,an,0,0)\n"
    "  rr=b'\\xc0\\x0c\\x00\\x01\\x00\\x01\\x00\\x00\\x00\\x3c'\n"
    "  codes={'servfail':2,'refused':5,'formerr':1,'notimp':4,'nxdomain':3,'nodata':0}\n"
    "  if first in codes: out=hdr(codes[first],0)+q\n"
    "  elif first=='truncated': out=hdr(0,1)+q+rr[:6]\n"
    "  elif first=='badlen': out=hdr(0,1)+q+rr+b'\\x00\\x05\\x01\\x02\\x03\\x04\\x05'\n"
    "  elif first=='overrun': out=hdr(0,2)+q+rr+b'\\x00\\x04\\x01\\x02\\x03\\x04'\n"
    "  elif first=='loop':\n"
    "    "
    "off=12+len(q);out=hdr(0,1)+q+bytes([0xc0|(off>>8),off&0xff])+rr[2:]+b'"
    "\\x00\\x04\\x01\\x02\\x03\\x04'\n"
    "  elif first=='ok': out=hdr(0,1)+q+rr+b'\\x00\\x04\\x0a\\x00\\x00\\x01'\n"
    "  elif first=='noise': out=b'\\x00\\x01\\x02'\n"
    "  else: continue\n"
    "  s.sendto(out,a)\n";

int dns_responder_start(int *pid, int *port) {
  char *argv[] = {"/usr/bin/python3", "-c", (char *)responder_py, NULL};
  char buf[32] = {0};
  int fds[2];
  ssize_t n;

  ASSERT_OK(pipe2(fds, O_CLOEXEC));
  *pid = spawn(argv, fds[1]);
  close(fds[1]);
  n = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  if (n <= 0)
    return -1;
  *port = atoi(buf);
  return *port > 0 ? 0 : -1;
}
