/* The HTTP client through proxies: tinyproxy (Basic auth, CONNECT to an
 * https origin), an https proxy (TLS to the proxy, TLS inside it to the
 * origin), SOCKS5 with and without auth, the environment (trust_env),
 * per-request proxies and proxies that fail. */
#include "test-http-util.h"
#include "weft/dns.h"

static http_peer bin, tls_bin, px;
static char body[65536];
static char ca_bundle[300];

/* "<peer url><path>" in a rotating buffer. */
static const char *at(const http_peer *p, const char *path) {
  static char bufs[4][512];
  static int next;
  char *b = bufs[next++ % 4];

  snprintf(b, 512, "%s%s", p->url, path);
  return b;
}

/* proxy URL with "user:pass@" after the scheme */
static const char *with_creds(const char *url, const char *creds) {
  static char buf[512];
  const char *host = strstr(url, "://") + 3;

  snprintf(buf, sizeof buf, "%.*s%s@%s", (int)(host - url), url, creds, host);
  return buf;
}

static weft_http_session *session(const weft_http_session_opts *o) {
  weft_http_session *s;

  ASSERT_OK(weft_http_session_new(&s, o));
  return s;
}

static void done(weft_http_session *s) {
  ASSERT_OK(weft_http_session_close(s));
  weft_http_session_free(s);
}

/* GET url: the status (or the negative code), the body in `body`. */
static int fetch(weft_http_session *s, const char *url, const weft_http_request_opts *o) {
  weft_http_response *r;
  const void *data;
  size_t len;
  int rc;

  body[0] = '\0';
  rc = weft_http_get(s, url, o, &r);
  if (rc < 0)
    return rc;
  ASSERT_OK(weft_http_response_read(r, sizeof body - 1, &data, &len));
  memcpy(body, data, len);
  body[len] = '\0';
  rc = weft_http_response_status(r);
  weft_http_response_free(r);
  return rc;
}

static int has(const char *text, const char *word) {
  return strstr(text, word) != NULL;
}

static int proxy_log_has(const http_peer *p, const char *log, const char *word) {
  static char buf[65536];

  return http_peer_read(p, log, buf, sizeof buf) >= 0 && has(buf, word);
}

/* One CA file trusting both peers' test CAs. */
static const char *both_cas(const http_peer *a, const http_peer *b) {
  char out[16];

  snprintf(ca_bundle, sizeof ca_bundle, "%s/both-ca.pem", a->dir);
  ASSERT_OK(http_sh(out, sizeof out, "cat '%s' '%s' > '%s'", http_peer_ca(a), http_peer_ca(b),
                    ca_bundle));
  return ca_bundle;
}

/* Runs fn as the main task of a loop, then stops the peers. */
static int run(weft_task_fn fn) {
  ASSERT_OK(weft_test_run(fn, NULL, NULL));
  http_peer_stop(&px);
  http_peer_stop(&tls_bin);
  http_peer_stop(&bin);
  return 0;
}

/* ---- tinyproxy ---- */

static void *tinyproxy_auth(void *arg) {
  weft_http_session *s;

  (void)arg;
  /* BasicAuth as an option */
  s = session(&(weft_http_session_opts){.proxy = px.url, .proxy_auth = "user:pass"});
  ASSERT_EQ(200, fetch(s, at(&bin, "/get?via=option"), NULL));
  ASSERT(has(body, "\"Via\": \"1.1 ") && has(body, "(tinyproxy/"));
  ASSERT(has(body, "\"via\": \"option\""));
  /* the credentials go to the proxy, not to the origin */
  ASSERT(!has(body, "Proxy-Authorization") && !has(body, "\"Authorization\""));
  done(s);
  /* user:pass@ in the proxy URL */
  s = session(&(weft_http_session_opts){.proxy = with_creds(px.url, "user:pass")});
  ASSERT_EQ(200, fetch(s, at(&bin, "/get?via=url"), NULL));
  ASSERT(has(body, "(tinyproxy/") && has(body, "\"via\": \"url\""));
  done(s);
  /* a plain-http origin gets the proxy's own answer as the response:
   * tinyproxy says 407 without credentials, 401 to wrong ones */
  s = session(&(weft_http_session_opts){.proxy = px.url});
  ASSERT_EQ(407, fetch(s, at(&bin, "/get"), NULL));
  ASSERT(has(body, "tinyproxy"));
  done(s);
  s = session(&(weft_http_session_opts){.proxy = px.url, .proxy_auth = "user:wrong"});
  ASSERT_EQ(401, fetch(s, at(&bin, "/get"), NULL));
  ASSERT_EQ(401, fetch(s, at(&bin, "/get"), &(weft_http_request_opts){.proxy_auth = "x:y"}));
  ASSERT_EQ(200, fetch(s, at(&bin, "/get"), &(weft_http_request_opts){.proxy_auth = "user:pass"}));
  done(s);
  return NULL;
}

