/* Test helpers: counting/failing allocator, loop runner with leak checks. */
#include <execinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <unistd.h>
#include <uv.h>

#include "test.h"

int weft_test_torture;
long weft_test_alloc_fail_at;
int weft_test_alloc_persistent;
long weft_test_alloc_count;
static atomic_long live;

/* WEFT_TEST_FAIL_TRACE set: where the failed allocation was made, on
 * stderr (decode the addresses with addr2line -f -e weft-tests). */
static void trace_failure(long n) {
  void *frames[24];

  if (n != weft_test_alloc_fail_at || !getenv("WEFT_TEST_FAIL_TRACE"))
    return;
  fprintf(stderr, "allocation %ld failed at:\n", n);
  backtrace_symbols_fd(frames, backtrace(frames, 24), 2);
}

static int should_fail(void) {
  long n = __atomic_add_fetch(&weft_test_alloc_count, 1, __ATOMIC_RELAXED);
  int fail;

  if (!weft_test_alloc_fail_at)
    return 0;
  fail =
      n == weft_test_alloc_fail_at || (weft_test_alloc_persistent && n > weft_test_alloc_fail_at);
  if (fail)
    trace_failure(n);
  return fail;
}

/* Each block carries its size in a 16-byte header, so live bytes can be
 * counted and realloc can be checked. */
static void *t_malloc(size_t n) {
  char *p;

  if (should_fail())
    return NULL;
  p = malloc(n + 16);
  if (!p)
    return NULL;
  atomic_fetch_add(&live, 1);
  return p + 16;
}

static void *t_realloc(void *ptr, size_t n) {
  char *p;

  if (!ptr)
    return t_malloc(n);
  if (should_fail())
    return NULL;
  p = realloc((char *)ptr - 16, n + 16);
  return p ? p + 16 : NULL;
}

static void t_free(void *ptr) {
  if (!ptr)
    return;
  atomic_fetch_sub(&live, 1);
  free((char *)ptr - 16);
}

/* A process forked by the test (a pool's child) inherits the failure
 * counter: only the test's own process has its allocations failed. */
static void alloc_fork_child(void) {
  weft_test_alloc_fail_at = 0;
  weft_test_alloc_persistent = 0;
}

void weft_test_alloc_install(void) {
  weft_set_allocator(t_malloc, t_realloc, t_free);
  pthread_atfork(NULL, NULL, alloc_fork_child);
}

int weft_test_alloc_failing_for_good(void) {
  return weft_test_alloc_persistent && weft_test_alloc_fail_at &&
         weft_test_alloc_count >= weft_test_alloc_fail_at;
}

long weft_test_live_allocations(void) {
  return atomic_load(&live);
}

void weft_test_enomem_exit(void) {
  fflush(NULL);
  _exit(0);
}

int weft_test_run(weft_task_fn fn, void *arg, void **result) {
  long before = weft_test_live_allocations();
  int rc = weft_run(fn, arg, result);

  if (weft_test_torture && rc == -ENOMEM)
    weft_test_enomem_exit();
  if (weft_test_live_allocations() != before) {
    fprintf(stderr, "weft_test_run: %ld allocation(s) left after the loop closed\n",
            weft_test_live_allocations() - before);
    abort();
  }
  return rc;
}
