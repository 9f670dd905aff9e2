/*
 * Raw context switch: bounce between the main context and one coroutine
 * with weft__ctx_switch, nothing else. Prints "RESULT ctx <ns per switch>".
 *   weft-bench-ctx [switches]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ctx.h"

static weft__ctx main_ctx, co_ctx;
static volatile long rounds;

static uint64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Switch back to main forever; main decides when to stop. */
static void bounce(void *arg) {
  (void)arg;
  for (;;) {
    rounds++;
    weft__ctx_switch(&co_ctx, &main_ctx);
  }
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000000;
  size_t size = 64 * 1024;
  void *stack = aligned_alloc(64, size);
  uint64_t t0, t1;

  if (!stack || n <= 0)
    return 1;
  weft__ctx_make(&co_ctx, stack, size, bounce, NULL);
  weft__ctx_switch(&main_ctx, &co_ctx); /* warm up: first entry */
  t0 = now_ns();
  for (long i = 0; i < n; i++)
    weft__ctx_switch(&main_ctx, &co_ctx);
  t1 = now_ns();
  /* Each round trip is two switches: main -> coroutine -> main. */
  printf("RESULT ctx %.2f ns/switch\n", (double)(t1 - t0) / (2.0 * (double)n));
  free(stack);
  return rounds == n + 1 ? 0 : 1;
}
