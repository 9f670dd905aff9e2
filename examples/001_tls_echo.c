/*
 * A TLS echo server and client (asyncio's create_server / create_connection
 * with ssl=, and start_tls). The example makes its own certificate first: a
 * self-signed one for localhost, written to a temporary directory, which
 * the client trusts as its CA, so verification and the hostname check run
 * as they would against a real server.
 *
 * The server upgrades every accepted TCP connection with weft_tls_wrap (no
 * task per connection); the client connects over TCP and upgrades with
 * weft_start_tls, which suspends until the handshake is done.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <weft.h>

static char cert_path[256], key_path[256], dir[64] = "/tmp/weft-tls-echo-XXXXXX";
static weft_tls_ctx *server_ctx, *client_ctx;

/* ---- a self-signed certificate for localhost (OpenSSL API) ---------- */

static int add_ext(X509 *cert, int nid, const char *value) {
  X509V3_CTX v3;
  X509_EXTENSION *ext;
  int ok;

  X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
  if (!(ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)))
    return 0;
  ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok;
}

static int write_pem(const char *path, EVP_PKEY *key, X509 *cert) {
  FILE *f = fopen(path, "w");
  int ok;

  if (!f)
    return 0;
  ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert);
  return fclose(f) == 0 && ok;
}

static int make_certificate(void) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  X509 *cert = X509_new();
  X509_NAME *name = cert ? X509_get_subject_name(cert) : NULL;
  int ok = key && cert && mkdtemp(dir);

  ok = ok && X509_set_version(cert, 2) && ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert), 0) &&
       X509_gmtime_adj(X509_getm_notAfter(cert), 3600L * 24);
  ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (unsigned char *)"localhost", -1,
                                        -1, 0);
  ok = ok && X509_set_issuer_name(cert, name) && X509_set_pubkey(cert, key);
  ok = ok && add_ext(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  ok = ok && add_ext(cert, NID_basic_constraints, "critical,CA:TRUE");
  ok = ok && X509_sign(cert, key, EVP_sha256());
  snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
  snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
  ok = ok && write_pem(cert_path, NULL, cert) && write_pem(key_path, key, NULL);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

/* ---- the server: echo whatever arrives ------------------------------ */

static void echo_made(weft_transport *tr, void *arg) {
  weft_tls_info info;

  (void)arg;
  weft_tls_info_get(tr, &info);
  printf("[server] TLS connection: %s, %s, ALPN %s\n", info.version, info.cipher,
         info.alpn[0] ? info.alpn : "none");
}

static void echo_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  (void)arg;
  printf("[server] Received %zu bytes, echoing\n", len);
  weft_transport_write(tr, data, len);
}

static void echo_lost(weft_transport *tr, int err, void *arg) {
  (void)tr;
  (void)arg;
  printf("[server] Connection closed (%s)\n", err ? weft_strerror(err) : "clean");
}

static const weft_protocol echo_proto = {
    .connection_made = echo_made, .data_received = echo_data, .connection_lost = echo_lost};

static void handshake_failed(int err, const char *message, void *arg) {
  (void)arg;
  printf("[server] Handshake failed: %s (%s)\n", message, weft_err_name(err));
}

/* Every accepted TCP connection gets TLS on top, then the echo protocol. */
static void tcp_made(weft_transport *tcp, void *arg) {
  (void)arg;
  weft_tls_wrap(tcp, &echo_proto, NULL, server_ctx,
                &(weft_tls_opts){.server_side = 1, .handshake_failed = handshake_failed});
}

static void tcp_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  (void)tr, (void)data, (void)len, (void)arg; /* TLS takes over before any data */
}

static const weft_protocol tcp_proto = {.connection_made = tcp_made, .data_received = tcp_data};
/* The client's TCP connection, until weft_start_tls takes it over. */
static const weft_protocol plain_proto = {.data_received = tcp_data};

static int factory(void *farg, weft_transport *tr, const weft_protocol **proto, void **arg) {
  (void)farg;
  (void)tr;
  *proto = &tcp_proto;
  *arg = NULL;
  return 0;
}

/* ---- the client ----------------------------------------------------- */

typedef struct client_state {
  char buf[256];
  size_t len;
  weft_event got_echo;
  weft_event closed;
} client_state;

