/* The resolver's cache, search domains and getaddrinfo. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include "lib/test.h"

int dns_dnsmasq_start(int *pid, int *port);
int dns_silent_open(int *fd, int *port);
void dns_peer_stop(int pid);

typedef struct env {
  int dnsmasq, silent;
} env;

static weft_resolver *make(int port, const weft_resolver_opts *base) {
  weft_resolver_opts o = *base;
  char servers[64];
  weft_resolver *r;

  snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
  o.nameservers = servers;
  ASSERT_OK(weft_resolver_new(&r, &o));
  return r;
}

static uint32_t ttl_of(weft_resolver *r, const char *name) {
  weft_dns_result *res = NULL;
  uint32_t ttl;

  ASSERT_OK(weft_resolver_query(r, name, WEFT_DNS_A, &res));
  ttl = res->records[0].ttl;
  weft_dns_result_free(res);
  return ttl;
}

static void *cache_main(void *arg) {
  env *e = arg;
  weft_resolver_opts o = {.timeout = 2, .tries = 2, .cache = 1, .no_hosts = 1};
  weft_resolver *r = make(e->dnsmasq, &o), *capped;
  weft_dns_result *res = NULL;

  ASSERT_EQ(ttl_of(r, "short.test"), 5u);
  TORTURE_EXIT_UNLESS(weft_resolver_cache_size(r) == 1u); /* kept only if memory allows */
  ASSERT_EQ(weft_resolver_cache_size(r), 1u);
  ASSERT_OK(weft_sleep(1.1));
  ASSERT_LE(ttl_of(r, "short.test"), 4u); /* from the cache, aged */
  ASSERT_EQ(weft_resolver_cache_size(r), 1u);
  ASSERT_EQ(weft_resolver_query(r, "missing.test", WEFT_DNS_A, &res), WEFT_DNS_ENXDOMAIN);
  ASSERT_EQ(weft_resolver_cache_size(r), 1u); /* failures are not kept */
  ASSERT_EQ(ttl_of(r, "SHORT.test"), ttl_of(r, "short.test"));
  weft_resolver_cache_clear(r);
  ASSERT_EQ(weft_resolver_cache_size(r), 0u);
  ASSERT_EQ(ttl_of(r, "short.test"), 5u);
  /* a TTL cap: the entry expires after a second */
  o.cache_max_ttl = 1;
  capped = make(e->dnsmasq, &o);
  ASSERT_EQ(ttl_of(capped, "short.test"), 5u);
  ASSERT_OK(weft_sleep(0.5));
  ASSERT_EQ(ttl_of(capped, "short.test"), 5u); /* age 0 in whole seconds */
  ASSERT_OK(weft_sleep(0.7));
  ASSERT_EQ(ttl_of(capped, "short.test"), 5u); /* expired: asked again */
  weft_resolver_free(capped);
  weft_resolver_free(r);
  return NULL;
}

TEST_TIMEOUT(dns_cache_ttl, 30);
TEST_IMPL(dns_cache_ttl) {
  env e = {0};
  int pid;

  ASSERT_OK(dns_dnsmasq_start(&pid, &e.dnsmasq));
  ASSERT_OK(weft_test_run(cache_main, &e, NULL));
  dns_peer_stop(pid);
  return 0;
}

static void *search_main(void *arg) {
  env *e = arg;
  weft_resolver_opts o = {
      .timeout = 2, .tries = 2, .no_hosts = 1, .domains = "nope.test, test", .ndots = 2};
  weft_resolver *r = make(e->dnsmasq, &o);
  weft_dns_result *res = NULL;

  ASSERT_OK(weft_resolver_query(r, "a", WEFT_DNS_A, &res));
  ASSERT_STR_EQ(res->records[0].u.addr.text, "192.0.2.1");
  ASSERT_STR_EQ(res->records[0].name, "a.test");
  weft_dns_result_free(res);
  /* one dot < ndots: the search list comes first, then the name as is */
  ASSERT_OK(weft_resolver_query(r, "zone.test", WEFT_DNS_SOA, &res));
  weft_dns_result_free(res);
  weft_resolver_free(r);
  return NULL;
}

TEST_IMPL(dns_search_domains) {
  env e = {0};
  int pid;

  ASSERT_OK(dns_dnsmasq_start(&pid, &e.dnsmasq));
  ASSERT_OK(weft_test_run(search_main, &e, NULL));
  dns_peer_stop(pid);
  return 0;
}

static const char *addr_text(const struct addrinfo *ai, char *buf) {
  const void *a = ai->ai_family == AF_INET
                      ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                      : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

  return inet_ntop(ai->ai_family, a, buf, INET6_ADDRSTRLEN);
}

