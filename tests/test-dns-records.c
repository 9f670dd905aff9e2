/* The resolver against dnsmasq: every record type, reverse lookups. */
#include <arpa/inet.h>

#include "lib/test.h"

int dns_dnsmasq_start(int *pid, int *port);
void dns_peer_stop(int pid);

typedef struct env {
  int port;
  weft_resolver *r;
} env;

static weft_resolver *resolver_for(int port) {
  weft_resolver_opts o = {0};
  char servers[64];
  weft_resolver *r;

  snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
  o.nameservers = servers;
  o.timeout = 2;
  o.tries = 2;
  o.no_hosts = 1;
  ASSERT_OK(weft_resolver_new(&r, &o));
  return r;
}

static weft_dns_result *query_ok(weft_resolver *r, const char *name, int type, size_t count) {
  weft_dns_result *res = NULL;
  int rc = weft_resolver_query(r, name, type, &res);

  if (rc != 0)
    fprintf(stderr, "%s %s: %s\n", name, weft_dns_type_name(type), weft_dns_strerror(rc));
  ASSERT_OK(rc);
  ASSERT_EQ(res->count, count);
  for (size_t i = 0; i < count; i++)
    ASSERT_EQ(res->records[i].type, type);
  return res;
}

static void check_addresses(weft_resolver *r) {
  weft_dns_result *res = query_ok(r, "a.test", WEFT_DNS_A, 1);

  ASSERT_STR_EQ(res->records[0].u.addr.text, "192.0.2.1");
  ASSERT_EQ(res->records[0].u.addr.bytes[3], 1);
  ASSERT_EQ(res->records[0].ttl, 300u);
  ASSERT_STR_EQ(res->records[0].name, "a.test");
  weft_dns_result_free(res);
  res = query_ok(r, "a.test", WEFT_DNS_AAAA, 1);
  ASSERT_STR_EQ(res->records[0].u.addr.text, "2001:db8::1");
  ASSERT_EQ(res->records[0].u.addr.bytes[0], 0x20);
  weft_dns_result_free(res);
}

static void check_names(weft_resolver *r) {
  weft_dns_result *res = query_ok(r, "alias.test", WEFT_DNS_CNAME, 1);

  ASSERT_STR_EQ(res->records[0].u.host, "a.test");
  weft_dns_result_free(res);
  /* an A query through the CNAME gives the target's address only */
  res = query_ok(r, "alias.test", WEFT_DNS_A, 1);
  ASSERT_STR_EQ(res->records[0].u.addr.text, "192.0.2.1");
  weft_dns_result_free(res);
  res = query_ok(r, "mail.test", WEFT_DNS_MX, 2);
  for (size_t i = 0; i < 2; i++) {
    weft_dns_record *m = &res->records[i];

    ASSERT_STR_EQ(m->u.mx.host, m->u.mx.priority == 10 ? "mx1.test" : "mx2.test");
    ASSERT(m->u.mx.priority == 10 || m->u.mx.priority == 20);
  }
  weft_dns_result_free(res);
  res = query_ok(r, "zone.test", WEFT_DNS_NS, 1);
  ASSERT_STR_EQ(res->records[0].u.host, "ns1.zone.test");
  weft_dns_result_free(res);
}