TEST_TIMEOUT(http_proxy_tinyproxy_auth, 60);
TEST_IMPL(http_proxy_tinyproxy_auth) {
  httpbin_start(&bin, 0);
  tinyproxy_start(&px, "user", "pass");
  return run(tinyproxy_auth);
}

static void *tinyproxy_connect(void *arg) {
  weft_http_session *s;
  const char *ca = http_peer_ca(&bin);

  (void)arg;
  s = session(&(weft_http_session_opts){.proxy = px.url, .proxy_auth = "user:pass", .ca_file = ca});
  ASSERT_EQ(200, fetch(s, at(&bin, "/get?tunnel=1"), NULL));
  ASSERT(has(body, "\"url\": \"https://localhost:") && has(body, "\"tunnel\": \"1\""));
  /* inside the tunnel the proxy adds nothing */
  ASSERT(!has(body, "tinyproxy"));
  ASSERT(proxy_log_has(&px, "tinyproxy.log", "CONNECT localhost:"));
  done(s);
  s = session(&(weft_http_session_opts){.proxy = with_creds(px.url, "user:pass"), .ca_file = ca});
  ASSERT_EQ(200, fetch(s, at(&bin, "/status/200"), NULL));
  done(s);
  /* CONNECT refused (407 without credentials, tinyproxy's 401 to wrong
   * ones): the request fails with EPROXY, the status in the message */
  s = session(&(weft_http_session_opts){.proxy = px.url, .ca_file = ca});
  ASSERT_EQ(WEFT_HTTP_EPROXY, fetch(s, at(&bin, "/get"), NULL));
  ASSERT(has(weft_http_last_error(), "407"));
  done(s);
  s = session(
      &(weft_http_session_opts){.proxy = px.url, .proxy_auth = "user:wrong", .ca_file = ca});
  ASSERT_EQ(WEFT_HTTP_EPROXY, fetch(s, at(&bin, "/get"), NULL));
  ASSERT(has(weft_http_last_error(), "401"));
  done(s);
  return NULL;
}

TEST_TIMEOUT(http_proxy_tinyproxy_connect, 60);
TEST_IMPL(http_proxy_tinyproxy_connect) {
  httpbin_start(&bin, 1);
  tinyproxy_start(&px, "user", "pass");
  return run(tinyproxy_connect);
}

/* ---- an https proxy ---- */

static void *tls_proxy_https(void *arg) {
  weft_http_session *s;

  (void)arg;
  s = session(&(weft_http_session_opts){.proxy = px.url, .ca_file = both_cas(&px, &bin)});
  ASSERT_EQ(200, fetch(s, at(&bin, "/get?inner=tls"), NULL));
  ASSERT(has(body, "\"url\": \"https://localhost:") && has(body, "\"inner\": \"tls\""));
  ASSERT(!has(body, "tls-proxy"));
  ASSERT(proxy_log_has(&px, "proxy.log", "CONNECT localhost:"));
  ASSERT_EQ(200, fetch(s, at(&bin, "/bytes/20000"), NULL));
  done(s);
  /* the proxy's certificate is verified like the origin's */
  s = session(&(weft_http_session_opts){.proxy = px.url, .ca_file = http_peer_ca(&bin)});
  ASSERT_EQ(WEFT_HTTP_ETLS_VERIFY, fetch(s, at(&bin, "/get"), NULL));
  done(s);
  s = session(&(weft_http_session_opts){.proxy = px.url, .insecure = 1});
  ASSERT_EQ(200, fetch(s, at(&bin, "/get"), NULL));
  done(s);
  return NULL;
}

TEST_TIMEOUT(http_proxy_tls_proxy_https_origin, 60);
TEST_IMPL(http_proxy_tls_proxy_https_origin) {
  httpbin_start(&bin, 1);
  tls_proxy_start(&px);
  return run(tls_proxy_https);
}

