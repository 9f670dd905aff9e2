/*
 * Port of seed 001, "事件循环": get_url_title(url) visits a site in 2 s.
 * One visit with loop.run_until_complete; ten at once with asyncio.wait
 * (still 2 s); a task's result after asyncio.gather(group1); the result of a
 * task made by loop.create_task; the results of ten tasks; and a done
 * callback that gets an extra argument (functools.partial in the seed).
 */
#include <math.h>
#include <stdio.h>
#include <weft.h>

#define SITE "http://www.langzi.fun"
#define NTASKS 10

static void *get_url_title(void *arg) {
  int rc;

  printf("开始访问网站:%s\n", (const char *)arg);
  if ((rc = weft_sleep(2)) != 0)
    return weft_fail(rc, NULL);
  printf("网站访问成功\n");
  return "success";
}

static void call_back(weft_task *task, void *url) {
  (void)task; /* the task is passed as in the seed, the url is the extra argument */
  printf("检测网址:%s状态正常\n", (const char *)url);
}

typedef struct task_list {
  weft_task **tasks;
  size_t n;
  int gather; /* asyncio.gather instead of asyncio.wait */
} task_list;

static void *wait_all(void *arg) {
  task_list *l = arg;
  int rc = l->gather ? weft_gather(l->tasks, l->n, 0, NULL, NULL)
                     : weft_wait(l->tasks, l->n, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL);

  return rc ? weft_fail(rc, NULL) : NULL;
}

/* loop.run_until_complete(asyncio.wait(tasks)) or (asyncio.gather(*tasks)) */
static int run_all(weft_loop *loop, weft_task **tasks, size_t n, int gather) {
  task_list l = {tasks, n, gather};
  weft_task *waiter;
  int rc = weft_spawn(&waiter, wait_all, &l, NULL);

  if (rc == 0)
    rc = weft_loop_run_until_complete(loop, waiter, NULL);
  weft_task_release(waiter);
  return rc;
}

static int spawn_n(weft_task **tasks, size_t n) {
  int rc = 0;

  for (size_t i = 0; i < n && rc == 0; i++)
    rc = weft_spawn(&tasks[i], get_url_title, SITE, NULL);
  return rc;
}

static void release_n(weft_task **tasks, size_t n) {
  for (size_t i = 0; i < n; i++)
    weft_task_release(tasks[i]);
}

static int one_site(weft_loop *loop) {
  weft_task *task;
  double start = weft_time();
  int rc = weft_spawn(&task, get_url_title, SITE, NULL);

  if (rc == 0)
    rc = weft_loop_run_until_complete(loop, task, NULL);
  weft_task_release(task);
  if (rc == 0)
    printf("消耗时间:%f\n", weft_time() - start);
  return rc;
}

static int ten_sites(weft_loop *loop) {
  weft_task *tasks[NTASKS] = {0};
  double start = weft_time();
  int rc = spawn_n(tasks, NTASKS);

  if (rc == 0)
    rc = run_all(loop, tasks, NTASKS, 0);
  release_n(tasks, NTASKS);
  if (rc == 0)
    printf("消耗时间:%f\n", weft_time() - start);
  return rc;
}

/* group1 = asyncio.ensure_future(...); run_until_complete(gather(group1)); group1.result() */
static int gather_result(weft_loop *loop) {
  weft_task *group1 = NULL;
  void *result = NULL;
  int rc = spawn_n(&group1, 1);

  if (rc == 0)
    rc = run_all(loop, &group1, 1, 1);
  if (rc == 0 && (rc = weft_task_result(group1, &result)) == 0)
    printf("%s\n", (const char *)result);
  weft_task_release(group1);
  return rc;
}

/* get_future = loop.create_task(...), optionally with call_back(url) attached. */
static int create_task_result(weft_loop *loop, int with_callback) {
  weft_task *get_future;
  void *result = NULL;
  double start = weft_time();
  int rc = weft_spawn(&get_future, get_url_title, SITE, &(weft_spawn_opts){.loop = loop});

  if (rc == 0 && with_callback)
    rc = weft_task_add_done_callback(get_future, call_back, SITE);
  if (rc == 0)
    rc = weft_loop_run_until_complete(loop, get_future, &result);
  if (rc == 0)
    printf("获取结果:%s\n", (const char *)result);
  weft_task_release(get_future);
  if (rc == 0 && !with_callback)
    printf("消耗时间:%f\n", weft_time() - start);
  return rc;
}

static int ten_results(weft_loop *loop) {
  weft_task *tasks[NTASKS] = {0};
  double start = weft_time();
  int rc = spawn_n(tasks, NTASKS);

  if (rc == 0)
    rc = run_all(loop, tasks, NTASKS, 0);
  if (rc == 0)
    printf("获取结果:[");
  for (size_t i = 0; i < NTASKS && rc == 0; i++) {
    void *result = NULL;
    if ((rc = weft_task_result(tasks[i], &result)) == 0)
      printf("%s'%s'", i ? ", " : "", (const char *)result);
  }
  release_n(tasks, NTASKS);
  if (rc == 0)
    printf("]\n消耗时间:%f\n", weft_time() - start);
  return rc;
}

static int get_result(weft_loop *loop) {
  return create_task_result(loop, 0);
}

static int with_callback(weft_loop *loop) {
  return create_task_result(loop, 1);
}

static const struct {
  const char *title;
  int (*run)(weft_loop *loop);
} programs[] = {
    {"访问一个网站", one_site},
    {"访问多个网站", ten_sites},
    {"使用gather获取返回结果", gather_result},
    {"获取返回值", get_result},
    {"获取多个返回值", ten_results},
    {"回调函数", with_callback},
};

int main(void) {
  weft_loop *loop;
  int rc;

  if ((rc = weft_loop_new(&loop)) != 0) {
    fprintf(stderr, "weft_loop_new: %s\n", weft_strerror(rc));
    return 1;
  }
  weft_loop_set_current(loop); /* loop = asyncio.get_event_loop() */
  for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]) && rc == 0; i++) {
    printf("--- %s ---\n", programs[i].title);
    rc = programs[i].run(loop);
  }
  weft_loop_free(loop);
  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
