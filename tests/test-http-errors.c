/* HTTP client error paths: refused, unresolvable and hanging connects,
 * TLS failures, broken responses (cut, bad chunk, reset, garbage), the
 * timeouts (total, sock_read, the task's own scope, per request),
 * cancellation at every suspension point, and closing a session. After
 * each failure the same session still serves a normal request. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-http-util.h"

static http_peer peer;   /* httpbin */
static http_peer faults; /* tests/servers/http_faults.py */

/* ---- peers -------------------------------------------------------------- */

/* "<dir of this file>/servers/http_faults.py" */
static const char *faults_script(void) {
  static char path[512];
  const char *slash = strrchr(__FILE__, '/');

  snprintf(path, sizeof path, "%.*s/servers/http_faults.py", slash ? (int)(slash - __FILE__) : 1,
           slash ? __FILE__ : ".");
  return path;
}

/* Reads the URL line the server prints once listening. */
static void faults_read_url(http_peer *p, int fd) {
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  size_t used = 0;
  ssize_t n;

  while (!memchr(p->url, '\n', used)) {
    ASSERT(poll(&pfd, 1, 10000) == 1);
    n = read(fd, p->url + used, sizeof p->url - 1 - used);
    ASSERT(n > 0);
    used += (size_t)n;
    p->url[used] = '\0';
  }
  *strchr(p->url, '\n') = '\0';
  p->port = atoi(strrchr(p->url, ':') + 1);
}

static void faults_start(http_peer *p) {
  int out[2];

  memset(p, 0, sizeof *p);
  ASSERT_OK(pipe2(out, O_CLOEXEC));
  fflush(NULL);
  p->pid = fork();
  ASSERT(p->pid >= 0);
  if (p->pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    setpgid(0, 0);
    dup2(out[1], 1);
    execl("/usr/bin/python3", "python3", "-u", faults_script(), "--port", "0", (char *)NULL);
    _exit(127);
  }
  setpgid(p->pid, p->pid);
  close(out[1]);
  faults_read_url(p, out[0]);
  close(out[0]);
}

/* A loopback listener whose accept queue is full and never drained: a
 * connect to it hangs in SYN_SENT. fills[] keep the queue full. */
typedef struct stuck_listener {
  int fd;
  int fills[3];
  char url[64];
} stuck_listener;

