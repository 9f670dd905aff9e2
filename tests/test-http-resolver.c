/* HTTP client names resolved through a weft resolver (c-ares) asking a
 * dnsmasq on a loopback port: a known name, an unknown one (EDNS), a
 * redirect to another known name, a static resolve override winning over
 * the resolver, the session's DNS cache, a lookup cancelled or timed out
 * while the name server stays silent; and zstd bodies (decoded, and kept as sent). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test-http-util.h"

static http_peer peer; /* httpbin */
static pid_t dns_pid;
static int dns_port;

/* ---- dnsmasq ------------------------------------------------------------ */

static void nap_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

  nanosleep(&ts, NULL);
}

/* A UDP socket bound to 127.0.0.1:port (0: any free one); -errno on failure. */
static int udp_bound(int port, int *out_port) {
  struct sockaddr_in sin = {0};
  socklen_t len = sizeof sin;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  ASSERT(fd >= 0);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons((uint16_t)port);
  if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
    int err = errno;

    close(fd);
    return -err;
  }
  ASSERT_OK(getsockname(fd, (struct sockaddr *)&sin, &len));
  if (out_port)
    *out_port = ntohs(sin.sin_port);
  return fd;
}

static void dnsmasq_stop(void) {
  if (dns_pid > 0) {
    kill(dns_pid, SIGKILL);
    waitpid(dns_pid, NULL, 0);
  }
  dns_pid = 0;
}

/* dnsmasq has bound the port once we no longer can. */
static int dnsmasq_bound(void) {
  for (int i = 0; i < 250; i++) {
    int fd = udp_bound(dns_port, NULL);

    if (fd == -EADDRINUSE)
      return 0;
    if (fd >= 0)
      close(fd);
    if (waitpid(dns_pid, NULL, WNOHANG) == dns_pid) {
      dns_pid = 0;
      return -1;
    }
    nap_ms(20);
  }
  return -1;
}

/* web.test and other.test are 127.0.0.1; far.test is 192.0.2.1 (TEST-NET,
 * nothing answers there); any other *.test is NXDOMAIN. */
static void dnsmasq_start(void) {
  char port_arg[32];
  char *argv[] = {"/usr/sbin/dnsmasq",
                  port_arg,
                  "--no-daemon",
                  "--no-resolv",
                  "--no-hosts",
                  "--conf-file=/dev/null",
                  "--listen-address=127.0.0.1",
                  "--bind-interfaces",
                  "--local=/test/",
                  "--host-record=web.test,127.0.0.1",
                  "--host-record=other.test,127.0.0.1",
                  "--host-record=far.test,192.0.2.1",
                  NULL};

  for (int attempt = 0; attempt < 10; attempt++) {
    int fd = udp_bound(0, &dns_port);

    ASSERT(fd >= 0);
    close(fd);
    snprintf(port_arg, sizeof port_arg, "--port=%d", dns_port);
    fflush(NULL);
    dns_pid = fork();
    ASSERT(dns_pid >= 0);
    if (dns_pid == 0) {
      int null = open("/dev/null", O_RDWR);

      prctl(PR_SET_PDEATHSIG, SIGKILL);
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      execv(argv[0], argv);
      _exit(127);
    }
    if (dnsmasq_bound() == 0)
      return;
    dnsmasq_stop();
  }
  ASSERT(!"dnsmasq did not start");
}

/* Runs fn as the main task with httpbin and dnsmasq up. */
static int run_with(weft_task_fn fn) {
  int rc;

  dnsmasq_start();
  httpbin_start(&peer, 0);
  rc = weft_test_run(fn, NULL, NULL);
  http_peer_stop(&peer);
  dnsmasq_stop();
  return rc;
}

/* ---- helpers ------------------------------------------------------------ */

static weft_resolver *resolver_open(void) {
  weft_resolver *r = NULL;
  char ns[64];

  snprintf(ns, sizeof ns, "127.0.0.1:%d", dns_port);
  ASSERT_OK(weft_resolver_new(
      &r, &(weft_resolver_opts){.nameservers = ns, .no_hosts = 1, .timeout = 2, .tries = 2}));
  return r;
}

static weft_http_session *session_with(weft_resolver *res, const char *const *resolve,
                                       int no_decompress) {
  weft_http_session *s = NULL;

  ASSERT_OK(weft_http_session_new(&s, &(weft_http_session_opts){
                                          .resolver = res,
                                          .resolve = resolve,
                                          .no_decompress = no_decompress,
                                          .timeout = {.total = 10, .sock_connect = 3},
                                      }));
  return s;
}

