/* The resolver's failures: answers with error codes, garbage, silence,
 * failover, rotation, malformed names, cancellation, the cache. */
#include <unistd.h>

#include "lib/test.h"

int dns_dnsmasq_start(int *pid, int *port);
int dns_responder_start(int *pid, int *port);
int dns_silent_open(int *fd, int *port);
void dns_peer_stop(int pid);

typedef struct env {
  int dnsmasq, responder, silent; /* ports */
} env;

static weft_resolver *make(const char *fmt, int a, int b, double timeout, int tries, int rotate) {
  weft_resolver_opts o = {0};
  char servers[96];
  weft_resolver *r;

  snprintf(servers, sizeof servers, fmt, a, b);
  o.nameservers = servers;
  o.timeout = timeout;
  o.tries = tries;
  o.rotate = rotate;
  o.no_hosts = 1;
  ASSERT_OK(weft_resolver_new(&r, &o));
  return r;
}

static int query_rc(weft_resolver *r, const char *name, int type) {
  weft_dns_result *res = NULL;
  int rc = weft_resolver_query(r, name, type, &res);

  if (rc == 0)
    ASSERT(res && res->count > 0);
  else
    ASSERT_NULL(res);
  weft_dns_result_free(res);
  return rc;
}

static void *codes_main(void *arg) {
  env *e = arg;
  weft_resolver *d = make("127.0.0.1:%d", e->dnsmasq, 0, 2, 2, 0);
  weft_resolver *p = make("127.0.0.1:%d", e->responder, 0, 0.3, 1, 0);

  ASSERT_EQ(query_rc(d, "missing.test", WEFT_DNS_A), WEFT_DNS_ENXDOMAIN);
  ASSERT_EQ(query_rc(d, "b.test", WEFT_DNS_AAAA), WEFT_DNS_ENODATA);
  ASSERT_EQ(query_rc(d, "v6only.test", WEFT_DNS_A), WEFT_DNS_ENODATA);
  ASSERT_EQ(query_rc(d, "refused.example", WEFT_DNS_A), WEFT_DNS_EREFUSED);
  ASSERT_EQ(query_rc(p, "servfail.example", WEFT_DNS_A), WEFT_DNS_ESERVFAIL);
  ASSERT_EQ(query_rc(p, "refused.example", WEFT_DNS_A), WEFT_DNS_EREFUSED);
  ASSERT_EQ(query_rc(p, "nxdomain.example", WEFT_DNS_A), WEFT_DNS_ENXDOMAIN);
  ASSERT_EQ(query_rc(p, "nodata.example", WEFT_DNS_A), WEFT_DNS_ENODATA);
  ASSERT_EQ(query_rc(p, "formerr.example", WEFT_DNS_A), WEFT_DNS_EFORMERR);
  ASSERT_EQ(query_rc(p, "notimp.example", WEFT_DNS_A), WEFT_DNS_ENOTIMP);
  ASSERT_OK(query_rc(p, "ok.example", WEFT_DNS_A));
  /* answers that lie about their own structure */
  ASSERT_EQ(query_rc(p, "truncated.example", WEFT_DNS_A), WEFT_DNS_EBADRESP);
  ASSERT_EQ(query_rc(p, "badlen.example", WEFT_DNS_A), WEFT_DNS_EBADRESP);
  ASSERT_EQ(query_rc(p, "overrun.example", WEFT_DNS_A), WEFT_DNS_EBADRESP);
  ASSERT_EQ(query_rc(p, "loop.example", WEFT_DNS_A), WEFT_DNS_EBADRESP);
  /* bytes that are no DNS message are ignored: the query times out */
  ASSERT_EQ(query_rc(p, "noise.example", WEFT_DNS_A), -ETIMEDOUT);
  ASSERT_OK(query_rc(p, "ok.example", WEFT_DNS_A)); /* still usable */
  weft_resolver_free(d);
  weft_resolver_free(p);
  return NULL;
}

