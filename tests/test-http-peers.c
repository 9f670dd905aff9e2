/* HTTP test peers: httpbin (aiohttp), tinyproxy, a TLS CONNECT proxy, a
 * SOCKS5 proxy and nginx on loopback, and the http_peers_* tests that prove
 * each of them with the curl command line. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

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

  if (http_peer_read(p, name, buf, sizeof buf) >= 0)
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

static void kill_peer(http_peer *p) {
  int status;

  if (p->pid <= 0)
    return;
  kill(-p->pid, SIGKILL);
  kill(p->pid, SIGKILL);
  waitpid(p->pid, &status, 0);
  p->pid = 0;
}

/* ---- peers on a port chosen here (tinyproxy, nginx) ---- */

/* A port nothing listens on now: bound to port 0, read back, closed. */
int http_free_port(void) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  ASSERT(fd >= 0);
  ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof a));
  ASSERT_OK(getsockname(fd, (struct sockaddr *)&a, &len));
  close(fd);
  return ntohs(a.sin_port);
}

static int accepts(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int ok;

  ASSERT(fd >= 0);
  ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

/* Waits until p->port accepts a connection; -1 if the peer exited first. */
static int wait_listening(http_peer *p) {
  double end = now() + START_TIMEOUT;
  int status;

  while (now() < end) {
    if (accepts(p->port))
      return 0;
    if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
      p->pid = 0;
      return -1;
    }
    usleep(10000);
  }
  return -1;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");

  ASSERT_NOT_NULL(f);
  ASSERT_EQ(strlen(text), fwrite(text, 1, strlen(text), f));
  ASSERT_OK(fclose(f));
}

/* Writes the config for p->port (write_conf), runs cmd, waits for the
 * port; a port taken meanwhile by someone else gets another try. */
static void start_on_free_port(http_peer *p, const char *what, void (*write_conf)(http_peer *),
                               const char *cmd) {
  for (int attempt = 0; attempt < 5; attempt++) {
    p->port = http_free_port();
    write_conf(p);
    spawn(p, cmd, 0);
    if (wait_listening(p) == 0)
      return;
    kill_peer(p);
  }
  start_failed(p, what);
}

/* tinyproxy */

static const char *proxy_user, *proxy_pass;

static void tinyproxy_conf(http_peer *p) {
  char conf[2048];
  int n;

  n = snprintf(conf, sizeof conf,
               "Port %d\nListen 127.0.0.1\nTimeout 60\nMaxClients 100\n"
               "LogLevel Info\nLogFile \"%s\"\nPidFile \"%s\"\nAllow 127.0.0.1\n",
               p->port, peer_path(p, "tinyproxy.log"), peer_path(p, "tinyproxy.pid"));
  if (proxy_user)
    snprintf(conf + n, sizeof conf - (size_t)n, "BasicAuth %s %s\n", proxy_user, proxy_pass);
  write_file(peer_path(p, "tinyproxy.conf"), conf);
  snprintf(p->url, sizeof p->url, "http://127.0.0.1:%d", p->port);
}

void tinyproxy_start(http_peer *p, const char *user, const char *pass) {
  char cmd[1024];

  make_dir(p);
  proxy_user = user;
  proxy_pass = pass ? pass : "";
  snprintf(cmd, sizeof cmd, "tinyproxy -d -c '%s'", peer_path(p, "tinyproxy.conf"));
  start_on_free_port(p, "tinyproxy", tinyproxy_conf, cmd);
}

/* Python proxies */

/* " --auth 'user:pass'" when user is set, else "". */
static const char *auth_arg(const char *user, const char *pass) {
  static char buf[512];

  buf[0] = '\0';
  if (user)
    snprintf(buf, sizeof buf, " --auth '%s:%s'", user, pass ? pass : "");
  return buf;
}

void tls_proxy_start_auth(http_peer *p, const char *user, const char *pass) {
  char args[1024];

  make_dir(p);
  tls_certs_make(&p->certs);
  snprintf(args, sizeof args, "--tls '%s' --log '%s'%s", p->certs.dir, peer_path(p, "proxy.log"),
           auth_arg(user, pass));
  start_script(p, "tls_proxy.py", args);
}

void tls_proxy_start(http_peer *p) {
  tls_proxy_start_auth(p, NULL, NULL);
}

