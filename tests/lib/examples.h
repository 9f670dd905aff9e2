/*
 * Running the programs of examples/ from tests: run_example() captures the
 * output, exit status and duration of examples/<name> (next to the test
 * runner's directory) into `example_out`; the helpers check lines in it.
 */
#ifndef WEFT_TEST_EXAMPLES_H
#define WEFT_TEST_EXAMPLES_H

#include "test.h"

typedef struct example_run {
  char out[65536];
  int status; /* exit status, -1 if killed by a signal */
  double seconds;
} example_run;

extern example_run run;

/* Run examples/<name> with the given arguments (a shell-quoted string,
 * may be NULL) and wait for it. */
void run_example_args(const char *name, const char *args);
void run_example(const char *name);
/* Where the whole line `line` starts in the output, NULL if absent. */
const char *find_line(const char *from, const char *line);
int count_lines(const char *line);
int count_substr(const char *s);
/* Each line appears, in this order. */
void expect_in_order(const char *const *lines, size_t n);
#define EXPECT_IN_ORDER(...)                                     \
  do {                                                           \
    static const char *const lines_[] = {__VA_ARGS__};           \
    expect_in_order(lines_, sizeof(lines_) / sizeof(lines_[0])); \
  } while (0)
/* The number after the nth (0-based) occurrence of prefix. */
double number_after(const char *prefix, int nth);

/* A real sleep never ends early; on a busy machine it may end late. */
#define ASSERT_TOOK(measured, expected) \
  ASSERT((measured) >= (expected)-0.01 && (measured) <= (expected) + 0.5)

#endif