TEST_IMPL(dns_error_codes) {
  env e = {0};
  int pid1, pid2;

  ASSERT_OK(dns_dnsmasq_start(&pid1, &e.dnsmasq));
  ASSERT_OK(dns_responder_start(&pid2, &e.responder));
  ASSERT_OK(weft_test_run(codes_main, &e, NULL));
  dns_peer_stop(pid1);
  dns_peer_stop(pid2);
  return 0;
}

TEST_IMPL(dns_error_messages) {
  static const int codes[] = {WEFT_DNS_ENXDOMAIN, WEFT_DNS_ENODATA,  WEFT_DNS_ESERVFAIL,
                              WEFT_DNS_EREFUSED,  WEFT_DNS_EBADRESP, WEFT_DNS_EFORMERR,
                              WEFT_DNS_ENOTIMP,   WEFT_DNS_EBADNAME, WEFT_DNS_ECONNREFUSED};

  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    ASSERT(strcmp(weft_dns_strerror(codes[i]), "unknown error") != 0);
    ASSERT(strcmp(weft_dns_err_name(codes[i]), "UNKNOWN") != 0);
    for (size_t j = 0; j < i; j++)
      ASSERT(strcmp(weft_dns_strerror(codes[i]), weft_dns_strerror(codes[j])) != 0);
    /* The core's functions know the resolver's codes too. */
    ASSERT_STR_EQ(weft_strerror(codes[i]), weft_dns_strerror(codes[i]));
    ASSERT_STR_EQ(weft_err_name(codes[i]), weft_dns_err_name(codes[i]));
  }
  ASSERT_STR_EQ(weft_dns_err_name(WEFT_DNS_ENXDOMAIN), "NXDOMAIN");
  ASSERT_STR_EQ(weft_dns_strerror(-ETIMEDOUT), "timed out");
  ASSERT_STR_EQ(weft_dns_strerror(-ECANCELED), weft_strerror(-ECANCELED));
  ASSERT_STR_EQ(weft_dns_err_name(-ECANCELED), "ECANCELED");
  ASSERT_EQ(weft_dns_type_from_name("aaaa"), WEFT_DNS_AAAA);
  ASSERT_EQ(weft_dns_type_from_name("caa"), WEFT_DNS_CAA);
  ASSERT_EQ(weft_dns_type_from_name("bogus"), 0);
  ASSERT_STR_EQ(weft_dns_type_name(WEFT_DNS_NAPTR), "NAPTR");
  ASSERT_STR_EQ(weft_dns_type_name(999), "?");
  return 0;
}

static void *names_main(void *arg) {
  env *e = arg;
  weft_resolver *d = make("127.0.0.1:%d", e->dnsmasq, 0, 2, 2, 0);
  char name[400];
  weft_dns_result *res;

  memset(name, 'a', 64);
  strcpy(name + 64, ".test");
  ASSERT_EQ(query_rc(d, name, WEFT_DNS_A), WEFT_DNS_EBADNAME);
  ASSERT_EQ(query_rc(d, "", WEFT_DNS_A), WEFT_DNS_EBADNAME);
  ASSERT_EQ(query_rc(d, "a..test", WEFT_DNS_A), WEFT_DNS_EBADNAME);
  ASSERT_EQ(query_rc(d, ".a.test", WEFT_DNS_A), WEFT_DNS_EBADNAME);
  for (int i = 0; i < 300; i += 2)
    memcpy(name + i, "a.", 2);
  strcpy(name + 300, "test");
  ASSERT_EQ(query_rc(d, name, WEFT_DNS_A), WEFT_DNS_EBADNAME);
  ASSERT_OK(query_rc(d, "a.test.", WEFT_DNS_A)); /* absolute names are fine */
  ASSERT_EQ(weft_resolver_query(d, "a.test", 999, &res), -EINVAL);
  ASSERT_EQ(weft_resolver_query(d, NULL, WEFT_DNS_A, &res), -EINVAL);
  ASSERT_EQ(weft_resolver_query(NULL, "a.test", WEFT_DNS_A, &res), -EINVAL);
  ASSERT_EQ(weft_resolver_query(d, "a.test", WEFT_DNS_A, NULL), -EINVAL);
  weft_resolver_free(d);
  return NULL;
}

