/*
 * Port of seed 000, "5、协程嵌套与返回值": main() creates the four 2-second
 * fetch tasks and the results come back in four ways -- 1. main awaits
 * asyncio.wait and reads the done tasks, 2. main awaits asyncio.gather and
 * prints the results, 3. main returns what asyncio.wait returned (done,
 * pending) and the caller reads it, 4. main returns the gathered results.
 * Each takes 2 s in all.
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

/* What main works on; ways 3 and 4 return part of it to the caller. */
typedef struct nested {
  int way;
  fetch fetches[NURLS];
  weft_task *tasks[NURLS];
  int done[NURLS]; /* dones: done[i] != 0; pendings: the others */
  void *results[NURLS];
} nested;

static void *run(void *arg) {
  fetch *f = arg;
  int rc;

  printf("开始向'%s'要数据……\n", f->url);
  if ((rc = weft_sleep(2)) != 0)
    return weft_fail(rc, NULL);
  snprintf(f->data, sizeof(f->data), "'%s'的数据", f->url);
  return f->data;
}

static void print_dones(nested *n) {
  for (int i = 0; i < NURLS; i++) {
    void *data = NULL;
    if (n->done[i] && weft_task_result(n->tasks[i], &data) == 0)
      printf("数据：%s\n", (const char *)data);
  }
}

static void *nested_main(void *arg) {
  nested *n = arg;
  int rc = 0;

  for (int i = 0; i < NURLS && rc == 0; i++) {
    n->fetches[i].url = urls[i];
    rc = weft_spawn(&n->tasks[i], run, &n->fetches[i], NULL); /* asyncio.ensure_future */
  }
  if (rc == 0 && (n->way == 1 || n->way == 3))
    rc = weft_wait(n->tasks, NURLS, WEFT_ALL_COMPLETED, INFINITY, n->done, NULL);
  else if (rc == 0)
    rc = weft_gather(n->tasks, NURLS, 0, n->results, NULL);
  if (rc)
    return weft_fail(rc, NULL);
  if (n->way == 1)
    print_dones(n);
  for (int i = 0; i < NURLS && n->way == 2; i++)
    printf("数据：%s\n", (const char *)n->results[i]);
  if (n->way == 3)
    return n; /* return await asyncio.wait(tasks) */
  if (n->way == 4)
    return n->results; /* return await asyncio.gather(*tasks) */
  return NULL;
}

static int run_way(weft_loop *loop, int way) {
  nested n = {.way = way};
  weft_task *main_task;
  void *ret = NULL;
  double t1 = weft_time();
  int rc = weft_spawn(&main_task, nested_main, &n, &(weft_spawn_opts){.loop = loop});

  if (rc == 0)
    rc = weft_loop_run_until_complete(loop, main_task, &ret);
  if (rc == 0 && way == 3)
    print_dones(ret); /* dones, pendings = loop.run_until_complete(main()) */
  for (int i = 0; rc == 0 && way == 4 && i < NURLS; i++)
    printf("数据：%s\n", (const char *)((void **)ret)[i]);
  if (rc == 0)
    printf("总耗时：%.2f\n", weft_time() - t1);
  for (int i = 0; i < NURLS; i++)
    weft_task_release(n.tasks[i]);
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
  for (int way = 1; way <= 4 && rc == 0; way++) {
    printf("--- %d ---\n", way);
    rc = run_way(loop, way);
  }
  weft_loop_free(loop);
  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
