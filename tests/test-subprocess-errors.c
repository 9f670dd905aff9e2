/*
 * Subprocesses that cannot start: missing program, program not executable,
 * missing working directory, bad options. Nothing is left behind.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

static void expect_fail(const char *const *argv, const weft_subprocess_opts *o, int code,
                        const char *in_message) {
  weft_subprocess *p = (weft_subprocess *)1;

  ASSERT_EQ(code, weft_subprocess_exec(argv, o, &p));
  ASSERT_NULL(p);
  if (!strstr(weft_subprocess_error(), in_message)) {
    fprintf(stderr, "message: %s (want %s)\n", weft_subprocess_error(), in_message);
    ASSERT(0);
  }
}

static void *noent_main(void *arg) {
  const char *name[] = {"weft-no-such-program", "x", NULL};
  const char *path[] = {"/nonexistent/dir/prog", NULL};
  weft_subprocess_opts piped = {.stdin_mode = WEFT_SUBPROCESS_PIPE,
                                .stdout_mode = WEFT_SUBPROCESS_PIPE,
                                .stderr_mode = WEFT_SUBPROCESS_PIPE};

  (void)arg;
  expect_fail(name, NULL, -ENOENT, "spawn 'weft-no-such-program'");
  expect_fail(path, &piped, -ENOENT, "spawn '/nonexistent/dir/prog'");
  ASSERT_NOT_NULL(strstr(weft_subprocess_error(), weft_strerror(-ENOENT)));
  return NULL;
}

TEST_IMPL(subprocess_error_not_found) {
  ASSERT_OK(weft_test_run(noent_main, NULL, NULL));
  return 0;
}

static void *eacces_main(void *arg) {
  char path[] = "/tmp/weft-sp-noexecXXXXXX";
  int fd = mkstemp(path);
  const char *argv[] = {path, NULL};

  (void)arg;
  ASSERT_GE(fd, 0);
  ASSERT_EQ(10, write(fd, "#!/bin/sh\n", 10));
  close(fd);
  ASSERT_OK(chmod(path, 0644));
  expect_fail(argv, NULL, -EACCES, path);
  ASSERT_OK(chmod(path, 0755)); /* the same file, executable: it runs */
  {
    weft_subprocess *p;
    int code = -1;
    ASSERT_OK(weft_subprocess_exec(argv, NULL, &p));
    ASSERT_OK(weft_subprocess_wait(p, &code));
    ASSERT_EQ(0, code);
    weft_subprocess_free(p);
  }
  unlink(path);
  return NULL;
}

TEST_IMPL(subprocess_error_not_executable) {
  ASSERT_OK(weft_test_run(eacces_main, NULL, NULL));
  return 0;
}

static void *cwd_main(void *arg) {
  const char *argv[] = {"pwd", NULL};
  weft_subprocess_opts o = {.stdout_mode = WEFT_SUBPROCESS_PIPE, .cwd = "/nonexistent-weft-dir"};

  (void)arg;
  expect_fail(argv, &o, -ENOENT, "cwd '/nonexistent-weft-dir'");
  o.cwd = "/etc/passwd"; /* not a directory */
  expect_fail(argv, &o, -ENOTDIR, "/etc/passwd");
  return NULL;
}

TEST_IMPL(subprocess_error_cwd) {
  ASSERT_OK(weft_test_run(cwd_main, NULL, NULL));
  return 0;
}

static void *bad_opts_main(void *arg) {
  const char *argv[] = {"true", NULL};
  const char *empty[] = {"", NULL};
  const char *none[] = {NULL};
  weft_subprocess *p;

  (void)arg;
  expect_fail(NULL, NULL, -EINVAL, "no program");
  expect_fail(none, NULL, -EINVAL, "no program");
  expect_fail(empty, NULL, -EINVAL, "no program");
  expect_fail(argv, &(weft_subprocess_opts){.stdin_mode = WEFT_SUBPROCESS_STDOUT}, -EINVAL, "true");
  expect_fail(argv, &(weft_subprocess_opts){.stdout_mode = WEFT_SUBPROCESS_STDOUT}, -EINVAL,
              "true");
  expect_fail(argv, &(weft_subprocess_opts){.stdout_mode = 99}, -EINVAL, "true");
  expect_fail(argv, &(weft_subprocess_opts){.stderr_mode = WEFT_SUBPROCESS_FD, .stderr_fd = -1},
              -EINVAL, "true");
  ASSERT_EQ(-EINVAL, weft_subprocess_shell(NULL, NULL, &p));
  ASSERT_NULL(p);
  ASSERT_EQ(-EINVAL, weft_subprocess_exec(argv, NULL, NULL));
  ASSERT_NULL(weft_subprocess_stdout(NULL));
  ASSERT_EQ(0, weft_subprocess_pid(NULL));
  ASSERT_EQ(0, weft_subprocess_returncode(NULL, NULL));
  weft_subprocess_free(NULL);
  return NULL;
}

TEST_IMPL(subprocess_error_bad_options) {
  ASSERT_OK(weft_test_run(bad_opts_main, NULL, NULL));
  return 0;
}

/* The failures above leave no child and no descriptor behind. */
static void *no_leak_main(void *arg) {
  const char *argv[] = {"weft-no-such-program", NULL};
  weft_subprocess_opts piped = {.stdin_mode = WEFT_SUBPROCESS_PIPE,
                                .stdout_mode = WEFT_SUBPROCESS_PIPE,
                                .stderr_mode = WEFT_SUBPROCESS_DEVNULL};
  weft_subprocess *p;
  int before = dup(0), after, st;

  (void)arg;
  close(before);
  for (int i = 0; i < 20; i++)
    ASSERT_EQ(-ENOENT, weft_subprocess_exec(argv, &piped, &p));
  ASSERT_OK(weft_sleep(0.05));
  after = dup(0);
  close(after);
  ASSERT_EQ(before, after);
  ASSERT(waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD);
  return NULL;
}

TEST_IMPL(subprocess_error_no_leak) {
  ASSERT_OK(weft_test_run(no_leak_main, NULL, NULL));
  return 0;
}

/* Outside any loop: -EINVAL. */
TEST_IMPL(subprocess_error_no_loop) {
  const char *argv[] = {"true", NULL};
  weft_subprocess *p;

  ASSERT_EQ(-EINVAL, weft_subprocess_exec(argv, NULL, &p));
  ASSERT_NOT_NULL(strstr(weft_subprocess_error(), "no current loop"));
  return 0;
}
