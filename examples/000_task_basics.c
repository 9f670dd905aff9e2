/*
 * Port of seed 000, "2、asyncio基本使用": the coroutine run(2) run three ways
 * -- asyncio.run(coroutine), loop.run_until_complete(coroutine) and as a task
 * made by asyncio.ensure_future -- then "获取返回值": a 5-second request to
 * 百度 whose result reaches a done callback.
 */
#include <stdio.h>
#include <weft.h>

static void *run(void *arg) {
  int x = (int)(long)arg, rc;

  printf("waiting：%d\n", x);
  if ((rc = weft_sleep(x)) != 0)
    return weft_fail(rc, NULL);
  printf("结束run\n");
  return NULL;
}

static void *fetch(void *arg) {
  const char *url = arg;
  static char data[64];
  int rc;

  printf("开始向'%s'要数据……\n", url);
  if ((rc = weft_sleep(5)) != 0) /* 向百度要数据，网络IO */
    return weft_fail(rc, NULL);
  snprintf(data, sizeof(data), "'%s'的数据", url);
  printf("给你数据\n");
  return data;
}

static void call_back(weft_task *task, void *arg) {
  void *data = NULL;

  (void)arg;
  if (weft_task_result(task, &data) == 0)
    printf("call_back: %s\n", (const char *)data);
}

/* Create a task on loop, optionally with a done callback, and run it. */
static int run_task(weft_loop *loop, weft_task_fn fn, void *arg, weft_task_done_fn cb) {
  weft_task *task;
  int rc = weft_spawn(&task, fn, arg, &(weft_spawn_opts){.loop = loop});

  if (rc)
    return rc;
  if (cb)
    rc = weft_task_add_done_callback(task, cb, NULL);
  if (rc == 0)
    rc = weft_loop_run_until_complete(loop, task, NULL);
  weft_task_release(task);
  return rc;
}

int main(void) {
  weft_loop *loop;
  int rc;

  printf("--- asyncio.run(coroutine) ---\n");
  if ((rc = weft_run(run, (void *)2L, NULL)) != 0)
    goto fail;
  if ((rc = weft_loop_new(&loop)) != 0)
    goto fail;
  weft_loop_set_current(loop);
  /* A C task is the coroutine and its Task at once: run_until_complete on
   * a coroutine wraps it in a task, ensure_future does so explicitly. */
  printf("--- loop.run_until_complete(coroutine) ---\n");
  rc = run_task(loop, run, (void *)2L, NULL);
  if (rc == 0) {
    printf("--- asyncio.ensure_future(coroutine) ---\n");
    rc = run_task(loop, run, (void *)2L, NULL);
  }
  if (rc == 0) {
    printf("--- 获取返回值 ---\n");
    rc = run_task(loop, fetch, "百度", call_back);
  }
  weft_loop_free(loop);
  if (rc == 0)
    return 0;
fail:
  fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return 1;
}
