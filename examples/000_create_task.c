/*
 * Port of seed 000, "3、多任务" and "4、Task 概念及用法": the three ways of
 * creating the four 2-second fetch tasks -- asyncio.ensure_future inside an
 * async main run by loop.run_until_complete, loop.create_task at top level,
 * asyncio.create_task inside main run by asyncio.run -- each with a done
 * callback and a total of 2 s; then the simple Task example (main start,
 * main end, 1 1 2 2, test test). In C all three are weft_spawn: it creates
 * the task on the current loop, or on opts.loop.
 */
#include <math.h>
#include <stdio.h>
#include <weft.h>

static const char *const urls[] = {"百度", "阿里", "腾讯", "新浪"};
#define NURLS 4

typedef struct fetch {
  const char *url;
  char data[64];
} fetch;

static void *run(void *arg) {
  fetch *f = arg;
  int rc;

  printf("开始向'%s'要数据……\n", f->url);
  if ((rc = weft_sleep(2)) != 0)
    return weft_fail(rc, NULL);
  snprintf(f->data, sizeof(f->data), "'%s'的数据", f->url);
  return f->data;
}

static void call_back(weft_task *task, void *arg) {
  void *data = NULL;

  (void)arg;
  if (weft_task_result(task, &data) == 0)
    printf("call_back: %s\n", (const char *)data);
}

/* Create the four tasks on loop (NULL: the current one), callbacks added. */
static int spawn_fetches(weft_loop *loop, fetch *fetches, weft_task **tasks) {
  int rc = 0;

  for (int i = 0; i < NURLS && rc == 0; i++) {
    fetches[i].url = urls[i];
    rc = weft_spawn(&tasks[i], run, &fetches[i], &(weft_spawn_opts){.loop = loop});
    if (rc == 0)
      rc = weft_task_add_done_callback(tasks[i], call_back, NULL);
  }
  return rc;
}

static void release_all(weft_task **tasks, int n) {
  for (int i = 0; i < n; i++)
    weft_task_release(tasks[i]);
}

/* async def main(): create the tasks, await asyncio.wait(tasks). */
static void *fetch_main(void *arg) {
  fetch fetches[NURLS];
  weft_task *tasks[NURLS] = {0};
  double t1 = weft_time();
  int rc = spawn_fetches(NULL, fetches, tasks);

  (void)arg;
  if (rc == 0)
    rc = weft_wait(tasks, NURLS, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL);
  release_all(tasks, NURLS);
  if (rc)
    return weft_fail(rc, NULL);
  printf("总耗时：%.2f\n", weft_time() - t1);
  return NULL;
}

static void *wait_all(void *arg) {
  int rc = weft_wait(arg, NURLS, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL);

  return rc ? weft_fail(rc, NULL) : NULL;
}

/* loop.create_task at top level, then loop.run_until_complete(asyncio.wait(tasks)). */
static int top_level(weft_loop *loop) {
  fetch fetches[NURLS];
  weft_task *tasks[NURLS] = {0}, *waiter = NULL;
  double t1 = weft_time();
  int rc = spawn_fetches(loop, fetches, tasks);

  if (rc == 0)
    rc = weft_spawn(&waiter, wait_all, tasks, &(weft_spawn_opts){.loop = loop});
  if (rc == 0)
    rc = weft_loop_run_until_complete(loop, waiter, NULL);
  weft_task_release(waiter);
  release_all(tasks, NURLS);
  if (rc == 0)
    printf("总耗时：%.2f\n", weft_time() - t1);
  return rc;
}

static void *func(void *arg) {
  int rc;

  (void)arg;
  printf("1\n");
  if ((rc = weft_sleep(2)) != 0)
    return weft_fail(rc, NULL);
  printf("2\n");
  return "test";
}

static void *simple_main(void *arg) {
  weft_task *task1 = NULL, *task2 = NULL;
  void *ret1 = NULL, *ret2 = NULL;
  int rc;

  (void)arg;
  printf("main start\n");
  rc = weft_spawn(&task1, func, NULL, NULL);
  if (rc == 0)
    rc = weft_spawn(&task2, func, NULL, NULL);
  printf("main end\n");
  if (rc == 0)
    rc = weft_await(task1, &ret1);
  if (rc == 0)
    rc = weft_await(task2, &ret2);
  if (rc == 0)
    printf("%s %s\n", (const char *)ret1, (const char *)ret2);
  weft_task_release(task1);
  weft_task_release(task2);
  return rc ? weft_fail(rc, NULL) : NULL;
}

/* loop.run_until_complete(main()): main as a task of the loop. */
static int run_main_on(weft_loop *loop, weft_task_fn fn) {
  weft_task *main_task;
  int rc = weft_spawn(&main_task, fn, NULL, &(weft_spawn_opts){.loop = loop});

  if (rc)
    return rc;
  rc = weft_loop_run_until_complete(loop, main_task, NULL);
  weft_task_release(main_task);
  return rc;
}

int main(void) {
  weft_loop *loop;
  int rc;

  if ((rc = weft_loop_new(&loop)) != 0) {
    fprintf(stderr, "weft_loop_new: %s\n", weft_strerror(rc));
    return 1;
  }
  weft_loop_set_current(loop);
  printf("--- asyncio.ensure_future（封装成异步函数） ---\n");
  rc = run_main_on(loop, fetch_main);
  if (rc == 0) {
    printf("--- loop.create_task ---\n");
    rc = top_level(loop);
  }
  weft_loop_free(loop);
  if (rc == 0) {
    printf("--- asyncio.create_task + asyncio.run ---\n");
    rc = weft_run(fetch_main, NULL, NULL);
  }
  if (rc == 0) {
    printf("--- Task 简单用法 ---\n");
    rc = weft_run(simple_main, NULL, NULL);
  }
  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
