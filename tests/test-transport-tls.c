/* TLS through the connection and server options: create_server with
 * opts.tls (weft_tls_wrap per connection) and create_connection with
 * opts.tls (weft_start_tls), over TCP and Unix sockets. */
#include "test-tls-util.h"
#include "test-transport-util.h"
#include "weft/tls.h"

static srv_side side;
static rec cli;
static tls_certs certs;
static weft_tls_ctx *sctx, *cctx;

static void make_ctxs(void) {
  weft_tls_ctx_opts so = {0}, co = {0};

  tls_certs_make(&certs);
  so.server = 1;
  so.cert_file = tls_path(&certs, "server.pem");
  so.key_file = tls_path(&certs, "server.key");
  ASSERT_OK(weft_tls_ctx_new(&sctx, &so));
  co.ca_file = tls_path(&certs, "ca.pem");
  ASSERT_OK(weft_tls_ctx_new(&cctx, &co));
}

static void free_ctxs(void) {
  weft_tls_ctx_release(sctx);
  weft_tls_ctx_release(cctx);
  tls_certs_free(&certs);
}

static void tls_echo_once(weft_transport *tr) {
  ASSERT_EQ(1, weft_tls_is_tls(tr));
  ASSERT_OK(weft_transport_write(tr, "secret", 6));
  WAIT_UNTIL(cli.len == 6, 10);
  ASSERT_OK(memcmp(cli.data, "secret", 6));
  weft_transport_close(tr);
  WAIT_UNTIL(cli.lost, 10);
  ASSERT_EQ(0, cli.lost_err);
  ASSERT_EQ('M', cli.log[0]);
}

static void *tls_tcp_main(void *arg) {
  weft_server_opts so = WEFT_SERVER_OPTS_INIT;
  weft_connect_opts co = WEFT_CONNECT_OPTS_INIT;
  weft_server *srv;
  weft_transport *tr;

  (void)arg;
  make_ctxs();
  side.echo = 1;
  so.tls = sctx;
  srv = start_server(&side, &so);
  co.tls = cctx;
  co.server_hostname = "localhost";
  ASSERT_OK(weft_create_connection("127.0.0.1", weft_server_port(srv), &rec_proto, &cli, &co, &tr));
  tls_echo_once(tr);
  /* The name the certificate does not carry fails verification; no
   * callback of the protocol runs. */
  rec_free(&cli);
  memset(&cli, 0, sizeof cli);
  co.server_hostname = "wrong.example";
  ASSERT_EQ(WEFT_TLS_VERIFY_FAILED,
            weft_create_connection("127.0.0.1", weft_server_port(srv), &rec_proto, &cli, &co, &tr));
  ASSERT_STR_EQ("", cli.log);
  WAIT_UNTIL(weft_server_connections(srv) == 0, 10);
  stop_server(srv);
  free_ctxs();
  return NULL;
}

TEST_TIMEOUT(transport_tls_tcp, 60);
TEST_IMPL(transport_tls_tcp) {
  ASSERT_OK(weft_test_run(tls_tcp_main, NULL, NULL));
  return 0;
}

static void *tls_unix_main(void *arg) {
  weft_server_opts so = WEFT_SERVER_OPTS_INIT;
  weft_connect_opts co = WEFT_CONNECT_OPTS_INIT;
  weft_server *srv;
  weft_transport *tr;
  char name[64];

  (void)arg;
  make_ctxs();
  side.echo = 1;
  so.tls = sctx;
  snprintf(name, sizeof name, "@weft-tls-%d", (int)getpid());
  ASSERT_OK(weft_create_unix_server(name, srv_factory, &side, &so, &srv));
  co.tls = cctx;
  co.server_hostname = "localhost";
  ASSERT_OK(weft_create_unix_connection(name, &rec_proto, &cli, &co, &tr));
  tls_echo_once(tr);
  WAIT_UNTIL(weft_server_connections(srv) == 0, 10);
  stop_server(srv);
  rec_free(&cli);
  free_ctxs();
  return NULL;
}

TEST_TIMEOUT(transport_tls_unix, 60);
TEST_IMPL(transport_tls_unix) {
  ASSERT_OK(weft_test_run(tls_unix_main, NULL, NULL));
  return 0;
}