static void client_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  client_state *c = arg;

  (void)tr;
  if (len > sizeof c->buf - 1 - c->len)
    len = sizeof c->buf - 1 - c->len;
  memcpy(c->buf + c->len, data, len);
  c->len += len;
  c->buf[c->len] = '\0';
  if (strchr(c->buf, '\n'))
    weft_event_set(&c->got_echo);
}

static void client_lost(weft_transport *tr, int err, void *arg) {
  client_state *c = arg;

  (void)tr;
  printf("[client] Connection closed (%s)\n", err ? weft_strerror(err) : "clean close_notify");
  weft_event_set(&c->closed);
}

static const weft_protocol client_proto = {.data_received = client_data,
                                           .connection_lost = client_lost};

static int run_client(int port) {
  static const char *const msgs[] = {"Hello over TLS!\n", "你好，weft\n", "bye\n"};
  client_state c = {.len = 0};
  weft_transport *tcp, *tls;
  weft_tls_info info;
  int rc;

  weft_event_init(&c.got_echo);
  weft_event_init(&c.closed);
  if ((rc = weft_create_connection("127.0.0.1", port, &plain_proto, NULL, NULL, &tcp)) != 0)
    return rc;
  rc = weft_start_tls(tcp, &client_proto, &c, client_ctx,
                      &(weft_tls_opts){.server_hostname = "localhost"}, &tls);
  if (rc != 0) {
    printf("[client] Handshake failed: %s\n", weft_tls_last_error());
    return rc;
  }
  weft_tls_info_get(tls, &info);
  printf("[client] Connected: %s, server certificate %s (%s)\n", info.version, info.peer_subject,
         info.peer_verified ? "verified" : "NOT verified");
  for (size_t i = 0; i < sizeof msgs / sizeof msgs[0] && rc == 0; i++) {
    printf("[client] Send: %.*s\n", (int)strlen(msgs[i]) - 1, msgs[i]);
    c.len = 0;
    c.buf[0] = '\0';
    weft_event_clear(&c.got_echo);
    if ((rc = weft_transport_write(tls, msgs[i], strlen(msgs[i]))) == 0 &&
        (rc = weft_event_wait(&c.got_echo)) == 0)
      printf("[client] Received: %.*s\n", (int)c.len - 1, c.buf);
  }
  weft_transport_close(tls);
  weft_event_wait(&c.closed);
  return rc;
}

static void *amain(void *arg) {
  static const char *const host[] = {"127.0.0.1"};
  static const char *const alpn[] = {"echo/1"};
  weft_server *srv;
  int rc;

  (void)arg;
  if (!make_certificate())
    return weft_fail(-EIO, "could not make a certificate");
  printf("Made a self-signed certificate for localhost\n");
  if ((rc = weft_tls_ctx_new(&server_ctx, &(weft_tls_ctx_opts){.server = 1,
                                                               .cert_file = cert_path,
                                                               .key_file = key_path,
                                                               .alpn = alpn,
                                                               .alpn_count = 1})) != 0 ||
      (rc = weft_tls_ctx_new(
           &client_ctx,
           &(weft_tls_ctx_opts){.ca_file = cert_path, .alpn = alpn, .alpn_count = 1})) != 0)
    return weft_fail(rc, "TLS context: %s", weft_tls_last_error());
  if ((rc = weft_create_server(host, 1, 0, factory, NULL, NULL, &srv)) != 0)
    return weft_fail(rc, "create_server: %s", weft_strerror(rc));
  printf("Serving TLS on 127.0.0.1:%d\n", weft_server_port(srv));
  rc = run_client(weft_server_port(srv));
  weft_server_close(srv);
  weft_server_wait_closed(srv, 5);
  weft_server_free(srv);
  weft_tls_ctx_release(server_ctx);
  weft_tls_ctx_release(client_ctx);
  unlink(cert_path);
  unlink(key_path);
  rmdir(dir);
  return rc ? weft_fail(rc, "echo: %s", weft_strerror(rc)) : NULL;
}

int main(void) {
  int rc = weft_run(amain, NULL, NULL);

  printf("Done\n");
  return rc == 0 ? 0 : 1;
}
