/* TLS test helpers: certificates made with the openssl command, openssl
 * peers, in-memory engine pairs. */
#include <fcntl.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-tls-util.h"

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...) {
  char cmd[4096];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  if (system(cmd) != 0) {
    fprintf(stderr, "command failed: %s\n", cmd);
    abort();
  }
}

#define EC "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"

/* A key and a certificate `name` signed by `ca` with subject CN and SAN. */
static void leaf(const tls_certs *c, const char *ca, const char *name, const char *cn,
                 const char *san, int days) {
  sh("cd %s && printf 'subjectAltName=%s\\n' > %s.ext && "
     "openssl req " EC " -keyout %s.key -out %s.csr -subj '/O=weft test/CN=%s' 2>/dev/null && "
     "openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key -CAcreateserial -out %s.pem "
     "-days %d -extfile %s.ext 2>/dev/null",
     c->dir, san, name, name, name, cn, name, ca, ca, name, days, name);
}

static void self_signed(const tls_certs *c, const char *name, const char *cn, const char *extra) {
  sh("cd %s && openssl req -x509 " EC " -keyout %s.key -out %s.pem -days 30 "
     "-subj '/O=weft test/CN=%s' %s 2>/dev/null",
     c->dir, name, name, cn, extra);
}

void tls_certs_make(tls_certs *c) {
  snprintf(c->dir, sizeof c->dir, "/tmp/weft-tls-XXXXXX");
  ASSERT_NOT_NULL(mkdtemp(c->dir));
  self_signed(c, "ca", "weft test CA", "");
  self_signed(c, "ca2", "untrusted CA", "");
  self_signed(c, "selfsigned", "localhost", "-addext subjectAltName=DNS:localhost");
  leaf(c, "ca", "server", "localhost", "DNS:localhost,IP:127.0.0.1", 30);
  leaf(c, "ca", "expired", "localhost", "DNS:localhost,IP:127.0.0.1", -1);
  leaf(c, "ca", "wronghost", "other.example", "DNS:other.example", 30);
  leaf(c, "ca2", "unknownca", "localhost", "DNS:localhost,IP:127.0.0.1", 30);
  leaf(c, "ca", "client", "weft client", "DNS:client.example", 30);
}

void tls_certs_free(tls_certs *c) {
  if (c->dir[0])
    sh("rm -rf %s", c->dir);
  c->dir[0] = '\0';
}

const char *tls_path(const tls_certs *c, const char *name) {
  static char bufs[8][512];
  static int next;
  char *b = bufs[next++ % 8];

  snprintf(b, 512, "%s/%s", c->dir, name);
  return b;
}

