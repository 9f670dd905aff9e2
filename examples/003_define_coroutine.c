/*
 * Port of seed 003, "1.4 定义协程": execute(1) handed to
 * loop.run_until_complete, then made into a task explicitly with
 * loop.create_task and with asyncio.ensure_future, the task printed before
 * (pending) and after (finished) the loop ran it. A C task is created with
 * weft_spawn and, like a coroutine object, does not run until the loop does.
 */
#include <stdio.h>
#include <weft.h>

static void *execute(void *arg) {
  printf("Number: %ld\n", (long)arg);
  return NULL;
}

static void print_task(weft_task *task) {
  if (!weft_task_done(task)) {
    printf("Task: <Task pending name='%s' fn=execute()>\n", weft_task_name(task));
    return;
  }
  void *result = NULL;
  int rc = weft_task_result(task, &result);
  if (rc)
    printf("Task: <Task %s name='%s' fn=execute() error=%s>\n", weft_task_state_name(task),
           weft_task_name(task), weft_strerror(rc));
  else if (result)
    printf("Task: <Task finished name='%s' fn=execute() result=%p>\n", weft_task_name(task),
           result);
  else
    printf("Task: <Task finished name='%s' fn=execute() result=None>\n", weft_task_name(task));
}

/* show: print the task before and after, as the create_task and
 * ensure_future programs do. loop NULL: the current loop (ensure_future). */
static int run_execute(weft_loop *loop, int show) {
  weft_task *task;
  int rc = weft_spawn(&task, execute, (void *)1L, &(weft_spawn_opts){.loop = loop});

  if (rc)
    return rc;
  printf("After calling execute\n");
  if (show)
    print_task(task);
  rc = weft_loop_run_until_complete(weft_task_loop(task), task, NULL);
  if (rc == 0 && show)
    print_task(task);
  if (rc == 0)
    printf("After calling loop\n");
  weft_task_release(task);
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
  printf("--- loop.run_until_complete(coroutine) ---\n");
  rc = run_execute(loop, 0);
  if (rc == 0) {
    printf("--- loop.create_task(coroutine) ---\n");
    rc = run_execute(loop, 1);
  }
  if (rc == 0) {
    printf("--- asyncio.ensure_future(coroutine) ---\n");
    rc = run_execute(NULL, 1);
  }
  weft_loop_free(loop);
  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
