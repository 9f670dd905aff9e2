/*
 * Subprocesses: exec and shell forms, each stdio mode, stderr to stdout,
 * environment, working directory, new session, line iteration, limits.
 */
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "test.h"

#define PIPE_OUT (&(weft_subprocess_opts){.stdout_mode = WEFT_SUBPROCESS_PIPE})

/* Everything a child prints on stdout, then its return code. */
static char *run_out(const char *const *argv, const weft_subprocess_opts *o, int *code) {
  weft_subprocess *p;
  char *out;
  size_t len;

  ASSERT_OK(weft_subprocess_exec(argv, o, &p));
  ASSERT_OK(weft_subprocess_communicate(p, NULL, 0, &out, &len, NULL, NULL));
  ASSERT_EQ(strlen(out), len);
  ASSERT_EQ(1, weft_subprocess_returncode(p, code));
  weft_subprocess_free(p);
  return out;
}

static void expect_out(const char *const *argv, const weft_subprocess_opts *o, const char *want) {
  int code = -1;
  char *out = run_out(argv, o, &code);

  ASSERT_STR_EQ(want, out);
  ASSERT_EQ(0, code);
  weft_free(out);
}

static void *exec_main(void *arg) {
  const char *argv[] = {"printf", "a\\nb\\n", NULL};
  weft_subprocess *p;
  char *out;
  size_t len;
  int code = -1;

  (void)arg;
  ASSERT_OK(weft_subprocess_exec(argv, PIPE_OUT, &p));
  ASSERT_GT(weft_subprocess_pid(p), 0);
  ASSERT_NULL(weft_subprocess_stdin(p));
  ASSERT_NULL(weft_subprocess_stderr(p));
  ASSERT_NOT_NULL(weft_subprocess_stdout(p));
  ASSERT_OK(weft_stream_read_all(weft_subprocess_stdout(p), &out, &len));
  ASSERT_STR_EQ("a\nb\n", out);
  weft_free(out);
  ASSERT_OK(weft_subprocess_wait(p, &code));
  ASSERT_EQ(0, code);
  ASSERT_OK(weft_subprocess_wait(p, &code)); /* again: at once */
  ASSERT_EQ(-ESRCH, weft_subprocess_send_signal(p, SIGTERM));
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_exec_stdout) {
  ASSERT_OK(weft_test_run(exec_main, NULL, NULL));
  return 0;
}

static void *shell_main(void *arg) {
  weft_subprocess_opts o = {.stdout_mode = WEFT_SUBPROCESS_PIPE,
                            .stderr_mode = WEFT_SUBPROCESS_PIPE};
  weft_subprocess *p;
  char *out, *err;
  size_t olen, elen;
  int code = 0;

  (void)arg;
  ASSERT_OK(weft_subprocess_shell("echo out; echo err >&2; exit 3", &o, &p));
  ASSERT_EQ(0, weft_subprocess_returncode(p, &code));
  ASSERT_OK(weft_subprocess_communicate(p, NULL, 0, &out, &olen, &err, &elen));
  ASSERT_STR_EQ("out\n", out);
  ASSERT_STR_EQ("err\n", err);
  ASSERT_EQ(4, olen);
  ASSERT_EQ(4, elen);
  ASSERT_EQ(1, weft_subprocess_returncode(p, &code));
  ASSERT_EQ(3, code);
  weft_free(out);
  weft_free(err);
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_shell) {
  ASSERT_OK(weft_test_run(shell_main, NULL, NULL));
  return 0;
}

static void *stdin_main(void *arg) {
  const char *argv[] = {"cat", NULL};
  weft_subprocess_opts o = {.stdin_mode = WEFT_SUBPROCESS_PIPE,
                            .stdout_mode = WEFT_SUBPROCESS_PIPE};
  weft_subprocess *p;
  const char *line;
  size_t len;

  (void)arg;
  ASSERT_OK(weft_subprocess_exec(argv, &o, &p));
  for (int i = 0; i < 3; i++) { /* a conversation: one line in, one line out */
    char want[32];
    snprintf(want, sizeof want, "line %d\n", i);
    ASSERT_OK(weft_stream_write_str(weft_subprocess_stdin(p), want));
    ASSERT_OK(weft_stream_drain(weft_subprocess_stdin(p)));
    ASSERT_OK(weft_stream_read_line(weft_subprocess_stdout(p), &line, &len));
    ASSERT_EQ(strlen(want), len);
    ASSERT_OK(memcmp(want, line, len));
  }
  weft_stream_close(weft_subprocess_stdin(p)); /* cat sees end of file */
  ASSERT_EQ(0, weft_stream_next_line(weft_subprocess_stdout(p), &line, &len));
  ASSERT_OK(weft_subprocess_wait(p, NULL));
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_stdin_pipe) {
  ASSERT_OK(weft_test_run(stdin_main, NULL, NULL));
  return 0;
}

