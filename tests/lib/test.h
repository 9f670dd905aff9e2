/*
 * weft test helpers. A test is `TEST_IMPL(name) { ... return 0; }` in a
 * tests/test-*.c file; the build collects every TEST_IMPL into one list
 * (tests/test-list.h is generated) and the runner runs each test in its own
 * process with a timeout.
 */
#ifndef WEFT_TEST_H
#define WEFT_TEST_H

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

#define TEST_IMPL(name) int run_test_##name(void)
/* `TEST_TIMEOUT(name, seconds);` at file scope gives test `name` a longer
 * timeout than the runner's default (read by gen-test-list.cmake). */
#define TEST_TIMEOUT(name, seconds) enum { weft_test_timeout_##name = (seconds) }

/* Set by the runner: under `--torture`, allocations fail on purpose. */
extern int weft_test_torture;

/* Any scalar (integer, floating, pointer) as a long double, for comparing
 * and printing operands of mixed types exactly. */
#define WEFT_TEST_IS_FLOAT_(x)                            \
  (__builtin_types_compatible_p(__typeof__(x), float) ||  \
   __builtin_types_compatible_p(__typeof__(x), double) || \
   __builtin_types_compatible_p(__typeof__(x), long double))
#define WEFT_TEST_LD_(x) \
  ((long double)__builtin_choose_expr(WEFT_TEST_IS_FLOAT_(x), (x), (intmax_t)(uintptr_t)(x)))

/* A failed assertion that a failing allocation explains is not a test
 * failure under torture: the error reached the caller as a code. */
#define WEFT_TEST_FAIL_(file, line, expr, a, b)                                           \
  do {                                                                                    \
    if (weft_test_torture && ((a) == -ENOMEM || (b) == -ENOMEM))                          \
      weft_test_enomem_exit();                                                            \
    fprintf(stderr, "%s:%d: assertion failed: %s (%.17Lg vs %.17Lg)\n", file, line, expr, \
            (long double)(a), (long double)(b));                                          \
    abort();                                                                              \
  } while (0)

#define ASSERT(expr)                                                               \
  do {                                                                             \
    if (!(expr)) {                                                                 \
      fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #expr); \
      abort();                                                                     \
    }                                                                              \
  } while (0)

/* Each operand is evaluated once and compared exactly, whatever its type. */
#define ASSERT_OP_(a, op, b)                                            \
  do {                                                                  \
    __typeof__(a) a_ = (a);                                             \
    __typeof__(b) b_ = (b);                                             \
    long double la_ = WEFT_TEST_LD_(a_), lb_ = WEFT_TEST_LD_(b_);       \
    if (!(la_ op lb_))                                                  \
      WEFT_TEST_FAIL_(__FILE__, __LINE__, #a " " #op " " #b, la_, lb_); \
  } while (0)

#define ASSERT_EQ(a, b) ASSERT_OP_(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_OP_(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_OP_(a, <, b)
#define ASSERT_LE(a, b) ASSERT_OP_(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_OP_(a, >, b)
#define ASSERT_GE(a, b) ASSERT_OP_(a, >=, b)
#define ASSERT_OK(a) ASSERT_EQ(0, (a))
#define ASSERT_NULL(p) ASSERT((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT((p) != NULL)
#define ASSERT_STR_EQ(a, b)                                                              \
  do {                                                                                   \
    const char *a_ = (a), *b_ = (b);                                                     \
    if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                             \
      if (weft_test_torture) /* a message lost to a failed allocation */                 \
        weft_test_enomem_exit();                                                         \
      fprintf(stderr, "%s:%d: assertion failed: \"%s\" == \"%s\"\n", __FILE__, __LINE__, \
              a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                   \
      abort();                                                                           \
    }                                                                                    \
  } while (0)
/* |a - b| <= tol, for timings that only need to be roughly right. */
#define ASSERT_NEAR(a, b, tol) ASSERT(fabs((double)(a) - (double)(b)) <= (tol))

/* Exit successfully because an allocation failure surfaced as -ENOMEM. */
void weft_test_enomem_exit(void) __attribute__((noreturn));

/* 1 when every allocation fails from now on (a persistent torture step
 * past its failing allocation). */
int weft_test_alloc_failing_for_good(void);

/* A best-effort step (a cache entry, a stored session) is allowed to be
 * skipped for want of memory: under --torture, end the test there when
 * cond does not hold; otherwise the ASSERT that follows checks it. */
#define TORTURE_EXIT_UNLESS(cond)     \
  do {                                \
    if (weft_test_torture && !(cond)) \
      weft_test_enomem_exit();        \
  } while (0)

/*
 * Run fn(arg) as the main task of a fresh loop (weft_run), then check that
 * nothing was left open: no task alive, no libuv handle, every allocation
 * freed. Returns main's code; *result gets its result.
 */
int weft_test_run(weft_task_fn fn, void *arg, void **result);

/* Allocations made through the weft allocator and not yet freed. */
long weft_test_live_allocations(void);

#endif
