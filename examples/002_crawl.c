/*
 * Port of seed 002, "一个简单的爬虫例子": crawl_page(url_N) takes N seconds.
 * Awaited one by one the four pages take 10 s; as tasks made with
 * asyncio.create_task, awaited in turn or with asyncio.gather, they take
 * 4 s. count_n, which never waits, gains nothing from tasks: each runs to
 * the end before the next starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

static const char *const urls[] = {"url_1", "url_2", "url_3", "url_4"};
#define NURLS 4

/* async def crawl_page(url), called directly or wrapped in a task. */
static int crawl(const char *url) {
  int sleep_time = atoi(strrchr(url, '_') + 1);
  int rc;

  printf("crawling %s\n", url);
  if ((rc = weft_sleep(sleep_time)) != 0)
    return rc;
  printf("OK %s\n", url);
  return 0;
}

static void *crawl_page(void *url) {
  int rc = crawl(url);

  return rc ? weft_fail(rc, NULL) : NULL;
}

static void *main_await(void *arg) {
  int rc = 0;

  (void)arg;
  for (int i = 0; i < NURLS && rc == 0; i++)
    rc = crawl(urls[i]); /* await crawl_page(url) */
  return rc ? weft_fail(rc, NULL) : NULL;
}

/* tasks = [asyncio.create_task(crawl_page(url)) for url in urls], then
 * `for task in tasks: await task` or `await asyncio.gather(*tasks)`. */
static void *main_tasks(void *gather) {
  weft_task *tasks[NURLS] = {0};
  int rc = 0;

  for (int i = 0; i < NURLS && rc == 0; i++)
    rc = weft_spawn(&tasks[i], crawl_page, (void *)urls[i], NULL);
  if (rc == 0 && gather)
    rc = weft_gather(tasks, NURLS, 0, NULL, NULL);
  for (int i = 0; i < NURLS && rc == 0 && !gather; i++)
    rc = weft_await(tasks[i], NULL);
  for (int i = 0; i < NURLS; i++)
    weft_task_release(tasks[i]);
  return rc ? weft_fail(rc, NULL) : NULL;
}

static void *count_n(void *arg) {
  long n = 0;

  printf("computer begin\n");
  for (long i = 0; i < 10000; i++)
    n += i;
  printf("computer end, loop %ld result is %ld\n", (long)arg, n);
  return NULL;
}

static void *computer_main(void *arg) {
  weft_task *tasks[3] = {0};
  int rc = 0;

  (void)arg;
  for (long i = 0; i < 3 && rc == 0; i++)
    rc = weft_spawn(&tasks[i], count_n, (void *)i, NULL);
  for (int i = 0; i < 3 && rc == 0; i++)
    rc = weft_await(tasks[i], NULL);
  for (int i = 0; i < 3; i++)
    weft_task_release(tasks[i]);
  return rc ? weft_fail(rc, NULL) : NULL;
}

static const struct {
  const char *title;
  weft_task_fn main;
  void *arg;
} programs[] = {
    {"await crawl_page(url)", main_await, NULL},
    {"asyncio.create_task + await task", main_tasks, NULL},
    {"asyncio.create_task + asyncio.gather", main_tasks, "gather"},
    {"count_n", computer_main, NULL},
};

int main(void) {
  int rc = 0;

  for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]) && rc == 0; i++) {
    double start = weft_time();
    printf("--- %s ---\n", programs[i].title);
    rc = weft_run(programs[i].main, programs[i].arg, NULL);
    if (rc == 0)
      printf("Wall time: %.2f s\n", weft_time() - start);
  }
  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