static weft_http_response *get_ok(weft_http_session *s, const char *url) {
  weft_http_response *r = NULL;
  int rc = weft_http_get(s, url, NULL, &r);

  if (rc != 0)
    fprintf(stderr, "GET %s: %d %s (%s)\n", url, rc, weft_err_name(rc), weft_http_last_error());
  ASSERT_OK(rc);
  ASSERT_EQ(weft_http_response_status(r), 200);
  return r;
}

/* GET url: 200 and JSON; returns the body (json_decref it). */
static json_t *get_json(weft_http_session *s, const char *url) {
  weft_http_response *r = get_ok(s, url);
  json_t *j = NULL;

  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  weft_http_response_free(r);
  ASSERT_NOT_NULL(j);
  return j;
}

/* A GET of web.test (the resolver's known name) succeeds. */
static void web_still_works(weft_http_session *s) {
  char url[200];

  snprintf(url, sizeof url, "http://web.test:%d/get", peer.port);
  json_decref(get_json(s, url));
}

static const char *host_seen(const json_t *j) {
  return json_string_value(json_object_get(json_object_get(j, "headers"), "Host"));
}

/* ---- tests -------------------------------------------------------------- */

static void *get_main(void *arg) {
  weft_resolver *res = resolver_open();
  weft_http_session *s = session_with(res, NULL, 0);
  char url[200], host[64];
  json_t *j;

  (void)arg;
  snprintf(url, sizeof url, "http://web.test:%d/get", peer.port);
  snprintf(host, sizeof host, "web.test:%d", peer.port);
  j = get_json(s, url);
  ASSERT_STR_EQ(host_seen(j), host);
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "origin")), "127.0.0.1");
  json_decref(j);
  /* again: the same session, the same resolver */
  j = get_json(s, url);
  ASSERT_STR_EQ(host_seen(j), host);
  json_decref(j);
  http_session_done(s);
  weft_resolver_free(res);
  return NULL;
}

TEST_TIMEOUT(http_resolver_get, 60);
TEST_IMPL(http_resolver_get) {
  return run_with(get_main);
}

static void *nxdomain_main(void *arg) {
  weft_resolver *res = resolver_open();
  weft_http_session *s = session_with(res, NULL, 0);
  weft_http_response *r = (weft_http_response *)&r;
  char url[200];
  int rc;

  (void)arg;
  snprintf(url, sizeof url, "http://nx.test:%d/get", peer.port);
  rc = weft_http_get(s, url, NULL, &r);
  if (rc != WEFT_HTTP_EDNS)
    fprintf(stderr, "GET %s: %d %s (%s)\n", url, rc, weft_err_name(rc), weft_http_last_error());
  ASSERT_EQ(rc, WEFT_HTTP_EDNS);
  ASSERT_NULL(r);
  if (!strstr(weft_http_last_error(), "nx.test"))
    fprintf(stderr, "message \"%s\" lacks \"nx.test\"\n", weft_http_last_error());
  ASSERT_NOT_NULL(strstr(weft_http_last_error(), "nx.test"));
  /* the session still resolves known names */
  web_still_works(s);
  http_session_done(s);
  weft_resolver_free(res);
  return NULL;
}

TEST_TIMEOUT(http_resolver_nxdomain, 60);
TEST_IMPL(http_resolver_nxdomain) {
  return run_with(nxdomain_main);
}

static void *redirect_main(void *arg) {
  weft_resolver *res = resolver_open();
  weft_http_session *s = session_with(res, NULL, 0);
  weft_http_response *r;
  char url[300], want[200];
  const char *hurl;
  int status;
  json_t *j = NULL;

  (void)arg;
  snprintf(url, sizeof url, "http://web.test:%d/redirect-to?url=http://other.test:%d/get",
           peer.port, peer.port);
  r = get_ok(s, url);
  snprintf(want, sizeof want, "http://other.test:%d/get", peer.port);
  ASSERT_STR_EQ(weft_http_response_url(r), want);
  ASSERT_EQ(weft_http_response_history_count(r), 1);
  ASSERT_OK(weft_http_response_history(r, 0, &status, &hurl, NULL));
  ASSERT_EQ(status, 302);
  ASSERT_STR_EQ(hurl, url);
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  snprintf(want, sizeof want, "other.test:%d", peer.port);
  ASSERT_STR_EQ(host_seen(j), want);
  json_decref(j);
  weft_http_response_free(r);
  http_session_done(s);
  weft_resolver_free(res);
  return NULL;
}

TEST_TIMEOUT(http_resolver_redirect, 60);
TEST_IMPL(http_resolver_redirect) {
  return run_with(redirect_main);
}

/* far.test is 192.0.2.1 to the resolver; the static override's 127.0.0.1
 * wins. */