static void gai_families(weft_resolver *r) {
  struct addrinfo hints = {0}, *res = NULL;
  char buf[INET6_ADDRSTRLEN];

  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  ASSERT_OK(weft_resolver_getaddrinfo(r, "a.test", "8080", &hints, &res));
  ASSERT_STR_EQ(addr_text(res, buf), "192.0.2.1");
  ASSERT_EQ(ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port), 8080);
  ASSERT_EQ(res->ai_socktype, SOCK_STREAM);
  ASSERT_NULL(res->ai_next);
  weft_freeaddrinfo(res);
  hints.ai_family = AF_INET6;
  ASSERT_OK(weft_resolver_getaddrinfo(r, "a.test", NULL, &hints, &res));
  ASSERT_STR_EQ(addr_text(res, buf), "2001:db8::1");
  weft_freeaddrinfo(res);
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_CANONNAME;
  ASSERT_OK(weft_resolver_getaddrinfo(r, "alias.test", NULL, &hints, &res));
  ASSERT_NOT_NULL(res->ai_next);
  ASSERT_NOT_NULL(res->ai_canonname);
  ASSERT_STR_EQ(res->ai_canonname, "a.test");
  weft_freeaddrinfo(res);
  hints.ai_flags = 0;
  ASSERT_EQ(weft_resolver_getaddrinfo(r, "missing.test", NULL, &hints, &res), WEFT_EAI_NONAME);
  ASSERT_NULL(res);
}

static void *gai_main(void *arg) {
  env *e = arg;
  weft_resolver_opts o = {.timeout = 0.3, .tries = 1};
  weft_resolver *r = make(e->dnsmasq, &(weft_resolver_opts){.timeout = 2, .no_hosts = 1});
  weft_resolver *silent = make(e->silent, &o), *blind;
  struct addrinfo *res = NULL;
  char buf[INET6_ADDRSTRLEN];
  int rc;

  gai_families(r);
  /* numbers and /etc/hosts need no server */
  ASSERT_OK(weft_resolver_getaddrinfo(silent, "10.1.2.3", "80", NULL, &res));
  ASSERT_STR_EQ(addr_text(res, buf), "10.1.2.3");
  weft_freeaddrinfo(res);
  ASSERT_OK(weft_resolver_getaddrinfo(silent, "localhost", NULL,
                                      &(struct addrinfo){.ai_family = AF_INET}, &res));
  ASSERT_STR_EQ(addr_text(res, buf), "127.0.0.1");
  weft_freeaddrinfo(res);
  /* without /etc/hosts, localhost is a question for the silent server */
  o.no_hosts = 1;
  blind = make(e->silent, &o);
  rc = weft_resolver_getaddrinfo(blind, "localhost", NULL, &(struct addrinfo){.ai_family = AF_INET},
                                 &res);
  /* c-ares reports a lookup that no server answered either way */
  TORTURE_EXIT_UNLESS(rc != -ENOMEM);
  ASSERT(rc == -ETIMEDOUT || rc == WEFT_DNS_ECONNREFUSED);
  ASSERT_NULL(res);
  /* no resolver: the thread pool's getaddrinfo */
  ASSERT_OK(weft_resolver_getaddrinfo(NULL, "127.0.0.1", NULL, NULL, &res));
  weft_freeaddrinfo(res);
  ASSERT_EQ(weft_resolver_getaddrinfo(r, NULL, NULL, NULL, &res), -EINVAL);
  weft_resolver_free(blind);
  weft_resolver_free(silent);
  weft_resolver_free(r);
  return NULL;
}

TEST_IMPL(dns_getaddrinfo) {
  env e = {0};
  int pid, fd;

  ASSERT_OK(dns_dnsmasq_start(&pid, &e.dnsmasq));
  ASSERT_OK(dns_silent_open(&fd, &e.silent));
  ASSERT_OK(weft_test_run(gai_main, &e, NULL));
  dns_peer_stop(pid);
  close(fd);
  return 0;
}

static void *gai_slow(void *arg) {
  struct addrinfo *res = NULL;
  int rc = weft_resolver_getaddrinfo(arg, "a.test", NULL, NULL, &res);

  ASSERT_NULL(res);
  return (void *)(intptr_t)rc;
}

static void *gai_cancel_main(void *arg) {
  env *e = arg;
  weft_resolver *r = make(e->silent, &(weft_resolver_opts){.timeout = 5, .tries = 1});
  weft_task *t;
  void *out;

  ASSERT_OK(weft_spawn(&t, gai_slow, r, NULL));
  ASSERT_OK(weft_sleep(0.05));
  weft_task_cancel(t);
  ASSERT_OK(weft_await(t, &out));
  ASSERT_EQ((intptr_t)out, -ECANCELED);
  weft_task_release(t);
  weft_resolver_free(r); /* the abandoned lookup is freed here */
  return NULL;
}

TEST_IMPL(dns_getaddrinfo_cancel) {
  env e = {0};
  int fd;

  ASSERT_OK(dns_silent_open(&fd, &e.silent));
  ASSERT_OK(weft_test_run(gai_cancel_main, &e, NULL));
  close(fd);
  return 0;
}