static void spawn(tls_peer *p, const char *cmd) {
  int in[2], out[2];

  ASSERT_OK(pipe2(in, O_CLOEXEC));
  ASSERT_OK(pipe2(out, O_CLOEXEC));
  p->pid = fork();
  ASSERT(p->pid >= 0);
  if (p->pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  p->in = in[1];
  p->out = out[0];
}

/* Append what the peer writes within timeout_ms; returns 0 at EOF. */
static int read_some(tls_peer *p, char *buf, size_t len, int timeout_ms) {
  struct pollfd pfd = {.fd = p->out, .events = POLLIN};
  size_t used = strlen(buf);
  ssize_t n;

  if (used + 1 >= len)
    return 0;
  /* inside a task, let the loop run (a weft server may be the peer) */
  if (weft_current_task() && poll(&pfd, 1, 0) <= 0) {
    weft_sleep(timeout_ms / 1000.0);
    return 1;
  }
  if (poll(&pfd, 1, timeout_ms) <= 0)
    return 1;
  if ((n = read(p->out, buf + used, len - 1 - used)) <= 0)
    return 0;
  buf[used + (size_t)n] = '\0';
  return 1;
}

int tls_peer_expect(tls_peer *p, const char *needle, char *buf, size_t len, double timeout) {
  double end = weft_time() + timeout;

  while (!strstr(buf, needle) && weft_time() < end)
    if (!read_some(p, buf, len, 10))
      break;
  return strstr(buf, needle) != NULL;
}

void tls_s_server(tls_peer *p, const tls_certs *c, const char *cert, const char *args) {
  char cmd[2048], out[4096] = "", pem[64], key[64];
  const char *at;

  snprintf(pem, sizeof pem, "%s.pem", cert);
  snprintf(key, sizeof key, "%s.key", cert);
  snprintf(cmd, sizeof cmd,
           "exec openssl s_server -accept 127.0.0.1:0 -cert %s -key %s -CAfile %s %s",
           tls_path(c, pem), tls_path(c, key), tls_path(c, "ca.pem"), args);
  spawn(p, cmd);
  tls_peer_expect(p, "ACCEPT 127.0.0.1:", out, sizeof out, 10);
  for (int i = 0; i < 20 && (at = strstr(out, "ACCEPT")) && !strchr(at, '\n'); i++)
    read_some(p, out, sizeof out, 100); /* the rest of the line */
  at = strstr(out, "ACCEPT 127.0.0.1:");
  if (!at) {
    fprintf(stderr, "s_server did not start: %s\n", out);
    abort();
  }
  p->port = atoi(at + strlen("ACCEPT 127.0.0.1:"));
  ASSERT_GT(p->port, 0);
}

void tls_s_client(tls_peer *p, int port, const char *args) {
  char cmd[2048];

  snprintf(cmd, sizeof cmd, "exec openssl s_client -connect 127.0.0.1:%d %s", port, args);
  spawn(p, cmd);
  p->port = port;
}

void tls_peer_stop(tls_peer *p) {
  int status;

  if (p->pid <= 0)
    return;
  close(p->in);
  kill(-p->pid, SIGTERM);
  kill(p->pid, SIGTERM);
  waitpid(p->pid, &status, 0);
  close(p->out);
  p->pid = 0;
}

static size_t move(weft_tls_engine *from, weft_tls_engine *to) {
  char buf[16384];
  size_t total = 0, n;

  while ((n = weft_tls_engine_take(from, buf, sizeof buf)) > 0) {
    ASSERT_OK(weft_tls_engine_feed(to, buf, n));
    total += n;
  }
  return total;
}

size_t tls_pump(weft_tls_engine *a, weft_tls_engine *b) {
  size_t n = move(a, b);

  return n + move(b, a);
}

void tls_handshake_pair(weft_tls_engine *c, weft_tls_engine *s, int *rc_c, int *rc_s) {
  for (int i = 0; i < 50; i++) {
    *rc_c = weft_tls_engine_handshake(c);
    *rc_s = weft_tls_engine_handshake(s);
    if (tls_pump(c, s) == 0)
      break;
  }
  /* one side's memory failed under --torture: the other waits for records */
  if (weft_test_torture && (*rc_c == -ENOMEM || *rc_s == -ENOMEM))
    weft_test_enomem_exit();
}

static void app_made(weft_transport *tr, void *arg) {
  tls_app *a = arg;

  a->made = 1;
  a->tr = tr;
  if (a->pause_reading)
    ASSERT_OK(weft_transport_pause_reading(tr));
}

static void app_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  tls_app *a = arg;
  size_t room = sizeof a->buf - 1 - a->len;

  memcpy(a->buf + a->len, data, len < room ? len : room);
  a->len += len < room ? len : room;
  a->buf[a->len] = '\0';
  if (a->echo)
    weft_transport_write(tr, data, len);
}

static int app_eof(weft_transport *tr, void *arg) {
  tls_app *a = arg;

  (void)tr;
  a->eof = 1;
  return a->keep_open;
}

static void app_lost(weft_transport *tr, int err, void *arg) {
  tls_app *a = arg;

  snprintf(a->err, sizeof a->err, "%s", weft_tls_transport_error(tr));
  a->lost = 1;
  a->lost_err = err;
  a->tr = NULL;
}

static void app_pause(weft_transport *tr, void *arg) {
  (void)tr;
  ((tls_app *)arg)->paused_writing++;
}

static void app_resume(weft_transport *tr, void *arg) {
  (void)tr;
  ((tls_app *)arg)->resumed_writing++;
}

