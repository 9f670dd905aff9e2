/* HTTP test peers: httpbin (aiohttp), tinyproxy, a TLS CONNECT proxy, a
 * SOCKS5 proxy and nginx on loopback, and the http_peers_* tests that prove
 * each of them with the curl command line. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test-http-util.h"

#define PYTHON "/usr/bin/python3"
#define START_TIMEOUT 10.0

static double now(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "<dir of this source file>/servers/<name>": sources are compiled by
 * absolute path, so __FILE__ locates the checkout. */
static const char *server_script(const char *name) {
  static char path[512];
  const char *slash = strrchr(__FILE__, '/');
  int dirlen = slash ? (int)(slash - __FILE__) : 1;

  snprintf(path, sizeof path, "%.*s/servers/%s", dirlen, slash ? __FILE__ : ".", name);
  return path;
}

static const char *peer_path(const http_peer *p, const char *name) {
  static char bufs[4][512];
  static int next;
  char *b = bufs[next++ % 4];

  snprintf(b, 512, "%s/%s", p->dir, name);
  return b;
}

static void make_dir(http_peer *p) {
  memset(p, 0, sizeof *p);
  snprintf(p->dir, sizeof p->dir, "/tmp/weft-peer-XXXXXX");
  ASSERT_NOT_NULL(mkdtemp(p->dir));
}

/* Starts `sh -c "exec cmd"` in its own process group, killed when this
 * process dies; its stderr goes to <dir>/peer.log. Returns the read end of
 * its stdout (or -1 when not wanted). */
static int spawn(http_peer *p, const char *cmd, int want_stdout) {
  int out[2] = {-1, -1};
  char line[4096];

  snprintf(line, sizeof line, "exec %s 2>>'%s'", cmd, peer_path(p, "peer.log"));
  if (want_stdout)
    ASSERT_OK(pipe2(out, O_CLOEXEC));
  fflush(NULL);
  p->pid = fork();
  ASSERT(p->pid >= 0);
  if (p->pid == 0) {
    int null = open("/dev/null", O_RDWR);

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    setpgid(0, 0);
    dup2(null, 0);
    dup2(want_stdout ? out[1] : null, 1);
    execl("/bin/sh", "sh", "-c", line, (char *)NULL);
    _exit(127);
  }
  setpgid(p->pid, p->pid);
  if (want_stdout)
    close(out[1]);
  return out[0];
}

static void dump_log(const http_peer *p, const char *name) {
  char buf[4096];
  FILE *f = fopen(peer_path(p, name), "r");
  size_t n;

  if (!f)
    return;
  n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  fprintf(stderr, "--- %s:\n%s\n", name, buf);
}

static void start_failed(http_peer *p, const char *what) {
  fprintf(stderr, "%s did not start (dir %s)\n", what, p->dir);
  dump_log(p, "peer.log");
  dump_log(p, "tinyproxy.log");
  dump_log(p, "error.log");
  abort();
}

/* Reads the first line the peer prints (its URL) into p->url. */
static int read_url(http_peer *p, int fd) {
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  double end = now() + START_TIMEOUT;
  size_t used = 0;
  ssize_t n;

  while (now() < end && !memchr(p->url, '\n', used)) {
    if (poll(&pfd, 1, 10) <= 0)
      continue;
    n = read(fd, p->url + used, sizeof p->url - 1 - used);
    if (n <= 0)
      break;
    used += (size_t)n;
    p->url[used] = '\0';
  }
  if (!memchr(p->url, '\n', used))
    return -1;
  *strchr(p->url, '\n') = '\0';
  p->port = atoi(strrchr(p->url, ':') + 1);
  return p->port > 0 ? 0 : -1;
}

/* Runs a script from tests/servers that prints its URL once listening. */
static void start_script(http_peer *p, const char *what, const char *args) {
  char cmd[2048];
  int fd;

  snprintf(cmd, sizeof cmd, PYTHON " -u '%s' --port 0 %s", server_script(what), args);
  fd = spawn(p, cmd, 1);
  if (read_url(p, fd) < 0) {
    close(fd);
    start_failed(p, what);
  }
  close(fd);
}

void httpbin_start(http_peer *p, int tls) {
  char args[512] = "";

  make_dir(p);
  if (tls) {
    tls_certs_make(&p->certs);
    snprintf(args, sizeof args, "--tls '%s'", p->certs.dir);
  }
  start_script(p, "httpbin.py", args);
}

const char *http_peer_ca(const http_peer *p) {
  return tls_path(&p->certs, "ca.pem");
}

static void kill_peer(http_peer *p) {
  int status;

  if (p->pid <= 0)
    return;
  kill(-p->pid, SIGKILL);
  kill(p->pid, SIGKILL);
  waitpid(p->pid, &status, 0);
  p->pid = 0;
}

void http_peer_stop(http_peer *p) {
  char cmd[512];

  kill_peer(p);
  if (p->dir[0]) {
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p->dir);
    if (system(cmd) != 0)
      fprintf(stderr, "could not remove %s\n", p->dir);
    p->dir[0] = '\0';
  }
  tls_certs_free(&p->certs);
}

