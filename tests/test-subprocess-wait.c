/*
 * Subprocesses: return codes, signals, cancellation and timeouts of wait
 * and communicate (the child is not killed), many children at once, and
 * children left running when freed or at loop close.
 */
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "test.h"

static int exit_code_of(const char *cmd) {
  weft_subprocess *p;
  int code = 12345;

  ASSERT_OK(weft_subprocess_shell(cmd, NULL, &p));
  ASSERT_OK(weft_subprocess_wait(p, &code));
  weft_subprocess_free(p);
  return code;
}

static void *codes_main(void *arg) {
  (void)arg;
  ASSERT_EQ(0, exit_code_of("exit 0"));
  ASSERT_EQ(3, exit_code_of("exit 3"));
  ASSERT_EQ(255, exit_code_of("exit 255"));
  ASSERT_EQ(-SIGKILL, exit_code_of("kill -KILL $$"));
  ASSERT_EQ(-SIGTERM, exit_code_of("kill -TERM $$"));
  return NULL;
}

TEST_IMPL(subprocess_wait_codes) {
  ASSERT_OK(weft_test_run(codes_main, NULL, NULL));
  return 0;
}

static void *signals_main(void *arg) {
  const char *sleep_argv[] = {"sleep", "30", NULL};
  weft_subprocess *p;
  int code = 0;

  (void)arg;
  ASSERT_OK(weft_subprocess_exec(sleep_argv, NULL, &p));
  ASSERT_OK(weft_subprocess_kill(p));
  ASSERT_OK(weft_subprocess_wait(p, &code));
  ASSERT_EQ(-SIGKILL, code);
  ASSERT_EQ(-ESRCH, weft_subprocess_kill(p));
  weft_subprocess_free(p);

  ASSERT_OK(weft_subprocess_exec(sleep_argv, NULL, &p));
  ASSERT_OK(weft_subprocess_terminate(p));
  ASSERT_OK(weft_subprocess_wait(p, &code));
  ASSERT_EQ(-SIGTERM, code);
  ASSERT_EQ(-EINVAL, weft_subprocess_send_signal(p, -1));
  ASSERT_EQ(-EINVAL, weft_subprocess_send_signal(NULL, SIGTERM));
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_kill_terminate) {
  ASSERT_OK(weft_test_run(signals_main, NULL, NULL));
  return 0;
}

/* send_signal: the child's trap runs and decides the exit code. */
static void *send_signal_main(void *arg) {
  weft_subprocess_opts o = {.stdout_mode = WEFT_SUBPROCESS_PIPE};
  weft_subprocess *p;
  const char *line;
  size_t len;
  int code = 0;

  (void)arg;
  ASSERT_OK(weft_subprocess_shell(
      "trap 'echo got usr1; exit 7' USR1; echo ready; while :; do sleep 0.05; done", &o, &p));
  ASSERT_OK(weft_stream_read_line(weft_subprocess_stdout(p), &line, &len));
  ASSERT_OK(strncmp("ready\n", line, len));
  ASSERT_OK(weft_subprocess_send_signal(p, SIGUSR1));
  ASSERT_OK(weft_stream_read_line(weft_subprocess_stdout(p), &line, &len));
  ASSERT_OK(strncmp("got usr1\n", line, len));
  ASSERT_OK(weft_subprocess_wait(p, &code));
  ASSERT_EQ(7, code);
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_send_signal) {
  ASSERT_OK(weft_test_run(send_signal_main, NULL, NULL));
  return 0;
}

static int alive(pid_t pid) {
  return kill(pid, 0) == 0;
}

/* A timeout scope around wait: -ETIMEDOUT, the child goes on. */
static void *wait_timeout_main(void *arg) {
  const char *argv[] = {"sleep", "0.5", NULL};
  weft_subprocess *p;
  weft_scope sc;
  int code = -1;

  (void)arg;
  ASSERT_OK(weft_subprocess_exec(argv, NULL, &p));
  ASSERT_OK(weft_timeout_enter(&sc, 0.05));
  ASSERT_EQ(-ETIMEDOUT, weft_subprocess_wait(p, &code));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_EQ(-1, code);
  ASSERT_EQ(0, weft_subprocess_returncode(p, &code));
  ASSERT(alive(weft_subprocess_pid(p)));
  ASSERT_OK(weft_subprocess_wait(p, &code)); /* later: it ends normally */
  ASSERT_EQ(0, code);
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_wait_timeout) {
  ASSERT_OK(weft_test_run(wait_timeout_main, NULL, NULL));
  return 0;
}

