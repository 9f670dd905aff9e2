/*
 * Seed 001, "用requests完成异步编程(使用线程池)": a blocking fetch run ten times
 * through loop.run_in_executor(ThreadPoolExecutor(5)), then with 10 threads.
 * The blocking "requests.get" is a function that sleeps 1 s (no network
 * here) and returns the page title, so the timings are exact: two waves of
 * 1 s with 5 threads, one wave with 10.
 */
#include <stdio.h>
#include <unistd.h>
#include <weft.h>

static void *get_url_title(void *url) {
  (void)url;
  sleep(1); /* a blocking call: it would stall the loop if run in a task */
  printf(" Langzi - Never Setter 永不将就 - 致力于Python开发网络安全工具\n");
  return NULL;
}

static void *run_in_executor(void *pool) {
  int rc = weft_executor_run(pool, get_url_title, "http://www.langzi.fun", NULL, NULL);

  return rc ? weft_fail(rc, "get_url_title") : NULL;
}

/* loop.run_until_complete(asyncio.wait(tasks)) over ten executor jobs */
static void *fetch_ten(void *pool) {
  weft_task *tasks[10];
  size_t ndone;
  int rc = 0;

  for (int i = 0; i < 10; i++)
    if ((rc = weft_spawn(&tasks[i], run_in_executor, pool, NULL)) != 0)
      return weft_fail(rc, "spawn");
  rc = weft_wait(tasks, 10, WEFT_ALL_COMPLETED, INFINITY, NULL, &ndone);
  for (int i = 0; i < 10; i++)
    weft_task_release(tasks[i]);
  return rc ? weft_fail(rc, "wait") : NULL;
}

static int run_with(size_t threads) {
  weft_executor *pool;
  double start = weft_time();
  int rc = weft_executor_new(&pool, threads);

  if (rc)
    return rc;
  rc = weft_run(fetch_ten, pool, NULL);
  weft_executor_free(pool);
  printf("ThreadPoolExecutor(%zu): %.2f\n", threads, weft_time() - start);
  return rc;
}

int main(void) {
  int rc = run_with(5);

  if (rc == 0)
    rc = run_with(10);
  if (rc)
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return rc ? 1 : 0;
}