void socks5_start(http_peer *p, const char *user, const char *pass) {
  char args[1024];

  make_dir(p);
  snprintf(args, sizeof args, "--log '%s'%s", peer_path(p, "proxy.log"), auth_arg(user, pass));
  start_script(p, "socks5.py", args);
}

/* nginx */

static nginx_opts nginx_want;

/* A file of n bytes of NGINX_FILE_PATTERN repeated. */
static void pattern_file(const char *path, size_t n) {
  static const char pat[] = NGINX_FILE_PATTERN;
  FILE *f = fopen(path, "w");

  ASSERT_NOT_NULL(f);
  for (size_t i = 0; i < n; i++)
    ASSERT(fputc(pat[i % (sizeof pat - 1)], f) != EOF);
  ASSERT_OK(fclose(f));
}

static void nginx_conf(http_peer *p) {
  const char *d = p->dir;
  char tls[1024] = "";
  char conf[4096];

  if (nginx_want.tls)
    snprintf(tls, sizeof tls, "    ssl_certificate %s;\n    ssl_certificate_key %s;\n",
             tls_path(&p->certs, "server.pem"), tls_path(&p->certs, "server.key"));
  snprintf(conf, sizeof conf,
           "daemon off;\nmaster_process off;\nworker_processes 1;\npid %s/nginx.pid;\n"
           "error_log %s/error.log info;\nevents { worker_connections 512; }\n"
           "http {\n"
           "  log_format conn '$connection $connection_requests $server_protocol "
           "\"$request\" $status';\n"
           "  access_log %s/access.log conn;\n"
           "  client_body_temp_path %s/tmp/body;\n  proxy_temp_path %s/tmp/proxy;\n"
           "  fastcgi_temp_path %s/tmp/fastcgi;\n  uwsgi_temp_path %s/tmp/uwsgi;\n"
           "  scgi_temp_path %s/tmp/scgi;\n"
           "  types { application/octet-stream bin; }\n"
           "  keepalive_requests 10000;\n"
           "  server {\n    listen 127.0.0.1:%d%s%s;\n%s    root %s/html;\n  }\n}\n",
           d, d, d, d, d, d, d, d, p->port, nginx_want.tls ? " ssl" : "",
           nginx_want.tls && nginx_want.http2 ? " http2" : "", tls, d);
  write_file(peer_path(p, "nginx.conf"), conf);
  snprintf(p->url, sizeof p->url, "%s://%s:%d", nginx_want.tls ? "https" : "http",
           nginx_want.tls ? "localhost" : "127.0.0.1", p->port);
}

void nginx_start(http_peer *p, const nginx_opts *opts) {
  char cmd[1024];

  make_dir(p);
  nginx_want = opts ? *opts : (nginx_opts){0};
  if (nginx_want.tls)
    tls_certs_make(&p->certs);
  ASSERT_OK(mkdir(peer_path(p, "html"), 0755));
  ASSERT_OK(mkdir(peer_path(p, "tmp"), 0755));
  pattern_file(peer_path(p, "html/1k.bin"), 1024);
  pattern_file(peer_path(p, "html/100k.bin"), 100 * 1024);
  snprintf(cmd, sizeof cmd, "nginx -e '%s' -p '%s' -c '%s'", peer_path(p, "error.log"), p->dir,
           peer_path(p, "nginx.conf"));
  start_on_free_port(p, "nginx", nginx_conf, cmd);
}

/* Calls fn(serial, arg) for each line of the access log; returns the lines. */
static int access_log_lines(const http_peer *p, void (*fn)(long, void *), void *arg) {
  FILE *f = fopen(peer_path(p, "access.log"), "r");
  char line[1024];
  int n = 0;

  if (!f)
    return 0;
  while (fgets(line, sizeof line, f)) {
    n++;
    if (fn)
      fn(strtol(line, NULL, 10), arg);
  }
  fclose(f);
  return n;
}

typedef struct serials {
  long seen[4096];
  int n;
} serials;

static void add_serial(long serial, void *arg) {
  serials *s = arg;

  for (int i = 0; i < s->n; i++)
    if (s->seen[i] == serial)
      return;
  if (s->n < (int)(sizeof s->seen / sizeof s->seen[0]))
    s->seen[s->n++] = serial;
}

int nginx_connections_seen(const http_peer *p) {
  static serials s;

  s.n = 0;
  access_log_lines(p, add_serial, &s);
  return s.n;
}