static void *static_wins_main(void *arg) {
  weft_resolver *res = resolver_open();
  char entry[100], url[200], want[64];
  const char *resolve[] = {entry, NULL};
  weft_http_session *s;
  json_t *j;

  (void)arg;
  snprintf(entry, sizeof entry, "far.test:%d:127.0.0.1", peer.port);
  s = session_with(res, resolve, 0);
  snprintf(url, sizeof url, "http://far.test:%d/get", peer.port);
  j = get_json(s, url);
  snprintf(want, sizeof want, "far.test:%d", peer.port);
  ASSERT_STR_EQ(host_seen(j), want);
  json_decref(j);
  /* names without an override still go through the resolver */
  web_still_works(s);
  http_session_done(s);
  weft_resolver_free(res);
  return NULL;
}

TEST_TIMEOUT(http_resolver_static_wins, 60);
TEST_IMPL(http_resolver_static_wins) {
  return run_with(static_wins_main);
}

static void *zstd_main(void *arg) {
  weft_resolver *res = resolver_open();
  weft_http_session *s = session_with(res, NULL, 0);
  weft_http_response *r;
  char url[200];
  json_t *j = NULL;

  (void)arg;
  snprintf(url, sizeof url, "http://web.test:%d/zstd", peer.port);
  r = get_ok(s, url);
  ASSERT_STR_EQ(weft_http_response_header(r, "Content-Encoding"), "zstd");
  ASSERT_OK(weft_http_response_json(r, NULL, &j));
  ASSERT(json_is_true(json_object_get(j, "zstd")));
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "method")), "GET");
  json_decref(j);
  weft_http_response_free(r);
  http_session_done(s);
  weft_resolver_free(res);
  return NULL;
}

TEST_TIMEOUT(http_resolver_zstd, 60);
TEST_IMPL(http_resolver_zstd) {
  return run_with(zstd_main);
}

static void *zstd_raw_main(void *arg) {
  static const unsigned char magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
  weft_resolver *res = resolver_open();
  weft_http_session *s = session_with(res, NULL, 1);
  weft_http_response *r;
  char url[200];
  const void *data;
  size_t len;

  (void)arg;
  snprintf(url, sizeof url, "http://web.test:%d/zstd", peer.port);
  r = get_ok(s, url);
  ASSERT_STR_EQ(weft_http_response_header(r, "Content-Encoding"), "zstd");
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_GT(len, sizeof magic);
  ASSERT_OK(memcmp(data, magic, sizeof magic));
  weft_http_response_free(r);
  http_session_done(s);
  weft_resolver_free(res);
  return NULL;
}

TEST_TIMEOUT(http_resolver_zstd_raw, 60);
TEST_IMPL(http_resolver_zstd_raw) {
  return run_with(zstd_raw_main);
}

/* ---- the session's DNS cache --------------------------------------------- */

static weft_http_session *cached_session(weft_resolver *res, double ttl, int off) {
  weft_http_session *s = NULL;

  ASSERT_OK(weft_http_session_new(&s, &(weft_http_session_opts){
                                          .resolver = res,
                                          .ttl_dns_cache = ttl,
                                          .no_dns_cache = off,
                                          .timeout = {.total = 10},
                                      }));
  return s;
}

static int get_status(weft_http_session *s, const char *url) {
  weft_http_response *r = NULL;
  int rc = weft_http_get(s, url, NULL, &r);

  weft_http_response_free(r);
  return rc;
}

/* Names stay cached for ttl_dns_cache (10 s by default) once looked up:
 * with the name server gone, a session with the default keeps reaching
 * the host, one with a short ttl does until it expires, and one with the
 * cache off fails at once. */

/* With the DNS server gone, url resolves only from s's cache. An entry is
 * kept only if memory allows: under --torture a miss ends the test. */
static void from_cache(weft_http_session *s, const char *url) {
  int rc = get_status(s, url);

  TORTURE_EXIT_UNLESS(rc != WEFT_HTTP_EDNS);
  ASSERT_OK(rc);
}

static void *dns_cache_main(void *arg) {
  weft_resolver *res = resolver_open();
  weft_http_session *dflt = cached_session(res, 0, 0), *brief = cached_session(res, 0.3, 0);
  weft_http_session *off = cached_session(res, 0, 1), *bad = NULL;
  char url[200];

  (void)arg;
  snprintf(url, sizeof url, "http://web.test:%d/get", peer.port);
  ASSERT_OK(get_status(dflt, url));
  ASSERT_OK(get_status(brief, url));
  ASSERT_OK(get_status(off, url));
  dnsmasq_stop();
  from_cache(dflt, url);
  from_cache(brief, url);
  ASSERT_EQ(get_status(off, url), WEFT_HTTP_EDNS);
  ASSERT_OK(weft_sleep(0.5));
  ASSERT_EQ(get_status(brief, url), WEFT_HTTP_EDNS);
  from_cache(dflt, url);
  ASSERT_EQ(weft_http_session_new(&bad, &(weft_http_session_opts){.ttl_dns_cache = -2}), -EINVAL);
  ASSERT_EQ(weft_http_session_new(&bad, &(weft_http_session_opts){.ttl_dns_cache = NAN}), -EINVAL);
  ASSERT_NULL(bad);
  http_session_done(dflt);
  http_session_done(brief);
  http_session_done(off);
  weft_resolver_free(res);
  return NULL;
}