static void *waiter(void *arg) {
  int code;
  int rc = weft_subprocess_wait(arg, &code);

  return rc ? weft_fail(rc, "wait") : (void *)(intptr_t)code;
}

/* Cancelling tasks that wait: the child goes on; other waiters see it end. */
static void *wait_cancel_main(void *arg) {
  const char *argv[] = {"sleep", "0.3", NULL};
  weft_subprocess *p;
  weft_task *a, *b;
  void *res;

  (void)arg;
  ASSERT_OK(weft_subprocess_exec(argv, NULL, &p));
  ASSERT_OK(weft_spawn(&a, waiter, p, NULL));
  ASSERT_OK(weft_spawn(&b, waiter, p, NULL));
  ASSERT_OK(weft_sleep(0.05));
  ASSERT_EQ(1, weft_task_cancel(a));
  ASSERT_EQ(-ECANCELED, weft_await(a, NULL));
  ASSERT(alive(weft_subprocess_pid(p)));
  ASSERT_EQ(0, weft_subprocess_returncode(p, NULL));
  ASSERT_OK(weft_await(b, &res));
  ASSERT_EQ(0, (intptr_t)res);
  weft_task_release(a);
  weft_task_release(b);
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_wait_cancel) {
  ASSERT_OK(weft_test_run(wait_cancel_main, NULL, NULL));
  return 0;
}

/* communicate timed out: nothing is lost, the child is not killed, and a
 * second communicate returns everything. */
static void *communicate_timeout_main(void *arg) {
  weft_subprocess_opts o = {.stdout_mode = WEFT_SUBPROCESS_PIPE,
                            .stderr_mode = WEFT_SUBPROCESS_PIPE};
  weft_subprocess *p;
  weft_scope sc;
  char *out = (char *)1, *err;
  int code = -1;

  (void)arg;
  ASSERT_OK(weft_subprocess_shell("echo start; echo e1 >&2; sleep 0.4; echo end", &o, &p));
  ASSERT_OK(weft_timeout_enter(&sc, 0.15));
  ASSERT_EQ(-ETIMEDOUT, weft_subprocess_communicate(p, NULL, 0, &out, NULL, &err, NULL));
  weft_timeout_leave(&sc);
  ASSERT_NULL(out);
  ASSERT_EQ(0, weft_subprocess_returncode(p, NULL));
  ASSERT(alive(weft_subprocess_pid(p)));
  ASSERT_OK(weft_subprocess_communicate(p, NULL, 0, &out, NULL, &err, NULL));
  ASSERT_STR_EQ("start\nend\n", out);
  ASSERT_STR_EQ("e1\n", err);
  ASSERT_EQ(1, weft_subprocess_returncode(p, &code));
  ASSERT_EQ(0, code);
  weft_free(out);
  weft_free(err);
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_communicate_timeout) {
  ASSERT_OK(weft_test_run(communicate_timeout_main, NULL, NULL));
  return 0;
}

static void *communicator(void *arg) {
  char *out;
  int rc = weft_subprocess_communicate(arg, NULL, 0, &out, NULL, NULL, NULL);

  if (rc)
    return weft_fail(rc, "communicate");
  weft_free(out);
  return NULL;
}

static void *communicate_cancel_main(void *arg) {
  weft_subprocess *p;
  weft_task *t;
  char *out;
  int code = -1;

  (void)arg;
  ASSERT_OK(weft_subprocess_shell("echo a; sleep 0.3; echo b; exit 4",
                                  &(weft_subprocess_opts){.stdout_mode = WEFT_SUBPROCESS_PIPE},
                                  &p));
  ASSERT_OK(weft_spawn(&t, communicator, p, NULL));
  ASSERT_OK(weft_sleep(0.1));
  TORTURE_EXIT_UNLESS(!weft_task_done(t)); /* ended early: an allocation failed */
  ASSERT_EQ(1, weft_task_cancel(t));
  ASSERT_EQ(-ECANCELED, weft_await(t, NULL));
  weft_task_release(t);
  ASSERT(alive(weft_subprocess_pid(p)));
  ASSERT_OK(weft_subprocess_communicate(p, NULL, 0, &out, NULL, NULL, NULL));
  ASSERT_STR_EQ("a\nb\n", out);
  ASSERT_EQ(1, weft_subprocess_returncode(p, &code));
  ASSERT_EQ(4, code);
  weft_free(out);
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_communicate_cancel) {
  ASSERT_OK(weft_test_run(communicate_cancel_main, NULL, NULL));
  return 0;
}

#define MANY 50

