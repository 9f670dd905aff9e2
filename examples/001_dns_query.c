/*
 * aiodns: DNSResolver(nameservers=[server]).query(name, type) for each
 * "name TYPE" pair on the command line, all concurrently, printing the
 * typed records with their TTLs. Run without arguments it prints its usage.
 *
 *   001_dns_query 127.0.0.1:5353 example.test A example.test MX ...
 */
#include <stdio.h>
#include <string.h>
#include <weft.h>

typedef struct job {
  weft_resolver *r;
  const char *name;
  const char *type;
} job;

static void print_record(const weft_dns_record *rec) {
  printf("  %-6s ttl=%-6u ", weft_dns_type_name(rec->type), rec->ttl);
  switch (rec->type) {
  case WEFT_DNS_A:
  case WEFT_DNS_AAAA:
    printf("%s\n", rec->u.addr.text);
    break;
  case WEFT_DNS_CNAME:
  case WEFT_DNS_NS:
  case WEFT_DNS_PTR:
    printf("%s\n", rec->u.host);
    break;
  case WEFT_DNS_MX:
    printf("%u %s\n", rec->u.mx.priority, rec->u.mx.host);
    break;
  case WEFT_DNS_TXT:
    printf("\"%.*s\"\n", (int)rec->u.txt.len, rec->u.txt.text);
    break;
  case WEFT_DNS_SRV:
    printf("%u %u %u %s\n", rec->u.srv.priority, rec->u.srv.weight, rec->u.srv.port,
           rec->u.srv.host);
    break;
  case WEFT_DNS_SOA:
    printf("%s %s serial=%u\n", rec->u.soa.nsname, rec->u.soa.hostmaster, rec->u.soa.serial);
    break;
  case WEFT_DNS_NAPTR:
    printf("%u %u \"%s\" \"%s\" \"%s\" %s\n", rec->u.naptr.order, rec->u.naptr.preference,
           rec->u.naptr.flags, rec->u.naptr.service, rec->u.naptr.regexp, rec->u.naptr.replacement);
    break;
  case WEFT_DNS_CAA:
    printf("%u %s \"%.*s\"\n", rec->u.caa.critical, rec->u.caa.property, (int)rec->u.caa.value_len,
           rec->u.caa.value);
    break;
  default:
    printf("?\n");
  }
}

static void *query_one(void *arg) {
  job *j = arg;
  int type = weft_dns_type_from_name(j->type);
  weft_dns_result *res;
  int rc;

  if (!type) {
    printf("%s %s: unknown record type\n", j->name, j->type);
    return NULL;
  }
  rc = weft_resolver_query(j->r, j->name, type, &res);
  if (rc != 0) {
    printf("%s %s: %s (%s)\n", j->name, j->type, weft_dns_strerror(rc), weft_dns_err_name(rc));
    return NULL;
  }
  printf("%s %s: %zu record%s\n", j->name, j->type, res->count, res->count == 1 ? "" : "s");
  for (size_t i = 0; i < res->count; i++)
    print_record(&res->records[i]);
  weft_dns_result_free(res);
  return NULL;
}

typedef struct args {
  int argc;
  char **argv;
} args;

static void *amain(void *arg) {
  args *a = arg;
  weft_resolver_opts o = {.nameservers = a->argv[1], .timeout = 2, .tries = 2};
  int n = (a->argc - 2) / 2, rc;
  weft_resolver *r;
  weft_task *tasks[64];
  job jobs[64];

  if ((rc = weft_resolver_new(&r, &o)) != 0)
    return weft_fail(rc, "resolver %s: %s", a->argv[1], weft_strerror(rc));
  if (n > 64)
    n = 64;
  for (int i = 0; i < n; i++) {
    jobs[i] = (job){r, a->argv[2 + 2 * i], a->argv[3 + 2 * i]};
    if (weft_spawn(&tasks[i], query_one, &jobs[i], NULL) != 0)
      tasks[i] = NULL;
  }
  /* asyncio.gather: the answers print as they arrive */
  for (int i = 0; i < n; i++) {
    if (tasks[i]) {
      weft_await(tasks[i], NULL);
      weft_task_release(tasks[i]);
    }
  }
  weft_resolver_free(r);
  return NULL;
}

int main(int argc, char **argv) {
  args a = {argc, argv};
  int rc;

  if (argc < 4 || argc % 2 != 0) {
    printf("usage: %s NAMESERVER[:PORT] NAME TYPE [NAME TYPE ...]\n"
           "  TYPE: A AAAA CNAME MX NS TXT SRV PTR SOA NAPTR CAA\n"
           "  e.g.  %s 127.0.0.1:53 example.com A example.com MX 127.0.0.1 PTR\n",
           argv[0], argv[0]);
    return argc == 1 ? 0 : 2; /* no arguments: just the usage */
  }
  rc = weft_run(amain, &a, NULL);
  if (rc != 0)
    fprintf(stderr, "%s\n", weft_strerror(rc));
  return rc == 0 ? 0 : 1;
}