static void *devnull_main(void *arg) {
  const char *cat[] = {"cat", NULL};
  const char *echo[] = {"echo", "lost", NULL};
  weft_subprocess_opts in_null = {.stdin_mode = WEFT_SUBPROCESS_DEVNULL,
                                  .stdout_mode = WEFT_SUBPROCESS_PIPE};
  weft_subprocess_opts out_null = {.stdout_mode = WEFT_SUBPROCESS_DEVNULL};
  weft_subprocess *p;
  char *out = (char *)1;
  int code = -1;

  (void)arg;
  expect_out(cat, &in_null, ""); /* end of file at once */
  ASSERT_OK(weft_subprocess_exec(echo, &out_null, &p));
  ASSERT_NULL(weft_subprocess_stdout(p));
  ASSERT_OK(weft_subprocess_communicate(p, NULL, 0, &out, NULL, NULL, NULL));
  ASSERT_NULL(out);
  ASSERT_EQ(1, weft_subprocess_returncode(p, &code));
  ASSERT_EQ(0, code);
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_devnull) {
  ASSERT_OK(weft_test_run(devnull_main, NULL, NULL));
  return 0;
}

static void *fd_main(void *arg) {
  const char *argv[] = {"echo", "via fd", NULL};
  weft_subprocess *p;
  char buf[64] = {0};
  int fds[2];

  (void)arg;
  ASSERT_OK(pipe(fds));
  ASSERT_OK(weft_subprocess_exec(
      argv, &(weft_subprocess_opts){.stdout_mode = WEFT_SUBPROCESS_FD, .stdout_fd = fds[1]}, &p));
  close(fds[1]); /* the child has its own copy */
  ASSERT_OK(weft_subprocess_wait(p, NULL));
  ASSERT_EQ(7, read(fds[0], buf, sizeof buf - 1));
  ASSERT_STR_EQ("via fd\n", buf);
  close(fds[0]);
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_fd) {
  ASSERT_OK(weft_test_run(fd_main, NULL, NULL));
  return 0;
}

/* Inherit: the child writes to the parent's own fd 1 (a pipe here). */
static void *inherit_main(void *arg) {
  const char *argv[] = {"echo", "inherited", NULL};
  weft_subprocess *p;
  char buf[64] = {0};
  int fds[2], saved = dup(1);

  (void)arg;
  ASSERT_OK(pipe(fds));
  ASSERT_EQ(1, dup2(fds[1], 1));
  ASSERT_OK(weft_subprocess_exec(argv, NULL, &p));
  ASSERT_EQ(1, dup2(saved, 1));
  close(saved);
  close(fds[1]);
  ASSERT_NULL(weft_subprocess_stdout(p));
  ASSERT_OK(weft_subprocess_wait(p, NULL));
  ASSERT_EQ(10, read(fds[0], buf, sizeof buf - 1));
  ASSERT_STR_EQ("inherited\n", buf);
  close(fds[0]);
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_inherit) {
  ASSERT_OK(weft_test_run(inherit_main, NULL, NULL));
  return 0;
}

static void *stderr_main(void *arg) {
  weft_subprocess_opts o = {.stdout_mode = WEFT_SUBPROCESS_PIPE,
                            .stderr_mode = WEFT_SUBPROCESS_STDOUT};
  weft_subprocess *p;
  char *out, *err = (char *)1;

  (void)arg;
  ASSERT_OK(weft_subprocess_shell("echo one; echo two >&2; echo three", &o, &p));
  ASSERT_NULL(weft_subprocess_stderr(p));
  ASSERT_OK(weft_subprocess_communicate(p, NULL, 0, &out, NULL, &err, NULL));
  ASSERT_STR_EQ("one\ntwo\nthree\n", out);
  ASSERT_NULL(err);
  weft_free(out);
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_stderr_to_stdout) {
  ASSERT_OK(weft_test_run(stderr_main, NULL, NULL));
  return 0;
}

static void *env_main(void *arg) {
  const char *env_argv[] = {"/usr/bin/env", NULL};
  const char *sh_argv[] = {"/bin/sh", "-c", "echo \"$WEFT_SP_KEEP $WEFT_SP_NEW ${PATH:+path}\"",
                           NULL};
  const char *only[] = {"FOO=bar", "X=1 2", NULL};
  const char *more[] = {"WEFT_SP_NEW=2", "WEFT_SP_KEEP=3", NULL};
  weft_subprocess_opts o = {.stdout_mode = WEFT_SUBPROCESS_PIPE, .env = only};

  (void)arg;
  expect_out(env_argv, &o, "FOO=bar\nX=1 2\n"); /* replaced: nothing else */
  setenv("WEFT_SP_KEEP", "1", 1);
  expect_out(sh_argv, PIPE_OUT, "1  path\n"); /* the parent's */
  o.env = more;
  o.env_extend = 1;
  expect_out(sh_argv, &o, "3 2 path\n"); /* extended, one overridden */
  return NULL;
}

