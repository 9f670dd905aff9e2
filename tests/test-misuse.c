/*
 * Misuse of the core API: each gets a clear code (or, for a double release
 * in debug mode, a loud abort). Also home of the helpers the core tests share
 * for running code in a child process and capturing stderr.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

/* ---- helpers shared by the core tests -------------------------------- */

int core_test_child(void (*fn)(void *), void *arg, int *status, char *err, size_t errlen);
int core_test_capture_begin(FILE **tmp);
void core_test_capture_end(FILE *tmp, int saved, char *buf, size_t len);

static void read_all(FILE *f, char *buf, size_t len) {
  size_t n;

  rewind(f);
  n = fread(buf, 1, len - 1, f);
  buf[n] = '\0';
}

/* Redirect fd 2 to a temporary file; returns the saved fd 2. */
int core_test_capture_begin(FILE **tmp) {
  int saved;

  fflush(stderr);
  *tmp = tmpfile();
  ASSERT_NOT_NULL(*tmp);
  saved = dup(2);
  ASSERT_GE(saved, 0);
  ASSERT_EQ(2, dup2(fileno(*tmp), 2));
  return saved;
}

/* Restore fd 2 and return what was written to it in buf. */
void core_test_capture_end(FILE *tmp, int saved, char *buf, size_t len) {
  fflush(stderr);
  ASSERT_EQ(2, dup2(saved, 2));
  close(saved);
  read_all(tmp, buf, len);
  fclose(tmp);
}

/*
 * Run fn(arg) in a forked child whose stderr goes to a file; the child exits
 * 0 when fn returns. *status gets the wait status, err what the child wrote
 * on stderr. Returns 0, or -ETIMEDOUT (child killed) after 8 seconds.
 */
int core_test_child(void (*fn)(void *), void *arg, int *status, char *err, size_t errlen) {
  FILE *tmp = tmpfile();
  struct timespec start, now;
  pid_t pid;

  ASSERT_NOT_NULL(tmp);
  fflush(NULL);
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(fileno(tmp), 2);
    fn(arg);
    fflush(NULL);
    _exit(0);
  }
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (waitpid(pid, status, WNOHANG) != pid) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= 8) {
      kill(pid, SIGKILL);
      waitpid(pid, status, 0);
      fclose(tmp);
      return -ETIMEDOUT;
    }
    usleep(1000);
  }
  read_all(tmp, err, errlen);
  fclose(tmp);
  return 0;
}

/* ---- suspending outside a task --------------------------------------- */

static void *returns_arg(void *arg) {
  return arg;
}

static int cb_sleep_rc = 1, cb_yield_rc = 1;

static void suspend_in_callback(void *arg) {
  cb_sleep_rc = weft_sleep(0.01);
  cb_yield_rc = weft_yield();
  weft_loop_stop(arg);
}

TEST_IMPL(misuse_suspend_outside_task) {
  weft_loop *loop;
  weft_task *t;
  weft_future *f;
  weft_scope sc;
  void *res = NULL;

  ASSERT_EQ(-EPERM, weft_sleep(0.01));
  ASSERT_EQ(-EPERM, weft_yield());
  ASSERT_EQ(-EPERM, weft_timeout_enter(&sc, 1.0));
  ASSERT_EQ(-EPERM, weft_shield_enter(&sc));
  ASSERT_OK(weft_loop_new(&loop));
  ASSERT_OK(weft_spawn(&t, returns_arg, "x", &(weft_spawn_opts){.loop = loop}));
  ASSERT_OK(weft_future_new(&f, loop));
  ASSERT_EQ(-EPERM, weft_await(t, &res));
  ASSERT_EQ(-EPERM, weft_future_await(f, &res));
  /* A loop callback is not a task either. */
  ASSERT_OK(weft_call_soon(loop, suspend_in_callback, loop, NULL));
  ASSERT_OK(weft_loop_run_forever(loop));
  ASSERT_EQ(-EPERM, cb_sleep_rc);
  ASSERT_EQ(-EPERM, cb_yield_rc);
  ASSERT_OK(weft_loop_run_until_complete(loop, t, &res));
  ASSERT_STR_EQ("x", res);
  weft_task_release(t);
  weft_future_release(f);
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}