const weft_protocol tls_app_proto = {
    .pause_writing = app_pause,
    .resume_writing = app_resume,
    .connection_made = app_made,
    .data_received = app_data,
    .eof_received = app_eof,
    .connection_lost = app_lost,
};

static void raw_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  (void)tr;
  (void)data;
  (void)len;
  (void)arg;
}

const weft_protocol tls_raw_proto = {.data_received = raw_data};

/* A short sleep of the waits below: 0, or the interruption that ends the
 * wait. Its own memory failing under --torture ends the test. */
static int wait_step(void) {
  int rc = weft_sleep(0.01);

  if (rc == -ENOMEM && weft_test_torture)
    weft_test_enomem_exit();
  return rc;
}

int tls_wait(const int *flag, double timeout) {
  double end = weft_time() + timeout;

  while (!*flag && weft_time() < end)
    if (wait_step() != 0)
      break;
  return *flag;
}

int tls_wait_text(tls_app *a, const char *needle, double timeout) {
  double end = weft_time() + timeout;

  while (!strstr(a->buf, needle) && weft_time() < end)
    if (wait_step() != 0)
      break;
  return strstr(a->buf, needle) != NULL;
}

weft_transport *tls_tcp(int port) {
  weft_transport *tr = NULL;

  ASSERT_OK(weft_create_connection("127.0.0.1", port, &tls_raw_proto, NULL, NULL, &tr));
  return tr;
}

static void srv_failed(int err, const char *msg, void *arg) {
  tls_srv *s = arg;

  s->failed = 1;
  s->fail_code = err;
  snprintf(s->fail_msg, sizeof s->fail_msg, "%s", msg);
}

static weft_tls_opts srv_opts(tls_srv *s) {
  return (weft_tls_opts){.server_side = 1,
                         .handshake_timeout = s->hs_timeout,
                         .shutdown_timeout = 5,
                         .handshake_failed = srv_failed,
                         .handshake_arg = s};
}

/* The outer TLS connection of a nested server: start the inner one. */
static void outer_made(weft_transport *tr, void *arg) {
  tls_srv *s = arg;
  weft_tls_opts o = srv_opts(s);

  ASSERT_OK(weft_tls_wrap(tr, &tls_app_proto, &s->inner, s->ctx, &o));
}

static const weft_protocol outer_proto = {.connection_made = outer_made, .data_received = raw_data};

static void srv_made(weft_transport *tr, void *arg) {
  tls_srv *s = arg;
  weft_tls_opts o = srv_opts(s);

  s->accepted++;
  s->lower = tr;
  if (s->ctx)
    ASSERT_OK(weft_tls_wrap(tr, s->nested ? &outer_proto : &tls_app_proto,
                            s->nested ? (void *)s : &s->app, s->ctx, &o));
  else if (s->raw_reply)
    weft_transport_write(tr, s->raw_reply, strlen(s->raw_reply));
}

static void srv_data(weft_transport *tr, const char *data, size_t len, void *arg) {
  tls_srv *s = arg;

  (void)data;
  (void)len;
  if (s->raw_close_on_data)
    weft_transport_abort(tr);
}

static void srv_lost(weft_transport *tr, int err, void *arg) {
  tls_srv *s = arg;

  (void)tr;
  (void)err;
  s->lower = NULL;
}

static const weft_protocol srv_proto = {
    .connection_made = srv_made, .data_received = srv_data, .connection_lost = srv_lost};

static int srv_factory(void *farg, weft_transport *tr, const weft_protocol **proto, void **arg) {
  (void)tr;
  *proto = &srv_proto;
  *arg = farg;
  return 0;
}

void tls_srv_start(tls_srv *s) {
  static const char *const host[] = {"127.0.0.1"};

  ASSERT_OK(weft_create_server(host, 1, 0, srv_factory, s, NULL, &s->srv));
  s->port = weft_server_port(s->srv);
  ASSERT_GT(s->port, 0);
}

void tls_srv_stop(tls_srv *s) {
  weft_server_close(s->srv);
  weft_server_abort_clients(s->srv);
  ASSERT_OK(weft_server_wait_closed(s->srv, 5));
  weft_server_free(s->srv);
  s->srv = NULL;
}