TEST_IMPL(dns_bad_names) {
  env e = {0};
  int pid;

  ASSERT_OK(dns_dnsmasq_start(&pid, &e.dnsmasq));
  ASSERT_OK(weft_test_run(names_main, &e, NULL));
  dns_peer_stop(pid);
  return 0;
}

static void *bad_opts_main(void *arg) {
  weft_resolver_opts o = {0};
  weft_resolver *r = (weft_resolver *)&o;

  (void)arg;
  o.nameservers = "not an address";
  ASSERT_EQ(weft_resolver_new(&r, &o), -EINVAL);
  ASSERT_NULL(r);
  o.nameservers = "";
  ASSERT_EQ(weft_resolver_new(&r, &o), -EINVAL);
  o.nameservers = "127.0.0.1:53";
  o.timeout = -1;
  ASSERT_EQ(weft_resolver_new(&r, &o), -EINVAL);
  o.timeout = NAN;
  ASSERT_EQ(weft_resolver_new(&r, &o), -EINVAL);
  o.timeout = 1;
  o.tries = -1;
  ASSERT_EQ(weft_resolver_new(&r, &o), -EINVAL);
  ASSERT_EQ(weft_resolver_new(NULL, NULL), -EINVAL);
  /* the system's configuration */
  ASSERT_OK(weft_resolver_new(&r, NULL));
  weft_resolver_free(r);
  weft_resolver_free(NULL);
  return NULL;
}

TEST_IMPL(dns_bad_options) {
  weft_resolver *r;

  ASSERT_EQ(weft_resolver_new(&r, NULL), -EPERM);
  ASSERT_OK(weft_test_run(bad_opts_main, NULL, NULL));
  return 0;
}

static void *timeout_main(void *arg) {
  env *e = arg;
  weft_resolver *s = make("127.0.0.1:%d", e->silent, 0, 0.2, 1, 0);
  weft_resolver *f = make("127.0.0.1:%d,127.0.0.1:%d", e->silent, e->dnsmasq, 0.3, 2, 0);
  weft_dns_result *res = NULL;
  double t0 = weft_time();

  ASSERT_EQ(query_rc(s, "a.test", WEFT_DNS_A), -ETIMEDOUT);
  ASSERT_GE(weft_time() - t0, 0.19);
  /* the first server never answers; the second does */
  t0 = weft_time();
  ASSERT_OK(weft_resolver_query(f, "a.test", WEFT_DNS_A, &res));
  ASSERT_STR_EQ(res->records[0].u.addr.text, "192.0.2.1");
  ASSERT_GE(weft_time() - t0, 0.29);
  weft_dns_result_free(res);
  weft_resolver_free(s);
  weft_resolver_free(f);
  return NULL;
}

TEST_IMPL(dns_timeout_failover) {
  env e = {0};
  int pid, fd;

  ASSERT_OK(dns_dnsmasq_start(&pid, &e.dnsmasq));
  ASSERT_OK(dns_silent_open(&fd, &e.silent));
  ASSERT_OK(weft_test_run(timeout_main, &e, NULL));
  dns_peer_stop(pid);
  close(fd);
  return 0;
}

/* Queries that start at the silent server wait for its timeout; with
 * rotate, some start at dnsmasq and answer at once. */
static int fast_answers(env *e, int rotate) {
  weft_resolver *r = make("127.0.0.1:%d,127.0.0.1:%d", e->silent, e->dnsmasq, 0.5, 1, rotate);
  int fast = 0;

  for (int i = 0; i < 8; i++) {
    double t0 = weft_time();

    ASSERT_OK(query_rc(r, "a.test", WEFT_DNS_A));
    fast += weft_time() - t0 < 0.4;
  }
  weft_resolver_free(r);
  return fast;
}

static void *rotate_main(void *arg) {
  env *e = arg;

  ASSERT_EQ(fast_answers(e, 0), 0);
  ASSERT_GT(fast_answers(e, 1), 0);
  return NULL;
}