static void *tls_proxy_http(void *arg) {
  weft_http_session *s;

  (void)arg;
  s = session(&(weft_http_session_opts){.proxy = px.url, .ca_file = http_peer_ca(&px)});
  ASSERT_EQ(200, fetch(s, at(&bin, "/get?plain=1"), NULL));
  ASSERT(has(body, "\"Via\": \"1.1 tls-proxy\"") && has(body, "\"plain\": \"1\""));
  ASSERT(proxy_log_has(&px, "proxy.log", "GET http://127.0.0.1:"));
  ASSERT_EQ(418, fetch(s, at(&bin, "/status/418"), NULL));
  done(s);
  return NULL;
}

TEST_TIMEOUT(http_proxy_tls_proxy_http_origin, 60);
TEST_IMPL(http_proxy_tls_proxy_http_origin) {
  httpbin_start(&bin, 0);
  tls_proxy_start(&px);
  return run(tls_proxy_http);
}

static void *tls_proxy_auth(void *arg) {
  weft_http_session *s;
  const char *ca = both_cas(&px, &tls_bin);

  (void)arg;
  s = session(&(weft_http_session_opts){.proxy = px.url, .proxy_auth = "user:pass", .ca_file = ca});
  ASSERT_EQ(200, fetch(s, at(&tls_bin, "/get?auth=option"), NULL));
  ASSERT(has(body, "\"auth\": \"option\"") && !has(body, "Proxy-Authorization"));
  ASSERT_EQ(200, fetch(s, at(&bin, "/get"), NULL));
  ASSERT(has(body, "\"Via\": \"1.1 tls-proxy\"") && !has(body, "Proxy-Authorization"));
  done(s);
  s = session(&(weft_http_session_opts){.proxy = with_creds(px.url, "user:pass"), .ca_file = ca});
  ASSERT_EQ(200, fetch(s, at(&tls_bin, "/get?auth=url"), NULL));
  ASSERT(has(body, "\"auth\": \"url\""));
  done(s);
  /* wrong credentials: CONNECT answered 407 fails the request; a
   * forwarded request gets the 407 as its response */
  s = session(&(weft_http_session_opts){.proxy = px.url, .proxy_auth = "user:no", .ca_file = ca});
  ASSERT_EQ(WEFT_HTTP_EPROXY, fetch(s, at(&tls_bin, "/get"), NULL));
  ASSERT(has(weft_http_last_error(), "407"));
  ASSERT_EQ(407, fetch(s, at(&bin, "/get"), NULL));
  done(s);
  return NULL;
}

TEST_TIMEOUT(http_proxy_tls_proxy_auth, 60);
TEST_IMPL(http_proxy_tls_proxy_auth) {
  httpbin_start(&bin, 0);
  httpbin_start(&tls_bin, 1);
  tls_proxy_start_auth(&px, "user", "pass");
  return run(tls_proxy_auth);
}

/* ---- SOCKS5 ---- */

static void *socks5_open(void *arg) {
  weft_http_session *s;
  char name[1024];

  (void)arg;
  s = session(&(weft_http_session_opts){.proxy = px.url});
  ASSERT_EQ(200, fetch(s, at(&bin, "/get?socks=5"), NULL));
  ASSERT(has(body, "\"socks\": \"5\"") && !has(body, "\"Via\""));
  done(s);
  /* socks5h: the proxy resolves the origin's name */
  snprintf(name, sizeof name, "socks5h://%s", px.url + strlen("socks5://"));
  s = session(&(weft_http_session_opts){.proxy = name});
  snprintf(name, sizeof name, "http://localhost:%d/get", bin.port);
  ASSERT_EQ(200, fetch(s, name, NULL));
  ASSERT(has(body, "\"url\": \"http://localhost:"));
  done(s);
  ASSERT(proxy_log_has(&px, "proxy.log", "CONNECT 127.0.0.1:"));
  ASSERT(proxy_log_has(&px, "proxy.log", "CONNECT localhost:"));
  return NULL;
}

TEST_TIMEOUT(http_proxy_socks5, 60);
TEST_IMPL(http_proxy_socks5) {
  httpbin_start(&bin, 0);
  socks5_start(&px, NULL, NULL);
  return run(socks5_open);
}

