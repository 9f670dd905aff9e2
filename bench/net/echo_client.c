/* TCP echo load generator, the method of uvloop's vmbench echoclient: N
 * connections, each sends one message of M bytes, waits until all M bytes
 * have come back, and repeats. The same client drives every server.
 *
 *   echo_client [-c conns] [-s bytes] [-d seconds] [-w warmup] [-t] [-p pid] HOST PORT
 *
 * -t speaks TLS (OpenSSL, no certificate verification, TLS 1.3 with
 * TLS_AES_128_GCM_SHA256 so every server runs the same cipher). Plain mode
 * runs on libuv TCP handles; TLS mode polls non-blocking sockets with libuv.
 * Output, after the measured period (the warm-up is not counted):
 *
 *   START                       (when the measured period begins)
 *   RESULT reqs=<req/s> mibs=<MiB/s one way> p50_us=<> p99_us=<> n=<requests>
 *          secs=<measured seconds> cpu=<the client's CPU time / secs>
 *          [server_cpu=<the CPU time of process -p PID / secs>
 *           server_user=<the part of it in user mode, clock-tick grain>]
 */
#include <uv.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct conn {
  uv_tcp_t tcp;   /* plain mode */
  uv_poll_t poll; /* TLS mode */
  uv_write_t wreq;
  SSL *ssl;
  int fd;
  size_t sent;  /* bytes of the current message written */
  size_t recvd; /* bytes of the current echo read */
  uint64_t t0;  /* when the current message started, ns */
  int polling;  /* events the poll handle watches */
  int wpending; /* a uv_write of the current message is in flight */
  char *rbuf;
} conn;

static struct {
  int conns, tls, measuring;
  size_t msize;
  double duration, warmup;
  char *msg;
  uint64_t *lat; /* latency of every request in the measured period, ns */
  size_t nlat, caplat;
  uint64_t start_ns, stop_ns;
  double cpu0, cpu1; /* own CPU seconds when measuring started / stopped */
  int server_pid;    /* -p: also measure this process's CPU time */
  double scpu0, scpu1;
  double suser0, suser1; /* its user-mode CPU seconds (/proc/PID/stat) */
  SSL_CTX *ctx;
  uv_timer_t timer;
  conn *c;
} g;

#define RBUF_SIZE (256 * 1024)

static void die(const char *what, int err) {
  fprintf(stderr, "echo_client: %s: %s\n", what, err ? strerror(err) : "failed");
  ERR_print_errors_fp(stderr);
  exit(1);
}

static void record(uint64_t ns) {
  if (!g.measuring)
    return;
  if (g.nlat == g.caplat) {
    g.caplat = g.caplat ? g.caplat * 2 : 65536;
    g.lat = realloc(g.lat, g.caplat * sizeof *g.lat);
    if (!g.lat)
      die("realloc", ENOMEM);
  }
  g.lat[g.nlat++] = ns;
}

/* One more echo byte count arrived; returns 1 when the message is complete. */
static int got(conn *c, size_t n) {
  c->recvd += n;
  if (c->recvd > g.msize)
    die("server sent more than it was sent", 0);
  if (c->recvd < g.msize)
    return 0;
  record(uv_hrtime() - c->t0);
  return 1;
}

/* ---- plain TCP on libuv handles ---- */

static void plain_send(conn *c);

static void on_written(uv_write_t *req, int status) {
  conn *c = req->data;
  if (status < 0)
    die("write", -status);
  c->sent = g.msize;
  c->wpending = 0;
  if (c->recvd == g.msize)
    plain_send(c);
}

static void plain_send(conn *c) {
  uv_buf_t b = uv_buf_init(g.msg, (unsigned)g.msize);
  c->sent = 0;
  c->recvd = 0;
  c->t0 = uv_hrtime();
  int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (n == UV_EAGAIN)
    n = 0;
  if (n < 0)
    die("uv_try_write", -n);
  c->sent = (size_t)n;
  if (c->sent == g.msize)
    return;
  b = uv_buf_init(g.msg + n, (unsigned)(g.msize - c->sent));
  c->wreq.data = c;
  c->wpending = 1;
  int err = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_written);
  if (err)
    die("uv_write", -err);
}

static void plain_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)hint;
  *buf = uv_buf_init(((conn *)h->data)->rbuf, RBUF_SIZE);
}

static void plain_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  (void)buf;
  conn *c = s->data;
  if (n == UV_EOF)
    die("server closed the connection", 0);
  if (n < 0)
    die("read", (int)-n);
  if (got(c, (size_t)n) && !c->wpending)
    plain_send(c);
}