/* ---- awaiting oneself, another loop's task ----------------------------- */

static void *await_self(void *arg) {
  (void)arg;
  ASSERT_EQ(-EDEADLK, weft_await(weft_current_task(), NULL));
  ASSERT_EQ(-EDEADLK, weft_shield(weft_current_task(), NULL));
  return (void *)1;
}

TEST_IMPL(misuse_await_self) {
  void *res = NULL;

  ASSERT_OK(weft_test_run(await_self, NULL, &res));
  ASSERT_EQ(1, (long)res);
  return 0;
}

static void *await_foreign(void *arg) {
  weft_task *other = arg;
  weft_future *f;

  ASSERT_EQ(-EINVAL, weft_await(other, NULL));
  ASSERT_EQ(-EINVAL, weft_wait_for(other, 1.0, NULL));
  ASSERT_EQ(-EINVAL, weft_gather(&other, 1, 0, NULL, NULL));
  ASSERT_EQ(-EINVAL, weft_loop_run_until_complete(weft_loop_current(), other, NULL));
  /* A loop cannot run inside another loop's task. */
  ASSERT_EQ(-EBUSY, weft_loop_run_until_complete(weft_task_loop(other), other, NULL));
  ASSERT_OK(weft_future_new(&f, weft_task_loop(other)));
  ASSERT_EQ(-EINVAL, weft_future_await(f, NULL));
  weft_future_release(f);
  return NULL;
}

TEST_IMPL(misuse_await_task_of_other_loop) {
  weft_loop *loop2;
  weft_task *t2;
  void *res = NULL;

  ASSERT_OK(weft_loop_new(&loop2));
  ASSERT_OK(weft_spawn(&t2, returns_arg, "other", &(weft_spawn_opts){.loop = loop2}));
  ASSERT_OK(weft_test_run(await_foreign, t2, NULL));
  ASSERT_OK(weft_loop_run_until_complete(loop2, t2, &res));
  ASSERT_STR_EQ("other", res);
  weft_task_release(t2);
  ASSERT_OK(weft_loop_close(loop2));
  weft_loop_free(loop2);
  return 0;
}

/* ---- cancel, sleep and timeout arguments ------------------------------- */

static void *cancel_finished(void *arg) {
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, returns_arg, NULL, NULL));
  ASSERT_OK(weft_await(t, NULL));
  ASSERT_EQ(0, weft_task_cancel(t));
  ASSERT_STR_EQ("FINISHED", weft_task_state_name(t));
  ASSERT_EQ(0, weft_task_cancelled(t));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(misuse_cancel_finished_task_returns_zero) {
  ASSERT_OK(weft_test_run(cancel_finished, NULL, NULL));
  return 0;
}

static char sleep_order[8];
static int sleep_order_len;

static void *note_char(void *arg) {
  sleep_order[sleep_order_len++] = *(const char *)arg;
  return NULL;
}

static void *negative_sleep(void *arg) {
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, note_char, "b", NULL));
  /* A negative sleep is a yield: the ready task runs before we resume. */
  ASSERT_OK(weft_sleep(-1.0));
  sleep_order[sleep_order_len++] = 'a';
  ASSERT_STR_EQ("ba", sleep_order);
  ASSERT_OK(weft_sleep(0));
  ASSERT_OK(weft_sleep(-INFINITY));
  ASSERT_EQ(-EINVAL, weft_sleep(NAN));
  ASSERT(weft_task_done(t));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(misuse_sleep_negative_yields_nan_einval) {
  ASSERT_OK(weft_test_run(negative_sleep, NULL, NULL));
  return 0;
}