TEST_TIMEOUT(http_resolver_dns_cache, 60);
TEST_IMPL(http_resolver_dns_cache) {
  return run_with(dns_cache_main);
}

/* ---- a name server that never answers ------------------------------------ */

typedef struct lookup_job {
  weft_http_session *s;
  char url[200];
  int started;
  int rc;
} lookup_job;

static void *lookup_run(void *arg) {
  lookup_job *j = arg;
  weft_http_response *r = (weft_http_response *)&r;

  j->started = 1;
  j->rc = weft_http_get(j->s, j->url, NULL, &r);
  ASSERT_NULL(r);
  return NULL;
}

/* A session whose resolver asks a UDP socket that reads nothing back
 * (5 s per try, 2 tries); web.test is also given statically. */
static weft_http_session *silent_session(int silent_port, weft_resolver **res) {
  static char entry[64];
  static const char *resolve[2] = {entry, NULL};
  char ns[64];

  snprintf(ns, sizeof ns, "127.0.0.1:%d", silent_port);
  snprintf(entry, sizeof entry, "web.test:%d:127.0.0.1", peer.port);
  ASSERT_OK(weft_resolver_new(
      res, &(weft_resolver_opts){.nameservers = ns, .no_hosts = 1, .timeout = 5, .tries = 2}));
  return session_with(*res, resolve, 0);
}

/* Cancelled, and timed out by the task's scope, the request's total and
 * its connect timeout, while the name is being looked up: each returns at
 * once, and the session goes on serving other names. */
static void *lookup_cancel_main(void *arg) {
  int silent_port = 0, fd = udp_bound(0, &silent_port);
  weft_resolver *res = NULL;
  weft_http_session *s = silent_session(silent_port, &res);
  weft_http_response *r = (weft_http_response *)&r;
  lookup_job j = {.s = s};
  weft_scope scope;
  weft_task *t;
  double t0;

  (void)arg;
  ASSERT(fd >= 0);
  snprintf(j.url, sizeof j.url, "http://silent.test:%d/get", peer.port);
  ASSERT_OK(weft_spawn(&t, lookup_run, &j, NULL));
  ASSERT_OK(weft_sleep(0.2));
  TORTURE_EXIT_UNLESS(!weft_task_done(t)); /* ended early: an allocation failed */
  ASSERT(j.started);
  ASSERT_EQ(weft_task_done(t), 0);
  t0 = weft_time();
  ASSERT_EQ(weft_task_cancel(t), 1);
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_EQ(j.rc, -ECANCELED);
  ASSERT_LT(weft_time() - t0, 1.0);
  web_still_works(s);

  ASSERT_OK(weft_timeout_enter(&scope, 0.2));
  ASSERT_EQ(weft_http_get(s, j.url, NULL, &r), -ETIMEDOUT);
  ASSERT_EQ(weft_timeout_leave(&scope), -ETIMEDOUT);
  ASSERT_NULL(r);
  web_still_works(s);

  t0 = weft_time();
  ASSERT_EQ(weft_http_get(s, j.url, &(weft_http_request_opts){.timeout = {.total = 0.3}}, &r),
            -ETIMEDOUT);
  ASSERT_NULL(r);
  ASSERT_LT(weft_time() - t0, 2.0);
  ASSERT_NOT_NULL(strstr(weft_http_last_error(), "silent.test"));
  web_still_works(s);

  /* aiohttp's connect timeout covers name resolution */
  t0 = weft_time();
  ASSERT_EQ(weft_http_get(s, j.url, &(weft_http_request_opts){.timeout = {.connect = 0.3}}, &r),
            WEFT_HTTP_ECONNECT_TIMEOUT);
  ASSERT_NULL(r);
  ASSERT_LT(weft_time() - t0, 2.0);
  ASSERT_NOT_NULL(strstr(weft_http_last_error(), "connect timeout"));
  web_still_works(s);

  http_session_done(s);
  weft_resolver_free(res);
  close(fd);
  return NULL;
}

TEST_TIMEOUT(http_resolver_lookup_cancelled, 60);
TEST_IMPL(http_resolver_lookup_cancelled) {
  return run_with(lookup_cancel_main);
}