static void *socks5_auth(void *arg) {
  weft_http_session *s;

  (void)arg;
  s = session(&(weft_http_session_opts){.proxy = with_creds(px.url, "user:pass")});
  ASSERT_EQ(200, fetch(s, at(&bin, "/get?auth=url"), NULL));
  ASSERT(has(body, "\"auth\": \"url\""));
  done(s);
  s = session(&(weft_http_session_opts){.proxy = px.url, .proxy_auth = "user:pass"});
  ASSERT_EQ(200, fetch(s, at(&bin, "/get?auth=option"), NULL));
  ASSERT(has(body, "\"auth\": \"option\""));
  done(s);
  ASSERT(proxy_log_has(&px, "proxy.log", "CONNECT 127.0.0.1:"));
  /* wrong or missing credentials: the SOCKS handshake fails */
  s = session(&(weft_http_session_opts){.proxy = px.url, .proxy_auth = "user:wrong"});
  ASSERT_EQ(WEFT_HTTP_EPROXY, fetch(s, at(&bin, "/get"), NULL));
  ASSERT(proxy_log_has(&px, "proxy.log", "AUTH-FAILED user"));
  done(s);
  s = session(&(weft_http_session_opts){.proxy = px.url});
  ASSERT_EQ(WEFT_HTTP_EPROXY, fetch(s, at(&bin, "/get"), NULL));
  done(s);
  return NULL;
}

TEST_TIMEOUT(http_proxy_socks5_auth, 60);
TEST_IMPL(http_proxy_socks5_auth) {
  httpbin_start(&bin, 0);
  socks5_start(&px, "user", "pass");
  return run(socks5_auth);
}

/* ---- the environment, per-request proxies, failures ---- */

static void set_env(const char *name, const char *value) {
  if (value)
    ASSERT_OK(setenv(name, value, 1));
  else
    ASSERT_OK(unsetenv(name));
}

static void clear_env(void) {
  static const char *const names[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                      "no_proxy",   "NO_PROXY",   "all_proxy",   "ALL_PROXY"};

  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    set_env(names[i], NULL);
}

static void *trust_env(void *arg) {
  weft_http_session *s, *plain;
  char refused[64];

  (void)arg;
  snprintf(refused, sizeof refused, "http://127.0.0.1:%d", http_free_port());
  s = session(&(weft_http_session_opts){.trust_env = 1, .ca_file = http_peer_ca(&tls_bin)});
  plain = session(&(weft_http_session_opts){.ca_file = http_peer_ca(&tls_bin)});
  set_env("HTTP_PROXY", px.url);
  ASSERT_EQ(200, fetch(s, at(&bin, "/get"), NULL));
  ASSERT(has(body, "(tinyproxy/"));
  /* without trust_env the environment is ignored, curl's reading of it too */
  ASSERT_EQ(200, fetch(plain, at(&bin, "/get"), NULL));
  ASSERT(!has(body, "tinyproxy"));
  /* the lower-case name wins */
  set_env("http_proxy", refused);
  ASSERT_EQ(-ECONNREFUSED, fetch(s, at(&bin, "/get"), NULL));
  set_env("http_proxy", NULL);
  /* NO_PROXY */
  set_env("NO_PROXY", "example.org,127.0.0.1");
  ASSERT_EQ(200, fetch(s, at(&bin, "/get"), NULL));
  ASSERT(!has(body, "tinyproxy"));
  set_env("NO_PROXY", NULL);
  /* HTTPS_PROXY serves https URLs only */
  set_env("HTTP_PROXY", NULL);
  set_env("HTTPS_PROXY", px.url);
  ASSERT_EQ(200, fetch(s, at(&bin, "/get"), NULL));
  ASSERT(!has(body, "tinyproxy"));
  set_env("no_proxy", "localhost");
  ASSERT_EQ(200, fetch(s, at(&tls_bin, "/get"), NULL));
  ASSERT(!proxy_log_has(&px, "tinyproxy.log", "CONNECT localhost:"));
  set_env("no_proxy", NULL);
  ASSERT_EQ(200, fetch(s, at(&tls_bin, "/get"), NULL));
  ASSERT(proxy_log_has(&px, "tinyproxy.log", "CONNECT localhost:"));
  /* an explicit proxy wins over the environment */
  set_env("HTTP_PROXY", refused);
  ASSERT_EQ(200, fetch(s, at(&bin, "/get"), &(weft_http_request_opts){.proxy = px.url}));
  ASSERT(has(body, "(tinyproxy/"));
  /* and NO_PROXY does not bypass it (as aiohttp; curl alone would) */
  set_env("NO_PROXY", "*");
  set_env("no_proxy", "127.0.0.1");
  ASSERT_EQ(200, fetch(s, at(&bin, "/get"), &(weft_http_request_opts){.proxy = px.url}));
  ASSERT(has(body, "(tinyproxy/"));
  ASSERT_EQ(200, fetch(plain, at(&bin, "/get"), &(weft_http_request_opts){.proxy = px.url}));
  ASSERT(has(body, "(tinyproxy/"));
  clear_env();
  done(plain);
  done(s);
  return NULL;
}

