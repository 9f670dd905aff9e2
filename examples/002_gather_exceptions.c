/*
 * Port of seed 002, "某些协程运行时出现错误,该怎么处理": worker_1 returns 1,
 * worker_2 divides by zero, worker_3 is cancelled after 2 s because it takes
 * too long; asyncio.gather(..., return_exceptions=True) hands back every
 * outcome in order: [1, division by zero, cancelled].
 */
#include <errno.h>
#include <stdio.h>
#include <weft.h>

static void *worker_1(void *arg) {
  int rc;

  (void)arg;
  if ((rc = weft_sleep(1)) != 0)
    return weft_fail(rc, NULL);
  return (void *)1L;
}

static void *worker_2(void *arg) {
  int rc;

  (void)arg;
  if ((rc = weft_sleep(2)) != 0)
    return weft_fail(rc, NULL);
  return weft_fail(-EDOM, "division by zero"); /* return 2 / 0 */
}

static void *worker_3(void *arg) {
  int rc;

  (void)arg;
  if ((rc = weft_sleep(3)) != 0)
    return weft_fail(rc, NULL);
  return (void *)3L;
}

static void print_outcomes(weft_task **tasks, void **results, int *errors, int n) {
  printf("[");
  for (int i = 0; i < n; i++) {
    if (i)
      printf(", ");
    if (errors[i] == 0)
      printf("%ld", (long)results[i]);
    else if (errors[i] == -ECANCELED)
      printf("cancelled");
    else
      printf("%s",
             weft_task_error(tasks[i]) ? weft_task_error(tasks[i]) : weft_strerror(errors[i]));
  }
  printf("]\n");
}

static void *main_task(void *arg) {
  static const weft_task_fn workers[] = {worker_1, worker_2, worker_3};
  weft_task *tasks[3] = {0};
  void *results[3];
  int errors[3];
  int rc = 0;

  (void)arg;
  for (int i = 0; i < 3 && rc == 0; i++)
    rc = weft_spawn(&tasks[i], workers[i], NULL, NULL);
  if (rc == 0)
    rc = weft_sleep(2);
  if (rc == 0) {
    weft_task_cancel(tasks[2]);
    rc = weft_gather(tasks, 3, WEFT_RETURN_EXCEPTIONS, results, errors);
  }
  if (rc == 0)
    print_outcomes(tasks, results, errors, 3);
  for (int i = 0; i < 3; i++)
    weft_task_release(tasks[i]);
  return rc ? weft_fail(rc, NULL) : NULL;
}

int main(void) {
  int rc = weft_run(main_task, NULL, NULL);

  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