static void *bad_timeouts(void *arg) {
  weft_scope sc;
  weft_task *t;

  (void)arg;
  ASSERT_EQ(-EINVAL, weft_timeout_enter(&sc, NAN));
  ASSERT_EQ(-EINVAL, weft_timeout_enter(&sc, -0.5));
  ASSERT_EQ(-EINVAL, weft_timeout_enter_at(&sc, NAN));
  ASSERT_OK(weft_spawn(&t, returns_arg, "r", NULL));
  ASSERT_EQ(-EINVAL, weft_wait_for(t, NAN, NULL));
  ASSERT_EQ(-EINVAL, weft_wait_for(t, -1.0, NULL));
  /* Nothing was left open by the refused calls: a real scope still works. */
  ASSERT_OK(weft_timeout_enter(&sc, 5.0));
  ASSERT_OK(weft_await(t, NULL));
  ASSERT_OK(weft_timeout_leave(&sc));
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(misuse_timeout_nan_or_negative_einval) {
  ASSERT_OK(weft_test_run(bad_timeouts, NULL, NULL));
  return 0;
}

/* ---- spawning -------------------------------------------------------- */

static void *bad_spawns(void *arg) {
  weft_task *t = NULL;
  void *res = NULL;

  (void)arg;
  ASSERT_EQ(-EINVAL, weft_spawn(&t, returns_arg, NULL,
                                &(weft_spawn_opts){.stack_size = WEFT_STACK_MIN - 1}));
  ASSERT_NULL(t);
  ASSERT_EQ(-EINVAL, weft_spawn(&t, NULL, NULL, NULL));
  ASSERT_NULL(t);
  weft_set_default_stack_size(WEFT_STACK_MIN - 1); /* ignored */
  ASSERT_EQ(WEFT_STACK_DEFAULT, weft_default_stack_size());
  ASSERT_OK(weft_spawn(&t, returns_arg, "min", &(weft_spawn_opts){.stack_size = WEFT_STACK_MIN}));
  ASSERT_GE(weft_task_stack_size(t), WEFT_STACK_MIN);
  ASSERT_OK(weft_await(t, &res));
  ASSERT_STR_EQ("min", res);
  weft_task_release(t);
  return NULL;
}

TEST_IMPL(misuse_spawn_bad_arguments) {
  ASSERT_OK(weft_test_run(bad_spawns, NULL, NULL));
  return 0;
}

TEST_IMPL(misuse_closed_or_missing_loop) {
  weft_loop *loop;
  weft_task *t = NULL;
  weft_future *f = NULL;

  ASSERT_NULL(weft_loop_current());
  ASSERT_EQ(-EINVAL, weft_spawn(&t, returns_arg, NULL, NULL)); /* no loop */
  ASSERT_EQ(-EINVAL, weft_future_new(&f, NULL));
  ASSERT_OK(weft_loop_new(&loop));
  ASSERT_OK(weft_loop_close(loop));
  ASSERT_EQ(-EINVAL, weft_spawn(&t, returns_arg, NULL, &(weft_spawn_opts){.loop = loop}));
  ASSERT_EQ(-EINVAL, weft_future_new(&f, loop));
  ASSERT_NULL(t);
  ASSERT_NULL(f);
  weft_loop_free(loop);
  return 0;
}

/* ---- double release in debug mode ------------------------------------ */

static void *release_twice(void *arg) {
  weft_task *t;

  (void)arg;
  ASSERT_OK(weft_spawn(&t, returns_arg, NULL, &(weft_spawn_opts){.name = "twice"}));
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  weft_task_release(t); /* must abort */
  return NULL;
}

static void double_release_child(void *arg) {
  (void)arg;
  setenv("WEFT_DEBUG", "1", 1);
  weft_run(release_twice, NULL, NULL);
  fprintf(stderr, "survived\n");
}

TEST_IMPL(misuse_double_release_aborts_in_debug) {
  char err[4096];
  int status;

  ASSERT_OK(core_test_child(double_release_child, NULL, &status, err, sizeof(err)));
  ASSERT(WIFSIGNALED(status));
  ASSERT_EQ(SIGABRT, WTERMSIG(status));
  ASSERT_NOT_NULL(strstr(err, "released task 'twice'"));
  ASSERT_NULL(strstr(err, "survived"));
  return 0;
}