static void *many_main(void *arg) {
  const char *argv[] = {"true", NULL};
  weft_subprocess *p[MANY];
  int code;

  (void)arg;
  for (int i = 0; i < MANY; i++)
    ASSERT_OK(weft_subprocess_exec(argv, NULL, &p[i]));
  for (int i = MANY - 1; i >= 0; i--) {
    code = -1;
    ASSERT_OK(weft_subprocess_wait(p[i], &code));
    ASSERT_EQ(0, code);
    weft_subprocess_free(p[i]);
  }
  return NULL;
}

TEST_IMPL(subprocess_many) {
  ASSERT_OK(weft_test_run(many_main, NULL, NULL));
  return 0;
}

/* Tasks each running a child that echoes its number back. */
static void *echo_task(void *arg) {
  char cmd[64], want[32], *out;
  weft_subprocess *p;
  int i = (int)(intptr_t)arg, rc;

  snprintf(cmd, sizeof cmd, "echo %d; exit %d", i, i % 5);
  snprintf(want, sizeof want, "%d\n", i);
  rc = weft_subprocess_shell(cmd, &(weft_subprocess_opts){.stdout_mode = WEFT_SUBPROCESS_PIPE}, &p);
  if (rc)
    return weft_fail(rc, "%s", weft_subprocess_error());
  ASSERT_OK(weft_subprocess_communicate(p, NULL, 0, &out, NULL, NULL, NULL));
  ASSERT_STR_EQ(want, out);
  ASSERT_EQ(1, weft_subprocess_returncode(p, &rc));
  ASSERT_EQ(i % 5, rc);
  weft_free(out);
  weft_subprocess_free(p);
  return NULL;
}

static void *many_tasks_main(void *arg) {
  weft_task *t[MANY];

  (void)arg;
  for (int i = 0; i < MANY; i++)
    ASSERT_OK(weft_spawn(&t[i], echo_task, (void *)(intptr_t)i, NULL));
  ASSERT_OK(weft_gather(t, MANY, 0, NULL, NULL));
  for (int i = 0; i < MANY; i++)
    weft_task_release(t[i]);
  return NULL;
}

TEST_IMPL(subprocess_many_tasks) {
  ASSERT_OK(weft_test_run(many_tasks_main, NULL, NULL));
  return 0;
}

/* Freed while running: the child goes on, and is reaped once it exits. */
static void *free_running_main(void *arg) {
  const char *argv[] = {"sleep", "30", NULL};
  weft_subprocess *p;
  pid_t pid;
  int i;

  (void)arg;
  ASSERT_OK(weft_subprocess_exec(argv, NULL, &p));
  pid = weft_subprocess_pid(p);
  weft_subprocess_free(p);
  ASSERT_OK(weft_sleep(0.05));
  ASSERT(alive(pid));
  ASSERT_OK(kill(pid, SIGKILL));
  for (i = 0; i < 1000 && alive(pid); i++) /* a zombie would stay "alive" */
    ASSERT_OK(weft_sleep(0.005));
  ASSERT(!alive(pid));
  return NULL;
}

TEST_IMPL(subprocess_free_running) {
  ASSERT_OK(weft_test_run(free_running_main, NULL, NULL));
  return 0;
}

static pid_t left_pid;

static void *leave_running_main(void *arg) {
  const char *argv[] = {"sleep", "30", NULL};
  weft_subprocess *p;

  (void)arg;
  ASSERT_OK(weft_subprocess_exec(argv, NULL, &p));
  left_pid = weft_subprocess_pid(p);
  weft_subprocess_free(p);
  return NULL;
}

/* The loop closes with a child still running: a line on stderr names it,
 * the child goes on, nothing leaks. */
TEST_IMPL(subprocess_running_at_loop_close) {
  char path[] = "/tmp/weft-sp-stderrXXXXXX", buf[512] = {0}, want[128];
  int fd = mkstemp(path), saved = dup(2);

  ASSERT_GE(fd, 0);
  unlink(path);
  ASSERT_EQ(2, dup2(fd, 2));
  ASSERT_OK(weft_run(leave_running_main, NULL, NULL));
  ASSERT_EQ(2, dup2(saved, 2));
  ASSERT_GT(pread(fd, buf, sizeof buf - 1, 0), 0);
  snprintf(want, sizeof want, "weft: subprocess %d (sleep) still running at loop close",
           (int)left_pid);
  ASSERT_NOT_NULL(strstr(buf, want));
  ASSERT(alive(left_pid));
  ASSERT_OK(kill(left_pid, SIGKILL));
  ASSERT_EQ(0, weft_test_live_allocations());
  close(fd);
  close(saved);
  return 0;
}
