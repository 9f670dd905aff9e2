/*
 * Port of seed 004, "asyncio模块" and "async / await": one() runs a
 * coroutine that blocks for 0.1 s; two() shows a task's state, PENDING
 * before the loop runs it and FINISHED after; three() adds a done callback
 * that gets a name besides the task (functools.partial in the seed); four()
 * gathers a 3-second and a 1-second task, which end in 3 s together.
 */
#include <stdio.h>
#include <time.h>
#include <weft.h>

static void *do_something(void *arg) {
  const char *const *words = arg; /* what to print before and after */

  printf("%s\n", words[0]);
  nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL); /* time.sleep(0.1): blocks */
  printf("%s\n", words[1]);
  return NULL;
}

static const char *const something[] = {"start ------", "doing something"};
static const char *const doing[] = {"start doing", "done"};

static int run_task(weft_loop *loop, weft_task *task) {
  return weft_loop_run_until_complete(loop, task, NULL);
}

static int one(weft_loop *loop) {
  double start = weft_time();
  weft_task *task;
  int rc = weft_spawn(&task, do_something, (void *)something, NULL);

  if (rc)
    return rc;
  rc = run_task(loop, task);
  weft_task_release(task);
  if (rc == 0)
    printf("消耗时间:%.4f\n", weft_time() - start);
  return rc;
}

static int two(weft_loop *loop) {
  double start = weft_time();
  weft_task *task;
  int rc = weft_spawn(&task, do_something, (void *)something, NULL); /* loop.create_task */

  if (rc)
    return rc;
  printf("task state %s\n", weft_task_state_name(task));
  rc = run_task(loop, task);
  printf("take state %s\n", weft_task_state_name(task));
  weft_task_release(task);
  if (rc == 0)
    printf("消耗时间:%.4f\n", weft_time() - start);
  return rc;
}

static void callback(weft_task *task, void *name) {
  printf("call back:%s\n", (const char *)name);
  printf("call back:%s\n", weft_task_state_name(task));
}

static int three(weft_loop *loop) {
  double start = weft_time();
  weft_task *task;
  int rc = weft_spawn(&task, do_something, (void *)doing, NULL);

  if (rc)
    return rc;
  rc = weft_task_add_done_callback(task, callback, "vllbc");
  if (rc == 0)
    rc = run_task(loop, task);
  weft_task_release(task);
  if (rc == 0)
    printf("total time %.4f\n", weft_time() - start);
  return rc;
}

typedef struct work {
  const char *name;
  double t;
  char result[64];
} work;

static void *do_work(void *arg) {
  work *w = arg;
  int rc;

  printf("start !>> %s\n", w->name);
  if ((rc = weft_sleep(w->t)) != 0)
    return weft_fail(rc, NULL);
  printf("Stop coroutine %s\n", w->name);
  snprintf(w->result, sizeof(w->result), "Coroutine %s OK", w->name);
  return w->result;
}

static void *gather_two(void *arg) {
  int rc = weft_gather(arg, 2, 0, NULL, NULL);

  return rc ? weft_fail(rc, NULL) : NULL;
}

static int four(weft_loop *loop) {
  work w1 = {"wlb", 3, ""}, w2 = {"yyh", 1, ""};
  weft_task *tasks[2] = {0}, *gather = NULL;
  void *r1 = NULL, *r2 = NULL;
  double start = weft_time();
  int rc = weft_spawn(&tasks[0], do_work, &w1, NULL);

  if (rc == 0)
    rc = weft_spawn(&tasks[1], do_work, &w2, NULL);
  if (rc == 0)
    rc = weft_spawn(&gather, gather_two, tasks, NULL); /* asyncio.gather(task1, task2) */
  if (rc == 0)
    rc = run_task(loop, gather);
  if (rc == 0 && (rc = weft_task_result(tasks[0], &r1)) == 0)
    printf("task1 %s\n", (const char *)r1);
  if (rc == 0 && (rc = weft_task_result(tasks[1], &r2)) == 0)
    printf("task2 %s\n", (const char *)r2);
  if (rc == 0)
    printf("total time:%.4f\n", weft_time() - start);
  weft_task_release(gather);
  weft_task_release(tasks[0]);
  weft_task_release(tasks[1]);
  return rc;
}

static const struct {
  const char *title;
  int (*run)(weft_loop *loop);
} programs[] = {{"one", one}, {"two", two}, {"three", three}, {"four", four}};

int main(void) {
  weft_loop *loop;
  int rc;

  if ((rc = weft_loop_new(&loop)) != 0) {
    fprintf(stderr, "weft_loop_new: %s\n", weft_strerror(rc));
    return 1;
  }
  weft_loop_set_current(loop); /* asyncio.get_event_loop() */
  for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]) && rc == 0; i++) {
    printf("--- %s() ---\n", programs[i].title);
    rc = programs[i].run(loop);
  }
  weft_loop_free(loop);
  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
