/*
 * Ctrl-C under weft_run: the first SIGINT cancels every task and weft_run
 * returns -ECANCELED once they have finished; a second one kills the process.
 * Each test runs weft_run in a child and signals it from here.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

static int notify_fd = -1; /* child -> parent: one byte per event */
static int sleepers_cancelled, sleepers_finished;

static void notify(char c) {
  ASSERT_EQ(1, write(notify_fd, &c, 1));
}

static void *sleeper(void *arg) {
  int rc = weft_sleep(30.0);

  (void)arg;
  if (rc == -ECANCELED)
    sleepers_cancelled++;
  sleepers_finished++;
  return NULL;
}

static void *sigint_main(void *arg) {
  int rc;

  (void)arg;
  for (int i = 0; i < 3; i++)
    ASSERT_OK(weft_spawn(NULL, sleeper, NULL, NULL));
  ASSERT_OK(weft_yield());
  notify('r'); /* ready: every task sleeps */
  rc = weft_sleep(30.0);
  ASSERT_EQ(-ECANCELED, rc);
  return weft_fail(rc, "interrupted");
}

/* Exit codes: 0 all good, 2 wrong code, 3 a task did not finish. */
static void sigint_child(void) {
  int rc = weft_test_run(sigint_main, NULL, NULL);

  if (rc != -ECANCELED)
    _exit(2);
  if (sleepers_cancelled != 3 || sleepers_finished != 3)
    _exit(3);
  _exit(0);
}

/* Fork a child running fn with notify_fd set; returns its pid, and the read
 * end of the notification pipe in *rfd. */
static pid_t start_child(void (*fn)(void), int *rfd) {
  int fds[2];
  pid_t pid;

  ASSERT_OK(pipe(fds));
  fflush(NULL);
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    notify_fd = fds[1];
    fn();
    _exit(1);
  }
  close(fds[1]);
  *rfd = fds[0];
  return pid;
}

static void expect_byte(int fd, char want) {
  char c = 0;

  ASSERT_EQ(1, read(fd, &c, 1));
  ASSERT_EQ(want, c);
}

/* waitpid with a deadline: the child is killed and the test fails if it
 * hangs. */
static int wait_child(pid_t pid) {
  struct timespec start, now;
  int status = 0;

  clock_gettime(CLOCK_MONOTONIC, &start);
  while (waitpid(pid, &status, WNOHANG) != pid) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= 8) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ASSERT(!"child did not exit");
    }
    usleep(1000);
  }
  return status;
}

TEST_IMPL(sigint_cancels_tasks_and_run_returns_ecanceled) {
  int rfd, status;
  pid_t pid = start_child(sigint_child, &rfd);

  expect_byte(rfd, 'r');
  ASSERT_OK(kill(pid, SIGINT));
  status = wait_child(pid);
  close(rfd);
  ASSERT(WIFEXITED(status));
  ASSERT_EQ(0, WEXITSTATUS(status));
  return 0;
}

/* A task that shields its cleanup and takes its time: shutdown is slow. */
static void *slow_cleanup(void *arg) {
  weft_scope shield;

  (void)arg;
  ASSERT_EQ(-ECANCELED, weft_sleep(30.0));
  ASSERT_OK(weft_shield_enter(&shield));
  notify('s'); /* the first SIGINT has been handled */
  ASSERT_OK(weft_sleep(30.0));
  ASSERT_OK(weft_shield_leave(&shield));
  return NULL;
}

static void *slow_main(void *arg) {
  (void)arg;
  ASSERT_OK(weft_spawn(NULL, slow_cleanup, NULL, NULL));
  ASSERT_OK(weft_yield());
  notify('r');
  ASSERT_EQ(-ECANCELED, weft_sleep(30.0));
  return NULL;
}

static void slow_child(void) {
  weft_run(slow_main, NULL, NULL);
  _exit(4); /* must not get here */
}

TEST_IMPL(sigint_second_signal_kills) {
  int rfd, status;
  pid_t pid = start_child(slow_child, &rfd);

  expect_byte(rfd, 'r');
  ASSERT_OK(kill(pid, SIGINT));
  expect_byte(rfd, 's');
  ASSERT_OK(kill(pid, SIGINT));
  status = wait_child(pid);
  close(rfd);
  ASSERT(WIFSIGNALED(status));
  ASSERT_EQ(SIGINT, WTERMSIG(status));
  return 0;
}
