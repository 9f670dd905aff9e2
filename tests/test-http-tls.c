/* HTTP client TLS options against a real openssl s_server -www: a client
 * certificate (plain and encrypted key), a hashed CA directory, and the
 * server certificate failures with and without insecure. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-http-util.h"

static tls_certs certs;

static weft_http_session *session_with(const weft_http_session_opts *o) {
  weft_http_session *s;
  int rc = weft_http_session_new(&s, o);

  if (rc != 0)
    fprintf(stderr, "session_new: %d %s (%s)\n", rc, weft_err_name(rc), weft_http_last_error());
  ASSERT_OK(rc);
  return s;
}

static const char *url_of(const tls_peer *p) {
  static char url[64];

  snprintf(url, sizeof url, "https://localhost:%d/", p->port);
  return url;
}

/* GET gives 200; the page (s_server's status page) holds want if set. */
static void get_ok(weft_http_session *s, const tls_peer *p, const weft_http_request_opts *o,
                   const char *want) {
  weft_http_response *r = NULL;
  const char *text = NULL;
  int rc = weft_http_get(s, url_of(p), o, &r);

  if (rc != 0)
    fprintf(stderr, "GET %s: %d %s (%s)\n", url_of(p), rc, weft_err_name(rc),
            weft_http_last_error());
  ASSERT_OK(rc);
  ASSERT_EQ(200, weft_http_response_status(r));
  ASSERT_OK(weft_http_response_text(r, NULL, 0, &text, NULL));
  ASSERT_NOT_NULL(strstr(text, "s_server"));
  if (want && !strstr(text, want))
    fprintf(stderr, "page lacks \"%s\":\n%s\n", want, text);
  if (want)
    ASSERT_NOT_NULL(strstr(text, want));
  weft_http_response_free(r);
}

/* GET fails with code and a message holding want (any case). */
static void get_fails(weft_http_session *s, const tls_peer *p, const weft_http_request_opts *o,
                      int code, const char *want) {
  weft_http_response *r = (weft_http_response *)&r;
  int rc = weft_http_get(s, url_of(p), o, &r);
  const char *msg = weft_http_last_error();

  if (rc != code || (want && !strcasestr(msg, want)))
    fprintf(stderr, "GET %s: %d %s (%s), want %d %s \"%s\"\n", url_of(p), rc, weft_err_name(rc),
            msg, code, weft_err_name(code), want ? want : "");
  ASSERT_EQ(code, rc);
  ASSERT_NULL(r);
  ASSERT(msg[0] != '\0');
  if (want)
    ASSERT_NOT_NULL(strcasestr(msg, want));
}

static int run(weft_task_fn fn) {
  int rc;

  tls_certs_make(&certs);
  rc = weft_test_run(fn, NULL, NULL);
  tls_certs_free(&certs);
  return rc;
}

static void server(tls_peer *p, const char *cert, const char *args) {
  char full[512];

  snprintf(full, sizeof full, "-www %s", args);
  tls_s_server(p, &certs, cert, full);
}

/* ---- 1. client certificate --------------------------------------------- */

static void *client_cert_main(void *arg) {
  weft_http_session *with = session_with(&(weft_http_session_opts){
      .ca_file = tls_path(&certs, "ca.pem"),
      .cert_file = tls_path(&certs, "client.pem"),
      .key_file = tls_path(&certs, "client.key"),
      .timeout = {.total = 10},
  });
  weft_http_session *without = session_with(&(weft_http_session_opts){
      .ca_file = tls_path(&certs, "ca.pem"),
      .timeout = {.total = 10},
  });
  tls_peer p;

  (void)arg;
  server(&p, "server", "-Verify 1");
  get_ok(with, &p, NULL, "weft client");
  /* no certificate: TLS 1.3 ends the client's handshake first; the
   * server's "certificate required" alert then arrives on the read, a
   * TLS failure (the message has the alert) */
  get_fails(without, &p, NULL, WEFT_HTTP_ETLS, "certificate required");
  /* the server still serves one that has it */
  get_ok(with, &p, NULL, "weft client");
  tls_peer_stop(&p);
  /* a server that asks for none: no client certificate on the page */
  server(&p, "server", "");
  get_ok(without, &p, NULL, "no client certificate");
  tls_peer_stop(&p);
  http_session_done(with);
  http_session_done(without);
  return NULL;
}

TEST_TIMEOUT(http_tls_client_cert, 60);
TEST_IMPL(http_tls_client_cert) {
  return run(client_cert_main);
}

/* ---- 2. encrypted client key ------------------------------------------- */

static weft_http_session *enc_session(const char *password) {
  return session_with(&(weft_http_session_opts){
      .ca_file = tls_path(&certs, "ca.pem"),
      .cert_file = tls_path(&certs, "client.pem"),
      .key_file = tls_path(&certs, "client-enc.key"),
      .key_password = password,
      .timeout = {.total = 10},
  });
}