TEST_TIMEOUT(dns_rotate, 60);
TEST_IMPL(dns_rotate) {
  env e = {0};
  int pid, fd;

  ASSERT_OK(dns_dnsmasq_start(&pid, &e.dnsmasq));
  ASSERT_OK(dns_silent_open(&fd, &e.silent));
  ASSERT_OK(weft_test_run(rotate_main, &e, NULL));
  dns_peer_stop(pid);
  close(fd);
  return 0;
}

static void *slow_query(void *arg) {
  weft_dns_result *res = NULL;
  int rc = weft_resolver_query(arg, "a.test", WEFT_DNS_A, &res);

  ASSERT_NULL(res);
  return (void *)(intptr_t)rc;
}

static void *cancel_main(void *arg) {
  env *e = arg;
  weft_resolver *r = make("127.0.0.1:%d", e->silent, 0, 5, 1, 0);
  weft_resolver *ok = make("127.0.0.1:%d", e->dnsmasq, 0, 2, 1, 0);
  weft_task *t, *u;
  weft_scope scope;
  void *out;
  double t0 = weft_time();

  /* a timeout scope ends the wait long before c-ares gives up */
  ASSERT_OK(weft_timeout_enter(&scope, 0.1));
  ASSERT_EQ(query_rc(r, "a.test", WEFT_DNS_A), -ETIMEDOUT);
  ASSERT_EQ(weft_timeout_leave(&scope), -ETIMEDOUT);
  ASSERT_LT(weft_time() - t0, 2.0);
  /* cancelling the task mid-query */
  ASSERT_OK(weft_spawn(&t, slow_query, r, NULL));
  ASSERT_OK(weft_sleep(0.05));
  weft_task_cancel(t);
  ASSERT_OK(weft_await(t, &out));
  ASSERT_EQ((intptr_t)out, -ECANCELED);
  weft_task_release(t);
  /* the resolver's other queries are not disturbed */
  ASSERT_OK(query_rc(ok, "a.test", WEFT_DNS_A));
  /* freeing the resolver answers its pending queries -ECANCELED */
  ASSERT_OK(weft_spawn(&u, slow_query, r, NULL));
  ASSERT_OK(weft_sleep(0.05));
  weft_resolver_free(r);
  ASSERT_OK(weft_await(u, &out));
  ASSERT_EQ((intptr_t)out, -ECANCELED);
  weft_task_release(u);
  weft_resolver_free(ok);
  return NULL;
}

TEST_IMPL(dns_cancel) {
  env e = {0};
  int pid, fd;

  ASSERT_OK(dns_dnsmasq_start(&pid, &e.dnsmasq));
  ASSERT_OK(dns_silent_open(&fd, &e.silent));
  ASSERT_OK(weft_test_run(cancel_main, &e, NULL));
  dns_peer_stop(pid);
  close(fd);
  return 0;
}

static void *one_query(void *arg) {
  weft_dns_result *res = NULL;
  int rc = weft_resolver_query(arg, "a.test", WEFT_DNS_A, &res);

  ASSERT_OK(rc);
  ASSERT_STR_EQ(res->records[0].u.addr.text, "192.0.2.1");
  weft_dns_result_free(res);
  return NULL;
}

static void *concurrent_main(void *arg) {
  enum { N = 500 };
  env *e = arg;
  weft_resolver *r = make("127.0.0.1:%d", e->dnsmasq, 0, 5, 3, 0);
  static weft_task *t[N];

  for (int i = 0; i < N; i++)
    ASSERT_OK(weft_spawn(&t[i], one_query, r, NULL));
  for (int i = 0; i < N; i++) {
    ASSERT_OK(weft_await(t[i], NULL));
    weft_task_release(t[i]);
  }
  weft_resolver_free(r);
  return NULL;
}

TEST_IMPL(dns_concurrent) {
  env e = {0};
  int pid;

  ASSERT_OK(dns_dnsmasq_start(&pid, &e.dnsmasq));
  ASSERT_OK(weft_test_run(concurrent_main, &e, NULL));
  dns_peer_stop(pid);
  return 0;
}