int nginx_requests_seen(const http_peer *p, int want) {
  double end = now() + 2.0;
  int n;

  while ((n = access_log_lines(p, NULL, NULL)) < want && now() < end)
    usleep(5000);
  return n;
}

int http_peer_read(const http_peer *p, const char *name, char *buf, size_t len) {
  FILE *f = fopen(peer_path(p, name), "r");
  size_t n;

  buf[0] = '\0';
  if (!f)
    return -1;
  n = fread(buf, 1, len - 1, f);
  buf[n] = '\0';
  fclose(f);
  return (int)n;
}

const char *http_peer_ca(const http_peer *p) {
  return tls_path(&p->certs, "ca.pem");
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

TEST_TIMEOUT(http_peers_tinyproxy, 60);
TEST_IMPL(http_peers_tinyproxy) {
  http_peer bin, px;

  httpbin_start(&bin, 1);
  tinyproxy_start(&px, "user", "pass");
  ASSERT_EQ(0, strncmp(px.url, "http://127.0.0.1:", 17));
  /* CONNECT to the TLS origin with the credentials; 407 without them */
  ASSERT_OK(http_sh(out, sizeof out, CURL "-x '%s' -U user:pass --cacert '%s' '%s/get'", px.url,
                    http_peer_ca(&bin), bin.url));
  ASSERT_NOT_NULL(strstr(out, "\"url\": \"https://localhost:"));
  /* 56: CURLE_RECV_ERROR, "CONNECT tunnel failed, response 407" */
  ASSERT_EQ(56,
            http_sh(out, sizeof out, CURL "-x '%s' -p -o /dev/null -w '%%{http_connect}' '%s/get'",
                    px.url, bin.url));
  ASSERT_STR_EQ(out, "407");
  ASSERT_NE(-1, http_peer_read(&px, "tinyproxy.log", out, sizeof out));
  ASSERT_NOT_NULL(strstr(out, "CONNECT localhost:"));
  http_peer_stop(&bin);
  /* a plain origin: the request is forwarded with a Via header */
  httpbin_start(&bin, 0);
  ASSERT_OK(http_sh(out, sizeof out, CURL "-x '%s' -U user:pass '%s/get'", px.url, bin.url));
  ASSERT_NOT_NULL(strstr(out, "(tinyproxy/"));
  ASSERT_OK(http_sh(out, sizeof out, CURL "-x '%s' -o /dev/null -w '%%{http_code}' '%s/get'",
                    px.url, bin.url));
  ASSERT_STR_EQ(out, "407");
  http_peer_stop(&px);
  /* without credentials configured, none are needed */
  tinyproxy_start(&px, NULL, NULL);
  ASSERT_OK(http_sh(out, sizeof out, CURL "-x '%s' '%s/get'", px.url, bin.url));
  ASSERT_NOT_NULL(strstr(out, "(tinyproxy/"));
  http_peer_stop(&px);
  http_peer_stop(&bin);
  return 0;
}

TEST_TIMEOUT(http_peers_tls_proxy, 60);
TEST_IMPL(http_peers_tls_proxy) {
  http_peer bin, px;

  httpbin_start(&bin, 1);
  tls_proxy_start(&px);
  ASSERT_EQ(0, strncmp(px.url, "https://localhost:", 18));
  /* TLS to the proxy, then TLS to the origin inside the tunnel */
  ASSERT_OK(http_sh(out, sizeof out, CURL "-x '%s' --proxy-cacert '%s' --cacert '%s' '%s/get'",
                    px.url, http_peer_ca(&px), http_peer_ca(&bin), bin.url));
  ASSERT_NOT_NULL(strstr(out, "\"url\": \"https://localhost:"));
  ASSERT_NE(-1, http_peer_read(&px, "proxy.log", out, sizeof out));
  ASSERT_NOT_NULL(strstr(out, "CONNECT localhost:"));
  /* the proxy's certificate is checked: curl's CURLE_PEER_FAILED_VERIFICATION */
  ASSERT_EQ(60, http_sh(out, sizeof out, CURL "-x '%s' --cacert '%s' '%s/get'", px.url,
                        http_peer_ca(&bin), bin.url));
  http_peer_stop(&bin);
  /* a plain origin: an absolute-form request forwarded with Via */
  httpbin_start(&bin, 0);
  ASSERT_OK(http_sh(out, sizeof out, CURL "-x '%s' --proxy-cacert '%s' '%s/get'", px.url,
                    http_peer_ca(&px), bin.url));
  ASSERT_NOT_NULL(strstr(out, "\"Via\": \"1.1 tls-proxy\""));
  ASSERT_NE(-1, http_peer_read(&px, "proxy.log", out, sizeof out));
  ASSERT_NOT_NULL(strstr(out, "GET http://127.0.0.1:"));
  http_peer_stop(&px);
  http_peer_stop(&bin);
  return 0;
}

TEST_TIMEOUT(http_peers_socks5, 60);
TEST_IMPL(http_peers_socks5) {
  http_peer bin, px;
  const char *hostport;

  httpbin_start(&bin, 0);
  socks5_start(&px, "user", "pass");
  ASSERT_EQ(0, strncmp(px.url, "socks5://127.0.0.1:", 19));
  hostport = px.url + strlen("socks5://");
  ASSERT_OK(
      http_sh(out, sizeof out, CURL "-x 'socks5://user:pass@%s' '%s/get'", hostport, bin.url));
  ASSERT_NOT_NULL(strstr(out, "\"url\": \"http://127.0.0.1:"));
  /* socks5h: the proxy resolves the name */
  ASSERT_OK(http_sh(out, sizeof out, CURL "-x 'socks5h://user:pass@%s' 'http://localhost:%d/get'",
                    hostport, bin.port));
  ASSERT_NOT_NULL(strstr(out, "\"url\": \"http://localhost:"));
  /* 97: CURLE_PROXY (wrong password; no credentials at all) */
  ASSERT_EQ(
      97, http_sh(out, sizeof out, CURL "-x 'socks5://user:nope@%s' '%s/get'", hostport, bin.url));
  ASSERT_EQ(97, http_sh(out, sizeof out, CURL "-x '%s' '%s/get'", px.url, bin.url));
  ASSERT_NE(-1, http_peer_read(&px, "proxy.log", out, sizeof out));
  ASSERT_NOT_NULL(strstr(out, "CONNECT 127.0.0.1:"));
  ASSERT_NOT_NULL(strstr(out, "CONNECT localhost:"));
  ASSERT_NOT_NULL(strstr(out, "AUTH-FAILED user"));
  http_peer_stop(&px);
  socks5_start(&px, NULL, NULL);
  ASSERT_OK(http_sh(out, sizeof out, CURL "-x '%s' '%s/get'", px.url, bin.url));
  ASSERT_NOT_NULL(strstr(out, "\"url\": \"http://127.0.0.1:"));
  ASSERT_NE(-1, http_peer_read(&px, "proxy.log", out, sizeof out));
  ASSERT_NOT_NULL(strstr(out, " -\n"));
  http_peer_stop(&px);
  http_peer_stop(&bin);
  return 0;
}

/* The body is n bytes of NGINX_FILE_PATTERN. */
static int is_pattern(const char *body, size_t n) {
  static const char pat[] = NGINX_FILE_PATTERN;

  if (strlen(body) != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (body[i] != pat[i % (sizeof pat - 1)])
      return 0;
  return 1;
}

TEST_TIMEOUT(http_peers_nginx, 60);
TEST_IMPL(http_peers_nginx) {
  http_peer p;

  nginx_start(&p, NULL);
  ASSERT_EQ(0, strncmp(p.url, "http://127.0.0.1:", 17));
  ASSERT_OK(http_sh(out, sizeof out, CURL "'%s/1k.bin'", p.url));
  ASSERT(is_pattern(out, 1024));
  ASSERT_OK(http_sh(out, sizeof out, CURL "'%s/100k.bin' | tr -d 0-9a-f | wc -c", p.url));
  ASSERT_EQ(0, atoi(out));
  ASSERT_OK(
      http_sh(out, sizeof out, CURL "-o /dev/null -w '%%{size_download}' '%s/100k.bin'", p.url));
  ASSERT_STR_EQ(out, "102400");
  /* one curl, two requests: one kept-alive connection */
  ASSERT_OK(http_sh(out, sizeof out, CURL "-o /dev/null -o /dev/null '%s/1k.bin' '%s/1k.bin'",
                    p.url, p.url));
  ASSERT_EQ(5, nginx_requests_seen(&p, 5));
  ASSERT_EQ(4, nginx_connections_seen(&p));
  ASSERT_NE(-1, http_peer_read(&p, "access.log", out, sizeof out));
  ASSERT_NOT_NULL(strstr(out, " 2 HTTP/1.1 \"GET /1k.bin HTTP/1.1\" 200\n"));
  ASSERT_OK(http_sh(out, sizeof out, CURL "-o /dev/null -w '%%{http_code}' '%s/none'", p.url));
  ASSERT_STR_EQ(out, "404");
  http_peer_stop(&p);
  return 0;
}

TEST_TIMEOUT(http_peers_nginx_h2, 60);
TEST_IMPL(http_peers_nginx_h2) {
  http_peer p;

  nginx_start(&p, &(nginx_opts){.tls = 1, .http2 = 1});
  ASSERT_EQ(0, strncmp(p.url, "https://localhost:", 18));
  ASSERT_OK(
      http_sh(out, sizeof out, CURL "--http2 --cacert '%s' '%s/1k.bin'", http_peer_ca(&p), p.url));
  ASSERT(is_pattern(out, 1024));
  ASSERT_OK(http_sh(out, sizeof out,
                    CURL "--http2 --cacert '%s' -o /dev/null -w '%%{http_version}' '%s/1k.bin'",
                    http_peer_ca(&p), p.url));
  ASSERT_STR_EQ(out, "2");
  ASSERT_OK(http_sh(out, sizeof out,
                    CURL "--http1.1 --cacert '%s' -o /dev/null -w '%%{http_version}' '%s/1k.bin'",
                    http_peer_ca(&p), p.url));
  ASSERT_STR_EQ(out, "1.1");
  ASSERT_EQ(3, nginx_requests_seen(&p, 3));
  ASSERT_NE(-1, http_peer_read(&p, "access.log", out, sizeof out));
  ASSERT_NOT_NULL(strstr(out, " 1 HTTP/2.0 \"GET /1k.bin HTTP/2.0\" 200\n"));
  ASSERT_NOT_NULL(strstr(out, " 1 HTTP/1.1 \"GET /1k.bin HTTP/1.1\" 200\n"));
  /* TLS without http2: HTTP/1.1 even when asked for HTTP/2 */
  http_peer_stop(&p);
  nginx_start(&p, &(nginx_opts){.tls = 1});
  ASSERT_OK(http_sh(out, sizeof out,
                    CURL "--http2 --cacert '%s' -o /dev/null -w '%%{http_version}' '%s/1k.bin'",
                    http_peer_ca(&p), p.url));
  ASSERT_STR_EQ(out, "1.1");
  http_peer_stop(&p);
  return 0;
}

/* ---- client-side shorthands ---------------------------------------------- */

void http_session_done(weft_http_session *s) {
  ASSERT_OK(weft_http_session_close(s));
  weft_http_session_free(s);
}

weft_http_response *http_send_ok(weft_http_session *s, const char *method, const char *url,
                                 const weft_http_request_opts *o) {
  weft_http_response *r = NULL;
  int rc = weft_http_request(s, method, url, o, &r);

  if (rc != 0)
    fprintf(stderr, "%s %s: %s\n", method, url, weft_http_last_error());
  ASSERT_OK(rc);
  return r;
}

json_t *http_call_json(weft_http_session *s, const char *method, const char *url,
                       const weft_http_request_opts *o) {
  weft_http_response *r = http_send_ok(s, method, url, o);
  json_t *j = NULL;

  ASSERT_EQ(weft_http_response_status(r), 200);
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  weft_http_response_free(r);
  return j;
}

const char *http_json_field(const json_t *j, const char *obj, const char *key) {
  if (obj)
    j = json_object_get(j, obj);
  return json_string_value(json_object_get(j, key));
}

void http_get_gzip_as_sent(weft_http_session *s) {
  weft_http_response *r = http_send_ok(s, "GET", "/gzip", NULL);
  const unsigned char *body;
  size_t len;

  ASSERT_STR_EQ(weft_http_response_header(r, "Content-Encoding"), "gzip");
  ASSERT_OK(weft_http_response_read(r, 0, (const void **)&body, &len));
  ASSERT_GT(len, 2u);
  ASSERT_EQ(body[0], 0x1f);
  ASSERT_EQ(body[1], 0x8b);
  weft_http_response_free(r);
}
