/* examples/001_dns_query against dnsmasq. */
#include "lib/examples.h"

int dns_dnsmasq_start(int *pid, int *port);
void dns_peer_stop(int pid);

TEST_IMPL(dns_example_query) {
  char args[512];
  int pid, port;

  ASSERT_OK(dns_dnsmasq_start(&pid, &port));
  snprintf(args, sizeof args,
           "127.0.0.1:%d a.test A a.test AAAA mail.test MX txt.test TXT "
           "_http._tcp.srv.test SRV 192.0.2.1 PTR zone.test SOA naptr.test NAPTR caa.test CAA "
           "alias.test CNAME zone.test NS missing.test A b.test AAAA",
           port);
  run_example_args("001_dns_query", args);
  dns_peer_stop(pid);
  ASSERT_EQ(run.status, 0);
  ASSERT_NOT_NULL(find_line(run.out, "a.test A: 1 record"));
  ASSERT_NOT_NULL(find_line(run.out, "  A      ttl=300    192.0.2.1"));
  ASSERT_NOT_NULL(find_line(run.out, "  AAAA   ttl=300    2001:db8::1"));
  ASSERT_NOT_NULL(find_line(run.out, "mail.test MX: 2 records"));
  ASSERT_NOT_NULL(find_line(run.out, "  TXT    ttl=300    \"hello worldsecond part\""));
  ASSERT_NOT_NULL(find_line(run.out, "  SRV    ttl=300    1 2 8080 web.test"));
  ASSERT_NOT_NULL(find_line(run.out, "  PTR    ttl=300    a.test"));
  ASSERT(strstr(run.out, "ns1.zone.test hostmaster.zone.test serial=2024010101"));
  ASSERT(strstr(run.out, "\"E2U+sip\""));
  ASSERT(strstr(run.out, "0 issue \"letsencrypt.org\""));
  ASSERT_NOT_NULL(find_line(run.out, "  CNAME  ttl=300    a.test"));
  ASSERT(strstr(run.out, "missing.test A: domain name not found (NXDOMAIN) (NXDOMAIN)"));
  ASSERT(strstr(run.out, "b.test AAAA: no record of the requested type (NODATA)"));
  return 0;
}

TEST_IMPL(dns_example_usage) {
  run_example_args("001_dns_query", NULL);
  ASSERT_EQ(run.status, 0);
  ASSERT(strstr(run.out, "usage:"));
  run_example_args("001_dns_query", "127.0.0.1");
  ASSERT_EQ(run.status, 2);
  ASSERT(strstr(run.out, "usage:"));
  return 0;
}
