/*
 * Port of seed 000, "4、Task 概念及用法" and "asyncio.wait和asyncio.gather的异同":
 * five tasks func-0 .. func-4 sleep 0..4 seconds; asyncio.wait hands back the
 * done tasks, whose results are then read one by one, while asyncio.gather
 * hands back the results themselves, in the order the tasks were given.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <weft.h>

#define NFUNCS 5

typedef struct func_call {
  int sleep_time;
  char result[128];
} func_call;

static const char *current_time(char *buf, size_t len) {
  time_t now = time(NULL);
  struct tm tm;

  strftime(buf, len, "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
  return buf;
}

static void *func(void *arg) {
  func_call *c = arg;
  char ts[32];
  int rc;

  printf("[%s] 执行异步函数 func-%d\n", current_time(ts, sizeof(ts)), c->sleep_time);
  if ((rc = weft_sleep(c->sleep_time)) != 0)
    return weft_fail(rc, NULL);
  printf("[%s]函数func-%d 执行完毕\n", current_time(ts, sizeof(ts)), c->sleep_time);
  snprintf(c->result, sizeof(c->result), "【[%s] 得到函数 func-%d 执行结果】",
           current_time(ts, sizeof(ts)), c->sleep_time);
  return c->result;
}

static int spawn_funcs(func_call *calls, weft_task **tasks) {
  int rc = 0;

  for (int i = 0; i < NFUNCS && rc == 0; i++) {
    calls[i].sleep_time = i;
    rc = weft_spawn(&tasks[i], func, &calls[i], NULL);
  }
  return rc;
}

/* done, pending = await asyncio.wait(task_list); print each done_task.result(). */
static int with_wait(weft_task **tasks) {
  int done[NFUNCS];
  char ts[32];
  int rc = weft_wait(tasks, NFUNCS, WEFT_ALL_COMPLETED, INFINITY, done, NULL);

  for (int i = 0; i < NFUNCS && rc == 0; i++) {
    void *result = NULL;
    if (!done[i])
      continue;
    if ((rc = weft_task_result(tasks[i], &result)) == 0)
      printf("[%s]得到执行结果 %s\n", current_time(ts, sizeof(ts)), (const char *)result);
  }
  return rc;
}

/* results = await asyncio.gather(*task_list) */
static int with_gather(weft_task **tasks) {
  void *results[NFUNCS];
  char ts[32];
  int rc = weft_gather(tasks, NFUNCS, 0, results, NULL);

  for (int i = 0; i < NFUNCS && rc == 0; i++)
    printf("[%s]得到执行结果 %s\n", current_time(ts, sizeof(ts)), (const char *)results[i]);
  return rc;
}

typedef int (*collector)(weft_task **tasks);
static const collector by_wait = with_wait, by_gather = with_gather;

static void *run(void *arg) {
  const collector *collect = arg;
  func_call calls[NFUNCS];
  weft_task *tasks[NFUNCS] = {0};
  int rc = spawn_funcs(calls, tasks);

  if (rc == 0)
    rc = (*collect)(tasks);
  for (int i = 0; i < NFUNCS; i++)
    weft_task_release(tasks[i]);
  return rc ? weft_fail(rc, NULL) : NULL;
}

int main(void) {
  int rc;

  printf("--- asyncio.wait ---\n");
  rc = weft_run(run, (void *)&by_wait, NULL);
  if (rc == 0) {
    printf("--- asyncio.gather ---\n");
    rc = weft_run(run, (void *)&by_gather, NULL);
  }
  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
