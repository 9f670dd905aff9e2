/*
 * Port of seed 001, "gather与wait的区别": gather can group tasks and cancel a
 * group. Method 1 gathers the three langzi visits and the five baidu visits
 * at once; method 2 gathers two groups, each itself a gather; then the same
 * with group2 cancelled (the line commented out in the seed), which cancels
 * its five visits while group1 finishes.
 */
#include <stdio.h>
#include <weft.h>

#define N1 3
#define N2 5
#define LANGZI "http://www.langzi.fun"
#define BAIDU "http://www.baidu.com"

static void *get_url_title(void *arg) {
  int rc;

  printf("开始访问网站:%s\n", (const char *)arg);
  if ((rc = weft_sleep(2)) != 0)
    return weft_fail(rc, NULL);
  printf("网站访问成功\n");
  return "success";
}

typedef struct group {
  weft_task *tasks[N2];
  size_t n;
} group;

/* asyncio.gather(*group) as a task: cancelling it cancels the group. */
static void *gather_group(void *arg) {
  group *g = arg;
  int rc = weft_gather(g->tasks, g->n, 0, NULL, NULL);

  return rc ? weft_fail(rc, NULL) : "success";
}

static int spawn_group(group *g, size_t n, const char *url) {
  int rc = 0;

  g->n = 0;
  for (size_t i = 0; i < n && rc == 0; i++)
    if ((rc = weft_spawn(&g->tasks[i], get_url_title, (void *)url, NULL)) == 0)
      g->n++;
  return rc;
}

static void release_group(group *g) {
  for (size_t i = 0; i < g->n; i++)
    weft_task_release(g->tasks[i]);
}

/* Method 1: asyncio.gather(*group1, *group2) */
static void *method1(void *arg) {
  group g1 = {0}, g2 = {0};
  weft_task *all[N1 + N2];
  int rc = spawn_group(&g1, N1, LANGZI);

  (void)arg;
  if (rc == 0)
    rc = spawn_group(&g2, N2, BAIDU);
  for (size_t i = 0; rc == 0 && i < N1 + N2; i++)
    all[i] = i < N1 ? g1.tasks[i] : g2.tasks[i - N1];
  if (rc == 0)
    rc = weft_gather(all, N1 + N2, 0, NULL, NULL);
  release_group(&g1);
  release_group(&g2);
  return rc ? weft_fail(rc, NULL) : NULL;
}

static void print_outcome(const char *name, weft_task *t) {
  void *result = NULL;
  int rc = weft_task_result(t, &result);

  printf("%s: %s\n", name, rc ? weft_strerror(rc) : (const char *)result);
}

/* Method 2: asyncio.gather(group1, group2), group2 cancelled when arg != NULL. */
static void *method2(void *cancel) {
  group g1 = {0}, g2 = {0};
  weft_task *groups[2] = {0};
  int rc = spawn_group(&g1, N1, LANGZI);

  if (rc == 0)
    rc = spawn_group(&g2, N2, BAIDU);
  if (rc == 0)
    rc = weft_spawn(&groups[0], gather_group, &g1, NULL);
  if (rc == 0)
    rc = weft_spawn(&groups[1], gather_group, &g2, NULL);
  if (rc == 0 && cancel) {
    rc = weft_yield(); /* let group2 start gathering: the seed's gather future exists at once */
    if (rc == 0)
      printf("group2.cancel(): %s\n", weft_task_cancel(groups[1]) ? "True" : "False");
  }
  if (rc == 0)
    rc = weft_gather(groups, 2, WEFT_RETURN_EXCEPTIONS, NULL, NULL);
  if (rc == 0 && cancel) {
    print_outcome("group1", groups[0]);
    print_outcome("group2", groups[1]);
  }
  weft_task_release(groups[0]);
  weft_task_release(groups[1]);
  release_group(&g1);
  release_group(&g2);
  return rc ? weft_fail(rc, NULL) : NULL;
}

int main(void) {
  int rc;

  printf("--- 方法1: gather(*group1, *group2) ---\n");
  rc = weft_run(method1, NULL, NULL);
  if (rc == 0) {
    printf("--- 方法2: gather(group1, group2) ---\n");
    rc = weft_run(method2, NULL, NULL);
  }
  if (rc == 0) {
    printf("--- 方法2, group2.cancel() ---\n");
    rc = weft_run(method2, "cancel", NULL);
  }
  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