TEST_IMPL(subprocess_env) {
  ASSERT_OK(weft_test_run(env_main, NULL, NULL));
  return 0;
}

static void *cwd_main(void *arg) {
  const char *argv[] = {"pwd", NULL};
  weft_subprocess_opts o = {.stdout_mode = WEFT_SUBPROCESS_PIPE, .cwd = "/"};

  (void)arg;
  expect_out(argv, &o, "/\n");
  o.cwd = "/usr/bin";
  expect_out(argv, &o, "/usr/bin\n");
  return NULL;
}

TEST_IMPL(subprocess_cwd) {
  ASSERT_OK(weft_test_run(cwd_main, NULL, NULL));
  return 0;
}

/* pgrp and session of the child, from its /proc/self/stat. */
static void child_ids(int new_session, long *pid, long *pgrp, long *sid) {
  const char *argv[] = {"cat", "/proc/self/stat", NULL};
  weft_subprocess_opts o = {.stdout_mode = WEFT_SUBPROCESS_PIPE, .new_session = new_session};
  weft_subprocess *p;
  char *out, *rest;

  ASSERT_OK(weft_subprocess_exec(argv, &o, &p));
  ASSERT_OK(weft_subprocess_communicate(p, NULL, 0, &out, NULL, NULL, NULL));
  *pid = weft_subprocess_pid(p);
  ASSERT_NOT_NULL(rest = strrchr(out, ')'));
  ASSERT_EQ(2, sscanf(rest + 2, "%*c %*d %ld %ld", pgrp, sid));
  weft_free(out);
  weft_subprocess_free(p);
}

static void *session_main(void *arg) {
  long pid, pgrp, sid;

  (void)arg;
  child_ids(1, &pid, &pgrp, &sid);
  ASSERT_EQ(pid, pgrp);
  ASSERT_EQ(pid, sid);
  child_ids(0, &pid, &pgrp, &sid);
  ASSERT_EQ((long)getpgrp(), pgrp);
  ASSERT_EQ((long)getsid(0), sid);
  return NULL;
}

TEST_IMPL(subprocess_new_session) {
  ASSERT_OK(weft_test_run(session_main, NULL, NULL));
  return 0;
}

/* killpg reaches the child's own children. */
static void *killpg_main(void *arg) {
  weft_subprocess_opts o = {.stdout_mode = WEFT_SUBPROCESS_PIPE, .new_session = 1};
  weft_subprocess *p;
  const char *line;
  size_t len;
  int code = 0;

  (void)arg;
  ASSERT_OK(weft_subprocess_shell("sleep 30 & echo started; wait", &o, &p));
  ASSERT_OK(weft_stream_read_line(weft_subprocess_stdout(p), &line, &len));
  ASSERT_OK(weft_subprocess_killpg(p, SIGKILL));
  ASSERT_OK(weft_subprocess_wait(p, &code));
  ASSERT_EQ(-SIGKILL, code);
  /* the stdout pipe closes only when sleep, which shares it, is gone too */
  ASSERT_EQ(0, weft_stream_next_line(weft_subprocess_stdout(p), &line, &len));
  ASSERT_EQ(-ESRCH, weft_subprocess_killpg(p, SIGKILL));
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_killpg) {
  ASSERT_OK(weft_test_run(killpg_main, NULL, NULL));
  return 0;
}

static void *lines_main(void *arg) {
  const char *argv[] = {"seq", "1000", NULL};
  weft_subprocess *p;
  const char *line;
  size_t len;
  long n = 0, sum = 0;
  int rc;

  (void)arg;
  ASSERT_OK(weft_subprocess_exec(argv, PIPE_OUT, &p));
  while ((rc = weft_stream_next_line(weft_subprocess_stdout(p), &line, &len)) > 0) {
    ASSERT_EQ('\n', line[len - 1]);
    sum += strtol(line, NULL, 10);
    n++;
  }
  ASSERT_EQ(0, rc);
  ASSERT_EQ(1000, n);
  ASSERT_EQ(500500, sum);
  ASSERT_OK(weft_subprocess_wait(p, NULL));
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_lines) {
  ASSERT_OK(weft_test_run(lines_main, NULL, NULL));
  return 0;
}

static void *limit_main(void *arg) {
  weft_subprocess_opts o = {.stdout_mode = WEFT_SUBPROCESS_PIPE, .limit = 16};
  weft_subprocess *p;
  const char *line;
  size_t len;

  (void)arg;
  ASSERT_OK(weft_subprocess_shell("printf '%040d\\nshort\\n' 0", &o, &p));
  ASSERT_EQ(16, weft_stream_limit(weft_subprocess_stdout(p)));
  ASSERT_EQ(-ENOBUFS, weft_stream_read_line(weft_subprocess_stdout(p), &line, &len));
  ASSERT_OK(weft_subprocess_wait(p, NULL));
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_limit) {
  ASSERT_OK(weft_test_run(limit_main, NULL, NULL));
  return 0;
}