static void check_text(weft_resolver *r) {
  weft_dns_result *res = query_ok(r, "txt.test", WEFT_DNS_TXT, 1);

  ASSERT_STR_EQ(res->records[0].u.txt.text, "hello worldsecond part");
  ASSERT_EQ(res->records[0].u.txt.len, strlen("hello worldsecond part"));
  weft_dns_result_free(res);
  res = query_ok(r, "_http._tcp.srv.test", WEFT_DNS_SRV, 1);
  ASSERT_STR_EQ(res->records[0].u.srv.host, "web.test");
  ASSERT_EQ(res->records[0].u.srv.port, 8080);
  ASSERT_EQ(res->records[0].u.srv.priority, 1);
  ASSERT_EQ(res->records[0].u.srv.weight, 2);
  weft_dns_result_free(res);
  res = query_ok(r, "naptr.test", WEFT_DNS_NAPTR, 1);
  ASSERT_EQ(res->records[0].u.naptr.order, 100);
  ASSERT_EQ(res->records[0].u.naptr.preference, 10);
  ASSERT_STR_EQ(res->records[0].u.naptr.flags, "U");
  ASSERT_STR_EQ(res->records[0].u.naptr.service, "E2U+sip");
  ASSERT_STR_EQ(res->records[0].u.naptr.regexp, "!^.*$!sip:info@example.test!");
  weft_dns_result_free(res);
  res = query_ok(r, "caa.test", WEFT_DNS_CAA, 1);
  ASSERT_EQ(res->records[0].u.caa.critical, 0);
  ASSERT_STR_EQ(res->records[0].u.caa.property, "issue");
  ASSERT_STR_EQ(res->records[0].u.caa.value, "letsencrypt.org");
  ASSERT_EQ(res->records[0].u.caa.value_len, strlen("letsencrypt.org"));
  weft_dns_result_free(res);
}

static void check_soa(weft_resolver *r) {
  weft_dns_result *res = query_ok(r, "zone.test", WEFT_DNS_SOA, 1);
  weft_dns_record *s = &res->records[0];

  ASSERT_STR_EQ(s->u.soa.nsname, "ns1.zone.test");
  ASSERT_STR_EQ(s->u.soa.hostmaster, "hostmaster.zone.test");
  ASSERT_EQ(s->u.soa.serial, 2024010101u);
  ASSERT_EQ(s->u.soa.refresh, 1200u);
  ASSERT_EQ(s->u.soa.retry, 120u);
  ASSERT_EQ(s->u.soa.expire, 604800u);
  weft_dns_result_free(res);
}

static void check_reverse(weft_resolver *r) {
  weft_dns_result *res = NULL;

  ASSERT_OK(weft_resolver_reverse(r, "192.0.2.1", &res));
  ASSERT_EQ(res->count, 1u);
  ASSERT_EQ(res->records[0].type, WEFT_DNS_PTR);
  ASSERT_STR_EQ(res->records[0].u.host, "a.test");
  ASSERT_STR_EQ(res->records[0].name, "1.2.0.192.in-addr.arpa");
  weft_dns_result_free(res);
  ASSERT_OK(weft_resolver_reverse(r, "2001:db8::1", &res));
  ASSERT_STR_EQ(res->records[0].u.host, "a.test");
  weft_dns_result_free(res);
  /* PTR of an address given to query, and of a name */
  res = query_ok(r, "192.0.2.2", WEFT_DNS_PTR, 1);
  ASSERT_STR_EQ(res->records[0].u.host, "b.test");
  weft_dns_result_free(res);
  res = query_ok(r, "ptr.test", WEFT_DNS_PTR, 1);
  ASSERT_STR_EQ(res->records[0].u.host, "target.test");
  weft_dns_result_free(res);
  ASSERT_EQ(weft_resolver_reverse(r, "not-an-address", &res), -EINVAL);
  ASSERT_OK(weft_resolver_reverse(r, "192.0.2.3", &res));
  ASSERT_STR_EQ(res->records[0].u.host, "short.test");
  weft_dns_result_free(res);
}

static void *records_main(void *arg) {
  env *e = arg;
  weft_resolver *r = resolver_for(e->port);

  check_addresses(r);
  check_names(r);
  check_text(r);
  check_soa(r);
  check_reverse(r);
  weft_resolver_free(r);
  return NULL;
}

TEST_IMPL(dns_records) {
  env e = {0};
  int pid;

  ASSERT_OK(dns_dnsmasq_start(&pid, &e.port));
  ASSERT_OK(weft_test_run(records_main, &e, NULL));
  dns_peer_stop(pid);
  return 0;
}
