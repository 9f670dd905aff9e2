/*
 * The test runner: every test in its own process with a timeout.
 *
 *   weft-tests                 run every test
 *   weft-tests NAME...         run the named tests (a name ending in '*' is a prefix)
 *   weft-tests --list          list the tests
 *   weft-tests --timeout S     per-test timeout in seconds (default 10; env WEFT_TEST_TIMEOUT);
 *                              a test may ask for more with TEST_TIMEOUT(name, seconds)
 *   weft-tests --torture NAME...  fail each allocation of each test in turn
 *   WEFT_TEST_FAIL_AT=N [WEFT_TEST_FAIL_PERSISTENT=1] weft-tests NAME
 *                              reproduce one step of the torture run
 *                              (WEFT_TEST_FAIL_TRACE=1: print where allocation N was made)
 *
 * The last line is "N passed, N failed".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "test-list.h"

typedef struct test_entry {
  const char *name;
  int (*fn)(void);
  int timeout; /* seconds, 0 = default */
} test_entry;

#define TEST_ENTRY_(name, timeout) {#name, run_test_##name, timeout},
static const test_entry tests[] = {WEFT_TEST_LIST(TEST_ENTRY_){NULL, NULL, 0}};

extern long weft_test_alloc_fail_at;   /* fail the Nth allocation (1-based), 0 = never */
extern int weft_test_alloc_persistent; /* and every one after it */
extern long weft_test_alloc_count;
void weft_test_alloc_install(void);

static int default_timeout = 10;

static int name_matches(const char *name, int argc, char **argv) {
  int any = 0;

  for (int i = 0; i < argc; i++) {
    size_t n = strlen(argv[i]);
    if (argv[i][0] == '-')
      continue;
    any = 1;
    if (n && argv[i][n - 1] == '*' ? strncmp(name, argv[i], n - 1) == 0
                                   : strcmp(name, argv[i]) == 0)
      return 1;
  }
  return !any;
}

/* Run one test in a child. Returns the wait status, or -1 on timeout. */
static int run_child(const test_entry *t, long fail_at, int persistent, long *count) {
  int pipefd[2];
  pid_t pid;
  int status = 0;
  struct timespec start, now;

  if (pipe(pipefd) != 0)
    return -2;
  fflush(NULL);
  pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    weft_test_alloc_fail_at = fail_at;
    weft_test_alloc_persistent = persistent;
    weft_test_torture = fail_at > 0;
    weft_test_alloc_install();
    int rc = t->fn();
    long n = weft_test_alloc_count;
    if (write(pipefd[1], &n, sizeof(n)) != (ssize_t)sizeof(n))
      rc = 1;
    fflush(NULL);
    _exit(rc == 0 ? 0 : 1);
  }
  close(pipefd[1]);
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid)
      break;
    clock_gettime(CLOCK_MONOTONIC, &now);
    /* a test's own timeout only ever lengthens the default (or --timeout) */
    if (now.tv_sec - start.tv_sec >=
        (t->timeout > default_timeout ? t->timeout : default_timeout)) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      close(pipefd[0]);
      return -1;
    }
    usleep(2000);
  }
  if (count && read(pipefd[0], count, sizeof(*count)) != (ssize_t)sizeof(*count))
    *count = -1;
  close(pipefd[0]);
  return status;
}

static void describe(const char *name, int status, char *buf, size_t len) {
  if (status == -1)
    snprintf(buf, len, "%s: timed out", name);
  else if (WIFSIGNALED(status))
    snprintf(buf, len, "%s: killed by signal %d", name, WTERMSIG(status));
  else
    snprintf(buf, len, "%s: exit status %d", name, WEXITSTATUS(status));
}

static int run_plain(int argc, char **argv) {
  int passed = 0, failed = 0;
  char buf[256];
  const char *fail_env = getenv("WEFT_TEST_FAIL_AT"); /* reproduce one torture step */
  long fail_at = fail_env ? atol(fail_env) : 0;
  int persistent = getenv("WEFT_TEST_FAIL_PERSISTENT") != NULL;

  for (const test_entry *t = tests; t->name; t++) {
    if (!name_matches(t->name, argc, argv))
      continue;
    int status = run_child(t, fail_at, persistent, NULL);
    if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      printf("ok     %s\n", t->name);
      passed++;
    } else {
      describe(t->name, status, buf, sizeof(buf));
      printf("FAILED %s\n", buf);
      failed++;
    }
    fflush(stdout);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

/* Torture one test: count its allocations, then fail each in turn, once
 * transiently and once persistently. */
static int torture_one(const test_entry *t) {
  long count = 0;
  char buf[256];
  int status = run_child(t, 0, 0, &count);

  if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || count < 0) {
    describe(t->name, status, buf, sizeof(buf));
    printf("FAILED %s (clean run)\n", buf);
    return 1;
  }
  for (long i = 1; i <= count; i++) {
    for (int persistent = 0; persistent <= 1; persistent++) {
      status = run_child(t, i, persistent, NULL);
      if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        continue;
      describe(t->name, status, buf, sizeof(buf));
      printf("FAILED %s (allocation %ld of %ld failing, %s)\n", buf, i, count,
             persistent ? "persistent" : "transient");
      return 1;
    }
  }
  printf("ok     %s (%ld allocations, each failed in turn)\n", t->name, count);
  return 0;
}

static int run_torture(int argc, char **argv) {
  int passed = 0, failed = 0;

  for (const test_entry *t = tests; t->name; t++) {
    if (!name_matches(t->name, argc, argv))
      continue;
    if (torture_one(t))
      failed++;
    else
      passed++;
    fflush(stdout);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

int main(int argc, char **argv) {
  int torture = 0;
  const char *env = getenv("WEFT_TEST_TIMEOUT");

  if (env && atoi(env) > 0)
    default_timeout = atoi(env);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--list") == 0) {
      for (const test_entry *t = tests; t->name; t++)
        puts(t->name);
      return 0;
    } else if (strcmp(argv[i], "--torture") == 0) {
      torture = 1;
    } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
      default_timeout = atoi(argv[++i]);
      argv[i][0] = '-'; /* not a test name */
    }
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  return torture ? run_torture(argc - 1, argv + 1) : run_plain(argc - 1, argv + 1);
}