TEST_TIMEOUT(http_proxy_trust_env, 60);
TEST_IMPL(http_proxy_trust_env) {
  clear_env();
  httpbin_start(&bin, 0);
  httpbin_start(&tls_bin, 1);
  tinyproxy_start(&px, NULL, NULL);
  return run(trust_env);
}

/* With trust_env, a name the proxy resolves is not looked up by the
 * session's resolver (here one that can resolve nothing); NO_PROXY brings
 * the resolver back. */
static void *trust_env_resolver(void *arg) {
  char ns[64], url[256];
  weft_resolver *r;
  weft_http_session *s;

  (void)arg;
  snprintf(ns, sizeof ns, "127.0.0.1:%d", http_free_port());
  ASSERT_OK(weft_resolver_new(
      &r, &(weft_resolver_opts){.nameservers = ns, .timeout = 0.2, .tries = 1, .no_hosts = 1}));
  s = session(&(weft_http_session_opts){.trust_env = 1, .resolver = r});
  snprintf(url, sizeof url, "http://localhost:%s/get", strrchr(bin.url, ':') + 1);
  set_env("HTTP_PROXY", px.url);
  ASSERT_EQ(200, fetch(s, url, NULL));
  ASSERT(has(body, "(tinyproxy/"));
  set_env("NO_PROXY", "localhost");
  ASSERT_EQ(WEFT_HTTP_EDNS, fetch(s, url, NULL));
  clear_env();
  done(s);
  weft_resolver_free(r);
  return NULL;
}

TEST_TIMEOUT(http_proxy_trust_env_resolver, 60);
TEST_IMPL(http_proxy_trust_env_resolver) {
  clear_env();
  httpbin_start(&bin, 0);
  tinyproxy_start(&px, NULL, NULL);
  return run(trust_env_resolver);
}

static void *per_request(void *arg) {
  weft_http_session *s;
  char refused[64];

  (void)arg;
  snprintf(refused, sizeof refused, "http://127.0.0.1:%d", http_free_port());
  /* the session's proxy refuses; the request's works */
  s = session(&(weft_http_session_opts){.proxy = refused});
  ASSERT_EQ(-ECONNREFUSED, fetch(s, at(&bin, "/get"), NULL));
  ASSERT_EQ(200, fetch(s, at(&bin, "/get"), &(weft_http_request_opts){.proxy = px.url}));
  ASSERT(has(body, "(tinyproxy/"));
  ASSERT_EQ(-ECONNREFUSED, fetch(s, at(&bin, "/get"), NULL));
  done(s);
  /* a session without a proxy, one request through it */
  s = session(NULL);
  ASSERT_EQ(200, fetch(s, at(&bin, "/get"), &(weft_http_request_opts){.proxy = px.url}));
  ASSERT(has(body, "(tinyproxy/"));
  ASSERT_EQ(200, fetch(s, at(&bin, "/get"), NULL));
  ASSERT(!has(body, "tinyproxy"));
  done(s);
  return NULL;
}

TEST_TIMEOUT(http_proxy_per_request, 60);
TEST_IMPL(http_proxy_per_request) {
  httpbin_start(&bin, 0);
  tinyproxy_start(&px, NULL, NULL);
  return run(per_request);
}

static void *refused(void *arg) {
  weft_http_session *s;
  char url[64], want[64];
  int port = http_free_port();

  (void)arg;
  s = session(NULL);
  snprintf(want, sizeof want, "127.0.0.1 port %d", port);
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  ASSERT_EQ(-ECONNREFUSED, fetch(s, at(&bin, "/get"), &(weft_http_request_opts){.proxy = url}));
  ASSERT(has(weft_http_last_error(), want));
  snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
  ASSERT_EQ(-ECONNREFUSED, fetch(s, at(&bin, "/get"), &(weft_http_request_opts){.proxy = url}));
  snprintf(url, sizeof url, "socks5://127.0.0.1:%d", port);
  ASSERT_EQ(-ECONNREFUSED, fetch(s, at(&bin, "/get"), &(weft_http_request_opts){.proxy = url}));
  ASSERT(has(weft_http_last_error(), want));
  ASSERT_EQ(WEFT_HTTP_ESCHEME,
            fetch(s, at(&bin, "/get"), &(weft_http_request_opts){.proxy = "ftp://127.0.0.1:21"}));
  done(s);
  return NULL;
}

TEST_TIMEOUT(http_proxy_refused, 60);
TEST_IMPL(http_proxy_refused) {
  httpbin_start(&bin, 0);
  return run(refused);
}