static void stuck_open(stuck_listener *l) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;

  l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT(l->fd >= 0);
  ASSERT_OK(bind(l->fd, (struct sockaddr *)&a, sizeof a));
  ASSERT_OK(listen(l->fd, 0));
  ASSERT_OK(getsockname(l->fd, (struct sockaddr *)&a, &len));
  for (int i = 0; i < 3; i++) {
    l->fills[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ASSERT(l->fills[i] >= 0);
    ASSERT(connect(l->fills[i], (struct sockaddr *)&a, sizeof a) == 0 || errno == EINPROGRESS);
  }
  snprintf(l->url, sizeof l->url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
}

static void stuck_close(stuck_listener *l) {
  for (int i = 0; i < 3; i++)
    close(l->fills[i]);
  close(l->fd);
}

/* Runs fn as the main task with httpbin (tls: over TLS) and, when asked,
 * the faults server. */
static int run_with(weft_task_fn fn, int tls, int with_faults) {
  int rc;

  httpbin_start(&peer, tls);
  if (with_faults)
    faults_start(&faults);
  rc = weft_test_run(fn, NULL, NULL);
  http_peer_stop(&faults);
  http_peer_stop(&peer);
  return rc;
}

/* ---- helpers ------------------------------------------------------------ */

static weft_http_session *session_with(const weft_http_session_opts *o) {
  weft_http_session *s;

  ASSERT_OK(weft_http_session_new(&s, o));
  return s;
}

static weft_http_session *session_open(void) {
  return session_with(&(weft_http_session_opts){.base_url = peer.url, .timeout = {.total = 10}});
}

/* The last error message holds want (any case). */
static void message_has(const char *want) {
  const char *msg = weft_http_last_error();

  if (!strcasestr(msg, want))
    fprintf(stderr, "message \"%s\" lacks \"%s\"\n", msg, want);
  ASSERT_NOT_NULL(strcasestr(msg, want));
}

/* The request fails with code and a message holding want. */
static void request_fails(weft_http_session *s, const char *url, const weft_http_request_opts *o,
                          int code, const char *want) {
  weft_http_response *r = (weft_http_response *)&r;
  int rc = weft_http_get(s, url, o, &r);

  if (rc != code)
    fprintf(stderr, "GET %s: %d %s (%s), want %d %s\n", url, rc, weft_err_name(rc),
            weft_http_last_error(), code, weft_err_name(code));
  ASSERT_EQ(rc, code);
  ASSERT_NULL(r);
  ASSERT(weft_http_last_error()[0] != '\0');
  if (want)
    message_has(want);
}

static weft_http_response *get_ok(weft_http_session *s, const char *url,
                                  const weft_http_request_opts *o) {
  weft_http_response *r = NULL;
  int rc = weft_http_get(s, url, o, &r);

  if (rc != 0)
    fprintf(stderr, "GET %s: %s\n", url, weft_http_last_error());
  ASSERT_OK(rc);
  ASSERT_EQ(weft_http_response_status(r), 200);
  return r;
}

/* The headers come (200), then reading the body fails with code. */
static void body_fails(weft_http_session *s, const char *url, const weft_http_request_opts *o,
                       int code, const char *want) {
  weft_http_response *r = get_ok(s, url, o);
  const void *data;
  size_t len;
  int rc = weft_http_response_read(r, 0, &data, &len);

  if (rc != code)
    fprintf(stderr, "read %s: %d %s (%s), want %d %s\n", url, rc, weft_err_name(rc),
            weft_http_last_error(), code, weft_err_name(code));
  ASSERT_EQ(rc, code);
  ASSERT(weft_http_last_error()[0] != '\0');
  if (want)
    message_has(want);
  /* the failure sticks */
  ASSERT_EQ(weft_http_response_read(r, 0, &data, &len), code);
  weft_http_response_free(r);
}

/* The request or the reading of its body fails with code: a server that
 * resets right after its headers may beat the client to them. */
static void fails_somewhere(weft_http_session *s, const char *url, int code, const char *want) {
  weft_http_response *r = NULL;
  const void *data;
  size_t len;
  int rc = weft_http_get(s, url, NULL, &r);

  if (rc == 0) {
    ASSERT_EQ(weft_http_response_status(r), 200);
    rc = weft_http_response_read(r, 0, &data, &len);
    weft_http_response_free(r);
  }
  if (rc != code)
    fprintf(stderr, "GET %s: %d %s (%s), want %d %s\n", url, rc, weft_err_name(rc),
            weft_http_last_error(), code, weft_err_name(code));
  ASSERT_EQ(rc, code);
  if (want)
    message_has(want);
}

/* The session still works: /get answers 200 with its JSON body. */
static void still_works(weft_http_session *s) {
  char url[200];
  weft_http_response *r;
  const void *data;
  size_t len;

  snprintf(url, sizeof url, "%s/get?after=error", peer.url);
  r = get_ok(s, url, NULL);
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_NOT_NULL(strstr(data, "\"after\": \"error\""));
  weft_http_response_free(r);
}

static char *peer_url(const http_peer *p, const char *path) {
  static char bufs[4][256];
  static int next;
  char *b = bufs[next++ % 4];

  snprintf(b, 256, "%s%s", p->url, path);
  return b;
}

/* ---- connecting --------------------------------------------------------- */

static void *refused_main(void *arg) {
  weft_http_session *s = session_open();
  char url[64];
  int port = http_free_port();

  (void)arg;
  snprintf(url, sizeof url, "http://127.0.0.1:%d/get", port);
  request_fails(s, url, NULL, -ECONNREFUSED, NULL);
  snprintf(url, sizeof url, "port %d", port);
  message_has(url);
  message_has("(Connection refused)"); /* the errno behind curl's words */
  ASSERT_STR_EQ(weft_err_name(-ECONNREFUSED), "ECONNREFUSED");
  still_works(s);
  http_session_done(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_refused, 30);
TEST_IMPL(http_errors_refused) {
  return run_with(refused_main, 0, 0);
}

static void *dns_main(void *arg) {
  weft_http_session *s = session_open();

  (void)arg;
  request_fails(s, "http://no-such-host.weft-test.invalid/get", NULL, WEFT_HTTP_EDNS,
                "no-such-host.weft-test.invalid");
  ASSERT_STR_EQ(weft_err_name(WEFT_HTTP_EDNS), "EDNS");
  ASSERT_STR_EQ(weft_http_strerror(WEFT_HTTP_EDNS), "could not resolve the host name");
  ASSERT_STR_EQ(weft_strerror(WEFT_HTTP_EDNS), "could not resolve the host name");
  still_works(s);
  http_session_done(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_dns, 30);
TEST_IMPL(http_errors_dns) {
  return run_with(dns_main, 0, 0);
}

static void *connect_timeout_main(void *arg) {
  weft_http_session *s = session_with(&(weft_http_session_opts){
      .base_url = peer.url, .timeout = {.total = 10, .sock_connect = 0.3}});
  stuck_listener l;

  (void)arg;
  stuck_open(&l);
  request_fails(s, l.url, NULL, WEFT_HTTP_ECONNECT_TIMEOUT, "timeout");
  still_works(s);
  /* connect (whole connection) instead of sock_connect, set per request */
  request_fails(s, l.url, &(weft_http_request_opts){.timeout = {.connect = 0.2}},
                WEFT_HTTP_ECONNECT_TIMEOUT, "timeout");
  still_works(s);
  stuck_close(&l);
  http_session_done(s);
  return NULL;
}

/* A redirect to a closed port fails the request with the hop's error. */
static void *redirect_refused_main(void *arg) {
  weft_http_session *s = session_open();
  char url[200];
  int port = http_free_port();

  (void)arg;
  snprintf(url, sizeof url, "/redirect-to?url=http://127.0.0.1:%d/get", port);
  request_fails(s, url, NULL, -ECONNREFUSED, NULL);
  snprintf(url, sizeof url, "port %d", port);
  message_has(url);
  still_works(s);
  http_session_done(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_redirect_refused, 30);
TEST_IMPL(http_errors_redirect_refused) {
  return run_with(redirect_refused_main, 0, 0);
}

TEST_TIMEOUT(http_errors_connect_timeout, 30);
TEST_IMPL(http_errors_connect_timeout) {
  return run_with(connect_timeout_main, 0, 0);
}

/* ---- TLS ---------------------------------------------------------------- */

static void tls_works(weft_http_session *s, const weft_http_request_opts *o) {
  weft_http_response *r = get_ok(s, peer_url(&peer, "/get"), o);

  weft_http_response_free(r);
}

static void *tls_main(void *arg) {
  weft_http_session *s = session_with(&(weft_http_session_opts){.timeout = {.total = 10}});
  weft_http_session *ca = session_with(
      &(weft_http_session_opts){.ca_file = http_peer_ca(&peer), .timeout = {.total = 10}});
  weft_http_session *off =
      session_with(&(weft_http_session_opts){.insecure = 1, .timeout = {.total = 10}});

  (void)arg;
  request_fails(s, peer_url(&peer, "/get"), NULL, WEFT_HTTP_ETLS_VERIFY, "certificate");
  /* ssl=False on the request */
  tls_works(s, &(weft_http_request_opts){.insecure = 1});
  request_fails(s, peer_url(&peer, "/get"), NULL, WEFT_HTTP_ETLS_VERIFY, "certificate");
  tls_works(ca, NULL);
  tls_works(off, NULL);
  http_session_done(s);
  http_session_done(ca);
  http_session_done(off);
  return NULL;
}

TEST_TIMEOUT(http_errors_tls_verify, 30);
TEST_IMPL(http_errors_tls_verify) {
  return run_with(tls_main, 1, 0);
}

static void *tls_plain_main(void *arg) {
  weft_http_session *s = session_open();
  char url[200];

  (void)arg;
  snprintf(url, sizeof url, "https://127.0.0.1:%d/get", peer.port);
  request_fails(s, url, NULL, WEFT_HTTP_ETLS, NULL);
  request_fails(s, url, &(weft_http_request_opts){.insecure = 1}, WEFT_HTTP_ETLS, NULL);
  still_works(s);
  http_session_done(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_tls_plain, 30);
TEST_IMPL(http_errors_tls_plain) {
  return run_with(tls_plain_main, 0, 0);
}

/* ---- broken responses --------------------------------------------------- */

static void *broken_main(void *arg) {
  weft_http_session *s = session_open();

  (void)arg;
  body_fails(s, "/cut", NULL, WEFT_HTTP_ETRUNCATED, NULL);
  still_works(s);
  body_fails(s, "/bad-chunk", NULL, WEFT_HTTP_EBADCHUNK, "chunk");
  still_works(s);
  fails_somewhere(s, "/reset", -ECONNRESET, "reset");
  still_works(s);
  http_session_done(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_broken_body, 30);
TEST_IMPL(http_errors_broken_body) {
  return run_with(broken_main, 0, 0);
}

static void *faults_main(void *arg) {
  weft_http_session *s = session_open();
  weft_http_response *r;

  (void)arg;
  request_fails(s, peer_url(&faults, "/garbage"), NULL, WEFT_HTTP_EPROTO, NULL);
  still_works(s);
  request_fails(s, peer_url(&faults, "/huge-header"), NULL, WEFT_HTTP_EPROTO, "header");
  still_works(s);
  request_fails(s, peer_url(&faults, "/many-headers"), NULL, WEFT_HTTP_EPROTO, "header");
  still_works(s);
  body_fails(s, peer_url(&faults, "/reset-headers"), NULL, -ECONNRESET, "reset");
  still_works(s);
  /* a status line and no end of the headers: sock_read ends the wait */
  request_fails(s, peer_url(&faults, "/stall-headers"),
                &(weft_http_request_opts){.timeout = {.sock_read = 0.3}}, WEFT_HTTP_EREAD_TIMEOUT,
                "0.3");
  still_works(s);
  r = get_ok(s, peer_url(&faults, "/ok"), NULL);
  weft_http_response_free(r);
  http_session_done(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_bad_server, 30);
TEST_IMPL(http_errors_bad_server) {
  return run_with(faults_main, 0, 1);
}

/* ---- timeouts ----------------------------------------------------------- */

static void *total_main(void *arg) {
  weft_http_session *s =
      session_with(&(weft_http_session_opts){.base_url = peer.url, .timeout = {.total = 0.3}});
  weft_http_response *r;

  (void)arg;
  request_fails(s, "/delay/3", NULL, -ETIMEDOUT, "timeout");
  still_works(s);
  /* the request's total overrides the session's, both ways */
  r = get_ok(s, "/delay/0.5", &(weft_http_request_opts){.timeout = {.total = 5}});
  weft_http_response_free(r);
  request_fails(s, "/delay/0.5", NULL, -ETIMEDOUT, "timeout");
  request_fails(s, "/delay/3", &(weft_http_request_opts){.timeout = {.total = 0.2}}, -ETIMEDOUT,
                "timeout");
  still_works(s);
  /* total covers the body too */
  body_fails(s, "/drip?duration=3&numbytes=3", &(weft_http_request_opts){.timeout = {.total = 0.4}},
             -ETIMEDOUT, "timeout");
  still_works(s);
  http_session_done(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_total_timeout, 30);
TEST_IMPL(http_errors_total_timeout) {
  return run_with(total_main, 0, 0);
}

static void *sock_read_main(void *arg) {
  weft_http_session *s = session_with(
      &(weft_http_session_opts){.base_url = peer.url, .timeout = {.total = 10, .sock_read = 0.3}});
  weft_http_response *r;

  (void)arg;
  /* one byte a second: the first comes at once, then silence */
  body_fails(s, "/drip?duration=3&numbytes=3", NULL, WEFT_HTTP_EREAD_TIMEOUT, "no data");
  still_works(s);
  /* waiting for headers counts as silence too */
  request_fails(s, "/delay/3", NULL, WEFT_HTTP_EREAD_TIMEOUT, "no data");
  still_works(s);
  /* a request's sock_read overrides the session's */
  r = get_ok(s, "/delay/0.6", &(weft_http_request_opts){.timeout = {.sock_read = 5}});
  weft_http_response_free(r);
  http_session_done(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_sock_read, 30);
TEST_IMPL(http_errors_sock_read) {
  return run_with(sock_read_main, 0, 0);
}

static void *scope_main(void *arg) {
  weft_http_session *s = session_open();
  weft_http_response *r = (weft_http_response *)&r;
  weft_scope scope;
  const void *data;
  size_t len;

  (void)arg;
  /* the task's own timeout around the request */
  ASSERT_OK(weft_timeout_enter(&scope, 0.3));
  ASSERT_EQ(weft_http_get(s, "/delay/3", NULL, &r), -ETIMEDOUT);
  ASSERT_NULL(r);
  ASSERT(weft_http_last_error()[0] != '\0');
  ASSERT_EQ(weft_timeout_leave(&scope), -ETIMEDOUT);
  still_works(s);
  /* ... and around reading the body */
  r = get_ok(s, "/drip?duration=3&numbytes=3", NULL);
  ASSERT_OK(weft_timeout_enter(&scope, 0.3));
  ASSERT_EQ(weft_http_response_read(r, 0, &data, &len), -ETIMEDOUT);
  ASSERT_EQ(weft_timeout_leave(&scope), -ETIMEDOUT);
  weft_http_response_free(r);
  still_works(s);
  /* a scope that does not expire leaves no trace */
  ASSERT_OK(weft_timeout_enter(&scope, 5));
  r = get_ok(s, "/delay/0.1", NULL);
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  weft_http_response_free(r);
  ASSERT_OK(weft_timeout_leave(&scope));
  http_session_done(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_scope_timeout, 30);
TEST_IMPL(http_errors_scope_timeout) {
  return run_with(scope_main, 0, 0);
}

/* ---- cancellation ------------------------------------------------------- */

typedef enum stage { STAGE_REQUEST, STAGE_BODY, STAGE_UPLOAD } stage;

/* A request run in a child task, cancelled by the main task once the child
 * is suspended where the test wants. */
typedef struct job {
  weft_http_session *s;
  const char *url;
  stage where;
  int reached; /* the child is about to suspend at its stage */
  int sent;    /* upload: pieces the source gave */
  int rc;
} job;

static int stalling_source(void *arg, void *buf, size_t cap, size_t *len) {
  job *j = arg;

  if (j->sent++ == 0) {
    ASSERT(cap >= 5);
    memcpy(buf, "hello", 5);
    *len = 5;
    return 0;
  }
  j->reached = 1;
  *len = 0;
  return weft_sleep(10);
}

static void *job_run(void *arg) {
  job *j = arg;
  weft_http_request_opts o = {0};
  weft_http_response *r = (weft_http_response *)&r;
  const void *data;
  size_t len;

  if (j->where == STAGE_UPLOAD)
    o = (weft_http_request_opts){.source = stalling_source, .source_arg = j, .source_len = -1};
  else
    j->reached = j->where == STAGE_REQUEST;
  j->rc = weft_http_request(j->s, j->where == STAGE_UPLOAD ? "POST" : "GET", j->url, &o, &r);
  if (j->rc < 0) {
    ASSERT_NULL(r);
    return NULL;
  }
  ASSERT_OK(weft_http_response_read_some(r, (char[8]){0}, 1, &len));
  j->reached = 1;
  j->rc = weft_http_response_read(r, 0, &data, &len);
  weft_http_response_free(r);
  return NULL;
}

/* Cancels the job once it reached its stage (plus a moment to park). */
static void cancel_job(job *j) {
  weft_task *t;

  ASSERT_OK(weft_spawn(&t, job_run, j, NULL));
  while (!j->reached) {
    TORTURE_EXIT_UNLESS(!weft_task_done(t)); /* ended early: an allocation failed */
    ASSERT_OK(weft_sleep(0.01));
  }
  ASSERT_OK(weft_sleep(0.1));
  TORTURE_EXIT_UNLESS(!weft_task_done(t));
  ASSERT_EQ(weft_task_done(t), 0);
  ASSERT_EQ(weft_task_cancel(t), 1);
  ASSERT_OK(weft_await(t, NULL)); /* it returned after seeing -ECANCELED */
  weft_task_release(t);
  if (j->rc != -ECANCELED)
    fprintf(stderr, "%s: %d (%s)\n", j->url, j->rc, weft_http_last_error());
  ASSERT_EQ(j->rc, -ECANCELED);
}

static void *cancel_main(void *arg) {
  weft_http_session *s = session_open();
  stuck_listener l;
  job j;

  (void)arg;
  stuck_open(&l);
  j = (job){.s = s, .url = l.url, .where = STAGE_REQUEST};
  cancel_job(&j); /* connecting */
  still_works(s);
  j = (job){.s = s, .url = "/delay/3", .where = STAGE_REQUEST};
  cancel_job(&j); /* waiting for the headers */
  still_works(s);
  j = (job){.s = s, .url = "/drip?duration=3&numbytes=3", .where = STAGE_BODY};
  cancel_job(&j); /* reading the body */
  still_works(s);
  j = (job){.s = s, .url = "/upload-sha256", .where = STAGE_UPLOAD};
  cancel_job(&j); /* the source suspended mid-upload */
  ASSERT_EQ(j.sent, 2);
  still_works(s);
  stuck_close(&l);
  http_session_done(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_cancel, 30);
TEST_IMPL(http_errors_cancel) {
  return run_with(cancel_main, 0, 0);
}

/* A task already cancelled when it makes a request fails it at once. */
static void *self_cancelled(void *arg) {
  job *j = arg;

  ASSERT_EQ(weft_task_cancel(weft_current_task()), 1);
  j->reached = 1;
  return job_run(j);
}

static void *cancel_before_main(void *arg) {
  weft_http_session *s = session_open();
  job j = {.s = s, .url = "/get", .where = STAGE_REQUEST};
  weft_task *t;
  int rc;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, self_cancelled, &j, NULL));
  rc = weft_await(t, NULL);
  weft_task_release(t);
  /* failed for want of memory before it saw the cancellation: the task
   * ended cancelled, as an asyncio task cancelled right before it stops */
  TORTURE_EXIT_UNLESS(j.rc != -ENOMEM);
  ASSERT_OK(rc);
  ASSERT_EQ(j.rc, -ECANCELED);
  message_has("cancel");
  still_works(s);
  http_session_done(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_cancel_before, 30);
TEST_IMPL(http_errors_cancel_before) {
  return run_with(cancel_before_main, 0, 0);
}

/* A connection whose request was cancelled is not reused: /conn-id of the
 * next request is a new serial, and the one after reuses that. */
static int conn_id(weft_http_session *s) {
  weft_http_response *r = get_ok(s, "/conn-id", NULL);
  const void *data;
  size_t len;
  int id;

  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  id = atoi(data);
  weft_http_response_free(r);
  return id;
}

static void *cancel_reuse_main(void *arg) {
  weft_http_session *s = session_open();
  int first = conn_id(s), second;
  job j = {.s = s, .url = "/delay/3", .where = STAGE_REQUEST};

  (void)arg;
  ASSERT_EQ(conn_id(s), first); /* kept alive and reused */
  cancel_job(&j);
  second = conn_id(s);
  ASSERT_NE(second, first);
  ASSERT_EQ(conn_id(s), second);
  http_session_done(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_cancel_reuse, 30);
TEST_IMPL(http_errors_cancel_reuse) {
  return run_with(cancel_reuse_main, 0, 0);
}

/* ---- close -------------------------------------------------------------- */

static void *close_waits_main(void *arg) {
  weft_http_session *s = session_open();
  job j = {.s = s, .url = "/delay/0.3", .where = STAGE_REQUEST};
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, job_run, &j, NULL));
  ASSERT_OK(weft_sleep(0.05));
  ASSERT_OK(weft_http_session_close(s));
  /* close() returned once the request had its answer */
  ASSERT(j.reached);
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_OK(j.rc);
  weft_http_session_free(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_close_waits, 30);
TEST_IMPL(http_errors_close_waits) {
  return run_with(close_waits_main, 0, 0);
}

static void *close_grace_main(void *arg) {
  weft_http_session *s = session_with(&(weft_http_session_opts){
      .base_url = peer.url, .close_grace = 0.2, .timeout = {.total = 10}});
  job j = {.s = s, .url = "/delay/3", .where = STAGE_REQUEST};
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, job_run, &j, NULL));
  ASSERT_OK(weft_sleep(0.05));
  ASSERT_OK(weft_http_session_close(s));
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  if (j.rc != -ESHUTDOWN)
    fprintf(stderr, "close grace: %d (%s)\n", j.rc, weft_http_last_error());
  ASSERT_EQ(j.rc, -ESHUTDOWN);
  weft_http_session_free(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_close_grace, 30);
TEST_IMPL(http_errors_close_grace) {
  return run_with(close_grace_main, 0, 0);
}

/* close() with a request whose body source is suspended: after the grace
 * the source's wait is interrupted and the request fails -ESHUTDOWN at
 * once, not when the source would have woken (10 s). */
static void *close_upload_main(void *arg) {
  weft_http_session *s = session_with(&(weft_http_session_opts){
      .base_url = peer.url, .close_grace = 0.2, .timeout = {.total = 20}});
  job j = {.s = s, .url = "/post", .where = STAGE_UPLOAD};
  double start;
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, job_run, &j, NULL));
  while (!j.reached) {
    TORTURE_EXIT_UNLESS(!weft_task_done(t)); /* ended early: an allocation failed */
    ASSERT_OK(weft_sleep(0.01));
  }
  start = weft_time();
  ASSERT_OK(weft_http_session_close(s));
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_EQ(j.rc, -ESHUTDOWN);
  ASSERT(weft_time() - start < 5);
  weft_http_session_free(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_close_upload_source, 30);
TEST_IMPL(http_errors_close_upload_source) {
  return run_with(close_upload_main, 0, 0);
}

/* The total timeout reaches into a suspended body source. */
static void *source_timeout_main(void *arg) {
  weft_http_session *s =
      session_with(&(weft_http_session_opts){.base_url = peer.url, .timeout = {.total = 0.3}});
  job j = {.s = s, .url = "/post", .where = STAGE_UPLOAD};

  (void)arg;
  job_run(&j);
  ASSERT_EQ(j.rc, -ETIMEDOUT);
  message_has("total timeout");
  still_works(s);
  http_session_done(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_source_timeout, 30);
TEST_IMPL(http_errors_source_timeout) {
  return run_with(source_timeout_main, 0, 0);
}

static void *closed_main(void *arg) {
  weft_http_session *s = session_open();
  weft_http_response *r = get_ok(s, "/get", NULL);
  const void *data;
  size_t len;

  (void)arg;
  ASSERT_OK(weft_http_session_close(s));
  ASSERT_OK(weft_http_session_close(s)); /* twice is fine */
  /* a response returned before close keeps working */
  ASSERT_OK(weft_http_response_read(r, 0, &data, &len));
  ASSERT_NOT_NULL(strstr(data, "\"url\""));
  weft_http_response_free(r);
  request_fails(s, "/get", NULL, -ESHUTDOWN, "closed");
  r = (weft_http_response *)&r;
  ASSERT_EQ(weft_http_post(s, "/post", NULL, &r), -ESHUTDOWN);
  ASSERT_NULL(r);
  ASSERT_OK(weft_http_session_close(s));
  weft_http_session_free(s);
  return NULL;
}

TEST_TIMEOUT(http_errors_closed_session, 30);
TEST_IMPL(http_errors_closed_session) {
  return run_with(closed_main, 0, 0);
}

/* Freeing an open session while a response still holds its transfer
 * (mid-body) and then the response leaks nothing (weft_test_run checks
 * the allocations and handles). */
static void *free_open_main(void *arg) {
  weft_http_session *s = session_open();
  weft_http_response *r = get_ok(s, "/drip?duration=3&numbytes=3", NULL);

  (void)arg;
  weft_http_session_free(s);
  weft_http_response_free(r);
  return NULL;
}

TEST_TIMEOUT(http_errors_free_open, 30);
TEST_IMPL(http_errors_free_open) {
  return run_with(free_open_main, 0, 0);
}