int http_sh(char *out, size_t len, const char *fmt, ...) {
  char cmd[4096];
  size_t used = 0, got;
  va_list ap;
  FILE *f;
  int st;

  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  fflush(NULL);
  f = popen(cmd, "r");
  ASSERT_NOT_NULL(f);
  while (used + 1 < len && (got = fread(out + used, 1, len - 1 - used, f)) > 0)
    used += got;
  out[used] = '\0';
  st = pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- tests: each peer, checked with the curl command line ---- */

static char out[65536];

#define CURL "curl -s --max-time 20 "

TEST_IMPL(http_peers_httpbin_get) {
  http_peer p;
  char want[256];

  httpbin_start(&p, 0);
  ASSERT_GT(p.port, 0);
  ASSERT_OK(http_sh(out, sizeof out, CURL "'%s/get?a=1&a=2&b=x'", p.url));
  snprintf(want, sizeof want, "\"url\": \"%s/get?a=1&a=2&b=x\"", p.url);
  ASSERT_NOT_NULL(strstr(out, want));
  ASSERT_NOT_NULL(strstr(out, "\"a\": [\n      \"1\",\n      \"2\"\n    ]"));
  ASSERT_NOT_NULL(strstr(out, "\"b\": \"x\""));
  ASSERT_NOT_NULL(strstr(out, "\"User-Agent\": \"curl/"));
  ASSERT_OK(http_sh(out, sizeof out, CURL "-d 'k=v&k=w' '%s/post'", p.url));
  ASSERT_NOT_NULL(strstr(out, "\"form\": {\n    \"k\": [\n      \"v\",\n      \"w\""));
  ASSERT_OK(
      http_sh(out, sizeof out, CURL "-o /dev/null -w '%%{http_code}' '%s/status/418'", p.url));
  ASSERT_STR_EQ(out, "418");
  http_peer_stop(&p);
  return 0;
}

TEST_IMPL(http_peers_httpbin_tls) {
  http_peer p;
  char want[256];

  httpbin_start(&p, 1);
  ASSERT_EQ(0, strncmp(p.url, "https://localhost:", 18));
  ASSERT_OK(http_sh(out, sizeof out, CURL "--cacert '%s' '%s/get'", http_peer_ca(&p), p.url));
  snprintf(want, sizeof want, "\"url\": \"%s/get\"", p.url);
  ASSERT_NOT_NULL(strstr(out, want));
  /* untrusted without the test CA: curl's CURLE_PEER_FAILED_VERIFICATION */
  ASSERT_EQ(60, http_sh(out, sizeof out, CURL "'%s/get'", p.url));
  http_peer_stop(&p);
  return 0;
}

TEST_IMPL(http_peers_httpbin_compressed) {
  http_peer p;

  httpbin_start(&p, 0);
  ASSERT_OK(http_sh(out, sizeof out, CURL "--compressed '%s/gzip'", p.url));
  ASSERT_NOT_NULL(strstr(out, "\"gzipped\": true"));
  ASSERT_OK(http_sh(out, sizeof out, CURL "--compressed '%s/deflate'", p.url));
  ASSERT_NOT_NULL(strstr(out, "\"deflated\": true"));
  ASSERT_OK(http_sh(out, sizeof out, CURL "--compressed '%s/brotli'", p.url));
  ASSERT_NOT_NULL(strstr(out, "\"brotli\": true"));
  ASSERT_OK(http_sh(out, sizeof out, CURL "-D - -o /dev/null '%s/brotli'", p.url));
  ASSERT_NOT_NULL(strstr(out, "Content-Encoding: br"));
  http_peer_stop(&p);
  return 0;
}

TEST_IMPL(http_peers_httpbin_errors) {
  http_peer p;

  httpbin_start(&p, 0);
  /* 18: CURLE_PARTIAL_FILE; 56: CURLE_RECV_ERROR */
  ASSERT_EQ(18, http_sh(out, sizeof out, CURL "'%s/cut'", p.url));
  ASSERT_EQ(100, (int)strlen(out));
  ASSERT_EQ(56, http_sh(out, sizeof out, CURL "'%s/bad-chunk'", p.url));
  ASSERT_EQ(56, http_sh(out, sizeof out, CURL "'%s/reset'", p.url));
  /* two requests in one curl share a connection; a new curl gets a new one */
  ASSERT_OK(http_sh(out, sizeof out, CURL "'%s/conn-id' -w ' ' '%s/conn-id'", p.url, p.url));
  ASSERT_STR_EQ(out, "1 1 ");
  ASSERT_OK(http_sh(out, sizeof out, CURL "'%s/conn-id'", p.url));
  ASSERT_STR_EQ(out, "2");
  ASSERT_OK(http_sh(out, sizeof out,
                    "head -c 100000 /dev/zero | " CURL
                    "-H 'Transfer-Encoding: chunked' --data-binary @- '%s/upload-sha256'",
                    p.url));
  ASSERT_NOT_NULL(strstr(out, "\"bytes\": 100000"));
  ASSERT_NOT_NULL(strstr(out, "9192c25b734fcbadbe32dadc28089c60db0e39f90cc20ce2e5733f57261acc0c"));
  http_peer_stop(&p);
  return 0;
}

TEST_IMPL(http_peers_stop_twice) {
  http_peer p;
  struct stat st;
  char dir[256];
  pid_t pid;

  httpbin_start(&p, 1);
  pid = p.pid;
  snprintf(dir, sizeof dir, "%s", p.dir);
  http_peer_stop(&p);
  ASSERT_EQ(-1, kill(pid, 0));
  ASSERT_EQ(-1, stat(dir, &st));
  ASSERT_EQ(0, p.pid);
  http_peer_stop(&p);
  return 0;
}
