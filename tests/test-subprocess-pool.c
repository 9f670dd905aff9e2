/*
 * Subprocesses and the process pool in one program: each reaps exactly its
 * own children (libuv waits for its pids, the pool for its own), so exit
 * statuses reach the right owner whatever the order of exits.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

static void *square(const weft_buf *arg, weft_buf *out) {
  int v;

  memcpy(&v, arg->data, sizeof v);
  v *= v;
  weft_sleep(0.01);
  if (!(out->data = weft_malloc(sizeof v)))
    return weft_fail(-ENOMEM, "no memory");
  memcpy(out->data, &v, sizeof v);
  out->len = sizeof v;
  return NULL;
}

static void *exit5(const weft_buf *arg, weft_buf *out) {
  (void)arg;
  (void)out;
  usleep(50000);
  exit(5);
}

static void *children_task(void *arg) {
  weft_subprocess *p[8];
  char cmd[64];
  int code;

  (void)arg;
  for (int i = 0; i < 8; i++) {
    snprintf(cmd, sizeof cmd, "sleep 0.0%d; exit %d", i, 10 + i);
    ASSERT_OK(weft_subprocess_shell(cmd, NULL, &p[i]));
  }
  for (int i = 0; i < 8; i++) {
    ASSERT_OK(weft_subprocess_wait(p[i], &code));
    ASSERT_EQ(10 + i, code);
    weft_subprocess_free(p[i]);
  }
  return NULL;
}

static void *pool_main(void *arg) {
  weft_pool *pool;
  weft_process *proc;
  weft_task *t;
  weft_buf items[16];
  weft_pool_result res[16];
  int vals[16], code = 0, st;

  (void)arg;
  ASSERT_OK(weft_pool_new(&pool, &(weft_pool_opts){.processes = 2}));
  ASSERT_OK(weft_spawn(&t, children_task, NULL, NULL));
  ASSERT_OK(weft_process_start(&proc, exit5, NULL));
  for (int i = 0; i < 16; i++) {
    vals[i] = i;
    items[i] = (weft_buf){&vals[i], sizeof vals[i]};
  }
  ASSERT_OK(weft_pool_map(pool, square, items, 16, res));
  for (int i = 0; i < 16; i++) {
    int v;
    memcpy(&v, res[i].buf.data, sizeof v);
    ASSERT_EQ(i * i, v);
    weft_pool_result_clear(&res[i]);
  }
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_OK(weft_process_join(proc, &code));
  ASSERT_EQ(5, code);
  weft_process_free(proc);
  /* a pool child killed while subprocesses come and go: the pool sees it */
  ASSERT_OK(kill(weft_pool_pid(pool, 0), SIGKILL));
  ASSERT_OK(weft_spawn(&t, children_task, NULL, NULL));
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_OK(weft_pool_map(pool, square, items, 4, res));
  for (int i = 0; i < 4; i++)
    weft_pool_result_clear(&res[i]);
  ASSERT_OK(weft_pool_close(pool));
  ASSERT_OK(weft_pool_join(pool));
  weft_pool_free(pool);
  ASSERT(waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD);
  return NULL;
}

TEST_TIMEOUT(subprocess_with_process_pool, 60);
TEST_IMPL(subprocess_with_process_pool) {
  ASSERT_OK(weft_test_run(pool_main, NULL, NULL));
  return 0;
}