static void plain_start(uv_loop_t *loop, conn *c) {
  int err = uv_tcp_init(loop, &c->tcp);
  if (!err)
    err = uv_tcp_open(&c->tcp, c->fd);
  if (err)
    die("uv_tcp_open", -err);
  c->tcp.data = c;
  err = uv_read_start((uv_stream_t *)&c->tcp, plain_alloc, plain_read);
  if (err)
    die("uv_read_start", -err);
  plain_send(c);
}

/* ---- TLS on non-blocking sockets polled by libuv ---- */

static void tls_poll(conn *c, int events);

/* Runs SSL_write while there is something to send; returns the events to
 * wait for on behalf of the write side (0 when all is written). */
static int tls_write_some(conn *c) {
  while (c->sent < g.msize) {
    int n = SSL_write(c->ssl, g.msg + c->sent, (int)(g.msize - c->sent));
    if (n > 0) {
      c->sent += (size_t)n;
      continue;
    }
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_WRITE)
      return UV_WRITABLE;
    if (e == SSL_ERROR_WANT_READ)
      return UV_READABLE;
    die("SSL_write", 0);
  }
  return 0;
}

/* Reads all that is readable; returns 1 when the echo completed. */
static int tls_read_some(conn *c) {
  for (;;) {
    int n = SSL_read(c->ssl, c->rbuf, RBUF_SIZE);
    if (n > 0) {
      if (got(c, (size_t)n))
        return 1;
      continue;
    }
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      return 0;
    die(e == SSL_ERROR_ZERO_RETURN ? "server closed the connection" : "SSL_read", 0);
  }
}

static void tls_begin(conn *c) {
  c->sent = 0;
  c->recvd = 0;
  c->t0 = uv_hrtime();
}

static void on_poll(uv_poll_t *p, int status, int events) {
  (void)events;
  conn *c = p->data;
  if (status < 0)
    die("poll", -status);
  int want = tls_write_some(c);
  while (tls_read_some(c)) {
    tls_begin(c);
    want = tls_write_some(c);
  }
  tls_poll(c, UV_READABLE | want);
}

static void tls_poll(conn *c, int events) {
  if (events == c->polling)
    return;
  c->polling = events;
  int err = uv_poll_start(&c->poll, events, on_poll);
  if (err)
    die("uv_poll_start", -err);
}

static void tls_start(uv_loop_t *loop, conn *c) {
  c->ssl = SSL_new(g.ctx);
  if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
    die("SSL_new", 0);
  if (SSL_connect(c->ssl) != 1) /* the socket is still blocking here */
    die("TLS handshake", 0);
  if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) < 0)
    die("fcntl", errno);
  int err = uv_poll_init(loop, &c->poll, c->fd);
  if (err)
    die("uv_poll_init", -err);
  c->poll.data = c;
  tls_begin(c);
  tls_poll(c, UV_READABLE | tls_write_some(c));
}

