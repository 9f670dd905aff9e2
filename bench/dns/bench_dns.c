/*
 * DNS benchmark: N A queries at a fixed concurrency, through the c-ares
 * resolver or through getaddrinfo on the thread pool.
 *
 *   weft-bench-dns resolver SERVER[:PORT] N CONCURRENCY
 *   weft-bench-dns getaddrinfo - N CONCURRENCY
 *
 * Prints `RESULT <queries/s> queries/s <us> us/query`, the second figure
 * the process's CPU time (user + system) per query over the timed queries;
 * exits 1 if any query failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <weft.h>

typedef struct bench {
  weft_resolver *r; /* NULL: getaddrinfo */
  long n, next, failed;
} bench;

static int one(bench *b) {
  if (b->r) {
    weft_dns_result *res;
    int rc = weft_resolver_query(b->r, "a.test", WEFT_DNS_A, &res);

    if (rc == 0)
      weft_dns_result_free(res);
    return rc;
  }
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
  int rc = weft_getaddrinfo("a.test", NULL, &hints, &res);

  if (rc == 0)
    weft_freeaddrinfo(res);
  return rc;
}

static void *worker(void *arg) {
  bench *b = arg;

  while (b->next < b->n) {
    b->next++;
    if (one(b) != 0)
      b->failed++;
  }
  return NULL;
}

typedef struct params {
  const char *mode, *server;
  long n, conc;
} params;

/* User + system CPU seconds of this process so far. */
static double cpu_seconds(void) {
  struct rusage ru;

  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void *amain(void *arg) {
  params *p = arg;
  bench b = {NULL, p->n, 0, 0};
  weft_resolver_opts o = {.nameservers = p->server, .timeout = 2, .tries = 3, .no_hosts = 1};
  weft_task **t = calloc((size_t)p->conc, sizeof *t);
  double t0, cpu0;

  if (strcmp(p->mode, "resolver") == 0 && weft_resolver_new(&b.r, &o) != 0)
    return weft_fail(-EINVAL, "bad nameserver %s", p->server);
  cpu0 = cpu_seconds();
  t0 = weft_time();
  for (long i = 0; i < p->conc; i++)
    weft_spawn(&t[i], worker, &b, NULL);
  for (long i = 0; i < p->conc; i++) {
    weft_await(t[i], NULL);
    weft_task_release(t[i]);
  }
  printf("RESULT %.0f queries/s %.2f us/query\n", (double)p->n / (weft_time() - t0),
         (cpu_seconds() - cpu0) * 1e6 / (double)p->n);
  if (b.failed)
    fprintf(stderr, "%ld queries failed\n", b.failed);
  weft_resolver_free(b.r);
  free(t);
  return b.failed ? weft_fail(-EIO, "failures") : NULL;
}

int main(int argc, char **argv) {
  params p;

  if (argc != 5) {
    fprintf(stderr, "usage: %s resolver|getaddrinfo SERVER N CONCURRENCY\n", argv[0]);
    return 2;
  }
  p = (params){argv[1], argv[2], atol(argv[3]), atol(argv[4])};
  if (p.n <= 0 || p.conc <= 0)
    return 2;
  return weft_run(amain, &p, NULL) == 0 ? 0 : 1;
}
