/*
 * Generator send round trip: the caller sends a value in, the body adds one
 * and yields it back. For scale, the same program bounces between two bare
 * contexts (weft__ctx_switch, nothing else): a round trip is two switches
 * in both cases.
 *
 *   weft-bench-gen [rounds]
 *
 * Prints `BENCH gen_send weft <ns> ns/op` and
 * `BENCH ctx_roundtrip weft <ns> ns/op`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <weft.h>

#include "ctx.h"

static uint64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* x = yield x + 1, until closed */
static void *plus_one(void *arg) {
  void *x = NULL;

  (void)arg;
  while (weft_yield_value((void *)((intptr_t)x + 1), &x) == 0)
    ;
  return NULL;
}

static double bench_gen_send(long n) {
  weft_gen *g;
  void *v = NULL;
  uint64_t t0, t1;

  if (weft_gen_new(&g, plus_one, NULL, &(weft_gen_opts){.primed = 1}) != 0)
    return -1;
  t0 = now_ns();
  for (long i = 0; i < n; i++)
    weft_gen_send(g, (void *)(intptr_t)i, &v);
  t1 = now_ns();
  weft_gen_release(g);
  if ((intptr_t)v != n)
    return -1;
  return (double)(t1 - t0) / (double)n;
}

static weft__ctx main_ctx, co_ctx;

static void bounce(void *arg) {
  (void)arg;
  for (;;)
    weft__ctx_switch(&co_ctx, &main_ctx);
}

static double bench_ctx(long n) {
  size_t size = 64 * 1024;
  void *stack = aligned_alloc(64, size);
  uint64_t t0, t1;

  if (!stack)
    return -1;
  weft__ctx_make(&co_ctx, stack, size, bounce, NULL);
  weft__ctx_switch(&main_ctx, &co_ctx);
  t0 = now_ns();
  for (long i = 0; i < n; i++)
    weft__ctx_switch(&main_ctx, &co_ctx);
  t1 = now_ns();
  free(stack);
  return (double)(t1 - t0) / (double)n;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10000000;
  double gen, ctx;

  if (n <= 0)
    return 1;
  gen = bench_gen_send(n);
  ctx = bench_ctx(n);
  if (gen < 0 || ctx < 0)
    return 1;
  printf("BENCH gen_send weft %.2f ns/op\n", gen);
  printf("BENCH ctx_roundtrip weft %.2f ns/op\n", ctx);
  return 0;
}
