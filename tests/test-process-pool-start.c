/* weft_pool_new returns once its children are up: every initializer has
 * run; a child that dies before it is ready does not hold it up (nor do
 * its replacements); a caller that gives up gets its error and no child
 * is left behind. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

static void assert_no_children(void) {
  int st;

  ASSERT_EQ(-1, waitpid(-1, &st, WNOHANG));
  ASSERT_EQ(ECHILD, errno);
}

static void say_ready(void *arg) {
  int fd = *(int *)arg;
  char c = 'r';

  ASSERT_EQ(1, write(fd, &c, 1));
}

static void *ready_main(void *arg) {
  int fds[2], n = 0;
  char buf[8];
  weft_pool *p;

  (void)arg;
  ASSERT_OK(pipe2(fds, O_NONBLOCK));
  ASSERT_OK(weft_pool_new(
      &p, &(weft_pool_opts){.processes = 3, .initializer = say_ready, .initarg = &fds[1]}));
  /* no waiting here: every child's initializer has already run */
  for (ssize_t r; (r = read(fds[0], buf, sizeof buf)) > 0;)
    n += (int)r;
  ASSERT_EQ(3, n);
  ASSERT_OK(weft_pool_close(p));
  ASSERT_OK(weft_pool_join(p));
  weft_pool_free(p);
  close(fds[0]);
  close(fds[1]);
  assert_no_children();
  return NULL;
}

TEST_IMPL(process_pool_new_waits_for_children) {
  ASSERT_OK(weft_test_run(ready_main, NULL, NULL));
  return 0;
}

static void die_at_start(void *arg) {
  (void)arg;
  _exit(5);
}

static void *dies_main(void *arg) {
  weft_pool *p;

  (void)arg;
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 2, .initializer = die_at_start}));
  ASSERT_OK(weft_pool_terminate(p));
  ASSERT_OK(weft_pool_join(p));
  weft_pool_free(p);
  assert_no_children();
  return NULL;
}

TEST_IMPL(process_pool_new_child_dies_at_start) {
  ASSERT_OK(weft_test_run(dies_main, NULL, NULL));
  return 0;
}

static void sleep_at_start(void *arg) {
  (void)arg;
  sleep(30);
}

static void *gives_up_main(void *arg) {
  weft_pool *p = NULL;
  weft_scope scope;

  (void)arg;
  ASSERT_OK(weft_timeout_enter(&scope, 0.05));
  ASSERT_EQ(-ETIMEDOUT,
            weft_pool_new(&p, &(weft_pool_opts){.processes = 2, .initializer = sleep_at_start}));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&scope));
  ASSERT_NULL(p);
  assert_no_children();
  return NULL;
}

TEST_IMPL(process_pool_new_caller_gives_up) {
  ASSERT_OK(weft_test_run(gives_up_main, NULL, NULL));
  return 0;
}