static void *key_password_main(void *arg) {
  weft_http_session *good, *bad, *none;
  char out[4096];
  tls_peer p;

  (void)arg;
  ASSERT_OK(http_sh(out, sizeof out,
                    "openssl pkey -in %s -aes256 -passout pass:secret -out %s 2>&1",
                    tls_path(&certs, "client.key"), tls_path(&certs, "client-enc.key")));
  ASSERT_OK(http_sh(out, sizeof out, "grep -c ENCRYPTED %s", tls_path(&certs, "client-enc.key")));
  good = enc_session("secret");
  bad = enc_session("wrong");
  none = enc_session(NULL);
  server(&p, "server", "-Verify 1");
  get_ok(good, &p, NULL, "weft client");
  /* curl: "unable to set private key file: '<path>' type PEM" */
  get_fails(bad, &p, NULL, WEFT_HTTP_ETLS, "private key file");
  /* without a password the key fails to load; nothing asks on a terminal */
  get_fails(none, &p, NULL, WEFT_HTTP_ETLS, "private key file");
  get_ok(good, &p, NULL, "weft client");
  tls_peer_stop(&p);
  http_session_done(good);
  http_session_done(bad);
  http_session_done(none);
  return NULL;
}

TEST_TIMEOUT(http_tls_key_password, 60);
TEST_IMPL(http_tls_key_password) {
  return run(key_password_main);
}

/* ---- 3. CA directory --------------------------------------------------- */

static void *ca_dir_main(void *arg) {
  weft_http_session *hashed, *empty;
  char out[4096], dir[512], none[512];
  tls_peer p;

  (void)arg;
  snprintf(dir, sizeof dir, "%s", tls_path(&certs, "cadir"));
  snprintf(none, sizeof none, "%s", tls_path(&certs, "emptydir"));
  ASSERT_OK(mkdir(dir, 0700));
  ASSERT_OK(mkdir(none, 0700));
  ASSERT_OK(http_sh(out, sizeof out, "cp %s %s/ && openssl rehash %s 2>&1",
                    tls_path(&certs, "ca.pem"), dir, dir));
  ASSERT_OK(http_sh(out, sizeof out, "ls %s | grep -c '\\.0$'", dir));
  hashed = session_with(&(weft_http_session_opts){.ca_dir = dir, .timeout = {.total = 10}});
  empty = session_with(&(weft_http_session_opts){.ca_dir = none, .timeout = {.total = 10}});
  server(&p, "server", "");
  get_ok(hashed, &p, NULL, NULL);
  /* server.pem carries the CA after the leaf */
  get_fails(empty, &p, NULL, WEFT_HTTP_ETLS_VERIFY, "self-signed certificate in certificate chain");
  get_ok(empty, &p, &(weft_http_request_opts){.insecure = 1}, NULL);
  get_ok(hashed, &p, NULL, NULL);
  tls_peer_stop(&p);
  http_session_done(hashed);
  http_session_done(empty);
  return NULL;
}

TEST_TIMEOUT(http_tls_ca_dir, 60);
TEST_IMPL(http_tls_ca_dir) {
  return run(ca_dir_main);
}

/* ---- 4. server certificate failures ------------------------------------ */

static void bad_server(weft_http_session *s, weft_http_session *off, const char *cert,
                       const char *reason) {
  tls_peer p;

  server(&p, cert, "");
  get_fails(s, &p, NULL, WEFT_HTTP_ETLS_VERIFY, reason);
  /* per request */
  get_ok(s, &p, &(weft_http_request_opts){.insecure = 1}, NULL);
  /* and verification is back for the next request */
  get_fails(s, &p, NULL, WEFT_HTTP_ETLS_VERIFY, reason);
  /* per session */
  get_ok(off, &p, NULL, NULL);
  tls_peer_stop(&p);
}

static void *verify_main(void *arg) {
  weft_http_session *s = session_with(
      &(weft_http_session_opts){.ca_file = tls_path(&certs, "ca.pem"), .timeout = {.total = 10}});
  weft_http_session *off = session_with(&(weft_http_session_opts){
      .ca_file = tls_path(&certs, "ca.pem"), .insecure = 1, .timeout = {.total = 10}});
  tls_peer p;

  (void)arg;
  /* the good one first */
  server(&p, "server", "");
  get_ok(s, &p, NULL, "no client certificate");
  tls_peer_stop(&p);
  bad_server(s, off, "expired", "certificate has expired");
  bad_server(s, off, "wronghost",
             "no alternative certificate subject name matches target host name 'localhost'");
  bad_server(s, off, "selfsigned", "SSL certificate problem: self-signed certificate");
  bad_server(s, off, "unknownca", "unable to get local issuer certificate");
  http_session_done(s);
  http_session_done(off);
  return NULL;
}

TEST_TIMEOUT(http_tls_verify_failures, 60);
TEST_IMPL(http_tls_verify_failures) {
  return run(verify_main);
}
