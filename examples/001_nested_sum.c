/*
 * Port of seed 001, "协程相互嵌套": print_sum awaits sum_tion, which waits
 * 1 s and returns x + y (3000); then the result of the nested coroutines
 * taken from the task made by loop.create_task, a done callback attached
 * (300). A nested coroutine is a plain function call in a C task: it
 * suspends the whole task when it waits.
 */
#include <stdio.h>
#include <weft.h>

typedef struct pair {
  long x, y, sum;
} pair;

static int sum_tion(long x, long y, long *out) {
  int rc;

  printf("开始执行传入参数相加:%ld + %ld\n", x, y);
  if ((rc = weft_sleep(1)) != 0) /* 模拟等待1S */
    return rc;
  *out = x + y;
  return 0;
}

static void *print_sum(void *arg) {
  pair *p = arg;
  int rc = sum_tion(p->x, p->y, &p->sum);

  if (rc)
    return weft_fail(rc, NULL);
  printf("%ld\n", p->sum);
  return NULL;
}

static void *return_sum(void *arg) {
  pair *p = arg;
  int rc = sum_tion(p->x, p->y, &p->sum);

  return rc ? weft_fail(rc, NULL) : &p->sum;
}

static void callback(weft_task *task, void *arg) {
  (void)arg;
  weft_task_result(task, NULL); /* future.result(), whose value the seed discards */
}

static int run(weft_loop *loop, weft_task_fn fn, pair *p, weft_task_done_fn cb, long **sum) {
  weft_task *future;
  int rc = weft_spawn(&future, fn, p, &(weft_spawn_opts){.loop = loop});

  if (rc)
    return rc;
  if (cb)
    rc = weft_task_add_done_callback(future, cb, NULL);
  if (rc == 0)
    rc = weft_loop_run_until_complete(loop, future, (void **)sum);
  weft_task_release(future);
  return rc;
}

int main(void) {
  pair a = {1000, 2000, 0}, b = {100, 200, 0};
  long *sum = NULL;
  weft_loop *loop;
  int rc;

  if ((rc = weft_loop_new(&loop)) != 0) {
    fprintf(stderr, "weft_loop_new: %s\n", weft_strerror(rc));
    return 1;
  }
  printf("--- print_sum(1000, 2000) ---\n");
  rc = run(loop, print_sum, &a, NULL, NULL);
  if (rc == 0) {
    printf("--- loop.create_task(print_sum(100, 200)) ---\n");
    rc = run(loop, return_sum, &b, callback, &sum);
  }
  if (rc == 0)
    printf("%ld\n", *sum); /* print(future.result()) */
  weft_loop_free(loop);
  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
