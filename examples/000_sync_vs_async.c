/*
 * Port of seed 000, "3、多任务": four sites answer in 2 seconds each. Fetched
 * one after another (time.sleep) they take 8 s; as four tasks created with
 * asyncio.ensure_future, with a done callback each, and run with
 * loop.run_until_complete(asyncio.wait(tasks)), they take 2 s.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <weft.h>

static const char *const urls[] = {"百度", "阿里", "腾讯", "新浪"};
#define NURLS 4

typedef struct fetch {
  const char *url;
  char data[64];
} fetch;

/* The synchronous version blocks the whole thread, as time.sleep does. */
static const char *run_sync(fetch *f) {
  printf("开始向'%s'要数据……\n", f->url);
  nanosleep(&(struct timespec){.tv_sec = 2}, NULL);
  snprintf(f->data, sizeof(f->data), "'%s'的数据", f->url);
  return f->data;
}

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

/* asyncio.wait(tasks) as a task of its own, for run_until_complete. */
static void *wait_all(void *arg) {
  weft_task **tasks = arg;
  int rc = weft_wait(tasks, NURLS, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL);

  return rc ? weft_fail(rc, NULL) : NULL;
}

static int run_async(weft_loop *loop, fetch *fetches) {
  weft_task *tasks[NURLS] = {0}, *waiter = NULL;
  int rc = 0;

  for (int i = 0; i < NURLS && rc == 0; i++) {
    fetches[i].url = urls[i];
    rc = weft_spawn(&tasks[i], run, &fetches[i], NULL); /* asyncio.ensure_future */
    if (rc == 0)
      rc = weft_task_add_done_callback(tasks[i], call_back, NULL);
  }
  if (rc == 0)
    rc = weft_spawn(&waiter, wait_all, tasks, NULL);
  if (rc == 0)
    rc = weft_loop_run_until_complete(loop, waiter, NULL);
  weft_task_release(waiter);
  for (int i = 0; i < NURLS; i++)
    weft_task_release(tasks[i]);
  return rc;
}

int main(void) {
  fetch fetches[NURLS] = {0};
  weft_loop *loop;
  double t1 = weft_time();
  int rc;

  printf("--- 同步 ---\n");
  for (int i = 0; i < NURLS; i++) {
    fetches[i].url = urls[i];
    printf("%s\n", run_sync(&fetches[i]));
  }
  printf("总耗时：%.2f\n", weft_time() - t1);

  printf("--- 异步 ---\n");
  if ((rc = weft_loop_new(&loop)) != 0) {
    fprintf(stderr, "weft_loop_new: %s\n", weft_strerror(rc));
    return 1;
  }
  weft_loop_set_current(loop); /* asyncio.get_event_loop() */
  t1 = weft_time();
  rc = run_async(loop, fetches);
  if (rc == 0)
    printf("总耗时：%.2f\n", weft_time() - t1);
  else
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
  weft_loop_free(loop);
  return rc ? 1 : 0;
}