static void tls_init(void) {
  g.ctx = SSL_CTX_new(TLS_client_method());
  if (!g.ctx)
    die("SSL_CTX_new", 0);
  SSL_CTX_set_verify(g.ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_min_proto_version(g.ctx, TLS1_3_VERSION);
  if (SSL_CTX_set_ciphersuites(g.ctx, "TLS_AES_128_GCM_SHA256") != 1)
    die("SSL_CTX_set_ciphersuites", 0);
  SSL_CTX_set_mode(g.ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

/* ---- setup, phases, report ---- */

static int dial(const char *host, int port) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
    die("host must be an IPv4 address", EINVAL);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die("socket", errno);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
    die("connect", errno);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* CPU seconds of every thread of a process so far (schedstat), -1 if gone. */
static double proc_cpu_seconds(int pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR *d = opendir(path);
  if (!d)
    return -1;
  unsigned long long total = 0, ns;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char stat[320];
    snprintf(stat, sizeof stat, "/proc/%d/task/%s/schedstat", pid, e->d_name);
    FILE *f = fopen(stat, "r");
    if (f && fscanf(f, "%llu", &ns) == 1)
      total += ns;
    if (f)
      fclose(f);
  }
  closedir(d);
  return (double)total / 1e9;
}

/* User-mode CPU seconds of a process, every thread (clock-tick grain). */
static double proc_user_seconds(int pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  unsigned long long utime = 0;
  /* after the name: state ppid pgrp session tty tpgid flags minflt cminflt
   * majflt cmajflt utime */
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu", &utime) != 1)
    return -1;
  return (double)utime / (double)sysconf(_SC_CLK_TCK);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static double pct(double p) {
  if (g.nlat == 0)
    return 0;
  size_t i = (size_t)(p * (double)(g.nlat - 1) + 0.5);
  return (double)g.lat[i] / 1e3;
}

static void report(void) {
  double secs = (double)(g.stop_ns - g.start_ns) / 1e9;
  qsort(g.lat, g.nlat, sizeof *g.lat, cmp_u64);
  double reqs = (double)g.nlat / secs;
  double mibs = reqs * (double)g.msize / (1024.0 * 1024.0);
  printf("RESULT reqs=%.1f mibs=%.2f p50_us=%.1f p99_us=%.1f n=%zu secs=%.4f cpu=%.3f", reqs, mibs,
         pct(0.50), pct(0.99), g.nlat, secs, (g.cpu1 - g.cpu0) / secs);
  if (g.server_pid > 0 && g.scpu0 >= 0 && g.scpu1 >= 0)
    printf(" server_cpu=%.3f", (g.scpu1 - g.scpu0) / secs);
  if (g.server_pid > 0 && g.suser0 >= 0 && g.suser1 >= 0)
    printf(" server_user=%.3f", (g.suser1 - g.suser0) / secs);
  printf("\n");
}

static void on_phase(uv_timer_t *t) {
  if (!g.measuring) {
    g.measuring = 1;
    g.start_ns = uv_hrtime();
    g.cpu0 = cpu_seconds();
    g.scpu0 = g.server_pid > 0 ? proc_cpu_seconds(g.server_pid) : -1;
    g.suser0 = g.server_pid > 0 ? proc_user_seconds(g.server_pid) : -1;
    printf("START\n");
    fflush(stdout);
    uv_timer_start(t, on_phase, (uint64_t)(g.duration * 1000), 0);
    return;
  }
  g.measuring = 0;
  g.stop_ns = uv_hrtime();
  g.cpu1 = cpu_seconds();
  g.scpu1 = g.server_pid > 0 ? proc_cpu_seconds(g.server_pid) : -1;
  g.suser1 = g.server_pid > 0 ? proc_user_seconds(g.server_pid) : -1;
  uv_stop(t->loop);
}

static void usage(void) {
  fprintf(stderr, "usage: echo_client [-c conns] [-s bytes] [-d seconds] [-w warmup_seconds] "
                  "[-t] [-p server_pid] HOST PORT\n");
  exit(2);
}

static int parse(int argc, char **argv) {
  g.conns = 10;
  g.msize = 1024;
  g.duration = 5;
  g.warmup = 1;
  int opt;
  while ((opt = getopt(argc, argv, "c:s:d:w:tp:")) != -1) {
    if (opt == 'c')
      g.conns = atoi(optarg);
    else if (opt == 's')
      g.msize = (size_t)atol(optarg);
    else if (opt == 'd')
      g.duration = atof(optarg);
    else if (opt == 'w')
      g.warmup = atof(optarg);
    else if (opt == 't')
      g.tls = 1;
    else if (opt == 'p')
      g.server_pid = atoi(optarg);
    else
      usage();
  }
  if (argc - optind != 2 || g.conns < 1 || g.msize < 1 || g.duration <= 0 || g.warmup < 0)
    usage();
  return optind;
}

int main(int argc, char **argv) {
  int i = parse(argc, argv);
  const char *host = argv[i];
  int port = atoi(argv[i + 1]);
  uv_loop_t *loop = uv_default_loop();
  g.msg = malloc(g.msize);
  g.c = calloc((size_t)g.conns, sizeof *g.c);
  if (!g.msg || !g.c)
    die("malloc", ENOMEM);
  for (size_t k = 0; k < g.msize; k++)
    g.msg[k] = (char)('a' + k % 26);
  if (g.tls)
    tls_init();
  for (int k = 0; k < g.conns; k++) {
    conn *c = &g.c[k];
    c->rbuf = malloc(RBUF_SIZE);
    if (!c->rbuf)
      die("malloc", ENOMEM);
    c->fd = dial(host, port);
  }
  uv_timer_init(loop, &g.timer);
  uv_timer_start(&g.timer, on_phase, (uint64_t)(g.warmup * 1000), 0);
  for (int k = 0; k < g.conns; k++)
    (g.tls ? tls_start : plain_start)(loop, &g.c[k]);
  uv_run(loop, UV_RUN_DEFAULT);
  report();
  return 0;
}
