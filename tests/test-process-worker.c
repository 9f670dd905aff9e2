/* Process and Worker: exit statuses, results, errors, termination. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

static void assert_no_children(void) {
  int st;

  ASSERT(waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD);
}

static void *exit3(const weft_buf *arg, weft_buf *out) {
  (void)arg;
  (void)out;
  exit(3);
}

static void *exit3_main(void *arg) {
  weft_process *p;
  weft_pool_result res;
  int code = 0;

  (void)arg;
  ASSERT_OK(weft_process_start(&p, exit3, NULL));
  ASSERT_GT(weft_process_pid(p), 0);
  ASSERT_OK(weft_process_join(p, &code));
  ASSERT_EQ(3, code);
  ASSERT_EQ(WEFT_POOL_WORKER_DIED, weft_process_result(p, &res));
  ASSERT_STR_EQ("worker 0 exited with status 3", res.message);
  weft_pool_result_clear(&res);
  weft_process_free(p);
  assert_no_children();
  return NULL;
}

TEST_IMPL(process_exit_status) {
  ASSERT_OK(weft_test_run(exit3_main, NULL, NULL));
  return 0;
}

static void *greet(const weft_buf *arg, weft_buf *out) {
  char s[64];
  int n =
      snprintf(s, sizeof s, "hello %.*s from %d", (int)arg->len, (char *)arg->data, (int)getppid());

  weft_sleep(0.01);
  out->data = weft_malloc((size_t)n);
  if (!out->data)
    return weft_fail(-ENOMEM, "no memory");
  memcpy(out->data, s, (size_t)n);
  out->len = (size_t)n;
  return NULL;
}

static void *worker_main(void *arg) {
  weft_process *p;
  weft_pool_result res;
  char want[64];
  int code = -1;

  (void)arg;
  ASSERT_OK(weft_process_start(&p, greet, &(weft_buf){"world", 5}));
  ASSERT_EQ(-EINVAL, weft_process_result(p, &res));
  ASSERT_OK(weft_process_join(p, &code));
  ASSERT_EQ(0, code);
  ASSERT_OK(weft_process_result(p, &res));
  snprintf(want, sizeof want, "hello world from %d", (int)getpid());
  ASSERT_EQ(strlen(want), res.buf.len);
  ASSERT_OK(memcmp(want, res.buf.data, res.buf.len));
  ASSERT_EQ(-EINVAL, weft_process_result(p, &res)); /* taken already */
  weft_pool_result_clear(&res);
  weft_process_free(p);
  assert_no_children();
  return NULL;
}

TEST_IMPL(process_worker_result) {
  ASSERT_OK(weft_test_run(worker_main, NULL, NULL));
  return 0;
}

static void *fail_fn(const weft_buf *arg, weft_buf *out) {
  (void)arg;
  (void)out;
  return weft_fail(-ERANGE, "value out of range");
}

static void *fail_main(void *arg) {
  weft_process *p;
  weft_pool_result res;
  int code = 0;

  (void)arg;
  ASSERT_OK(weft_process_start(&p, fail_fn, NULL));
  ASSERT_OK(weft_process_join(p, &code));
  ASSERT_EQ(1, code); /* as Python: an exception gives exit code 1 */
  ASSERT_EQ(-ERANGE, weft_process_result(p, &res));
  ASSERT_STR_EQ("value out of range", res.message);
  weft_pool_result_clear(&res);
  weft_process_free(p);
  assert_no_children();
  return NULL;
}

TEST_IMPL(process_worker_error) {
  ASSERT_OK(weft_test_run(fail_main, NULL, NULL));
  return 0;
}

static void *forever(const weft_buf *arg, weft_buf *out) {
  (void)arg;
  (void)out;
  weft_sleep(30);
  return NULL;
}

static void *terminate_main(void *arg) {
  weft_process *p;
  int code = 0, rc;

  (void)arg;
  ASSERT_OK(weft_process_start(&p, forever, NULL));
  ASSERT_OK(weft_sleep(0.02));
  rc = weft_process_terminate(p);
  if (rc == -ESRCH && weft_test_torture) /* ended early: an allocation failed */
    ASSERT_OK(weft_process_join(p, &code));
  ASSERT_OK(rc);
  ASSERT_OK(weft_process_join(p, &code));
  ASSERT_EQ(-SIGKILL, code);
  ASSERT_EQ(-ESRCH, weft_process_terminate(p));
  weft_process_free(p);
  /* freed while running: killed and reaped at once */
  ASSERT_OK(weft_process_start(&p, forever, NULL));
  weft_process_free(p);
  assert_no_children();
  return NULL;
}

TEST_IMPL(process_terminate) {
  ASSERT_OK(weft_test_run(terminate_main, NULL, NULL));
  return 0;
}
