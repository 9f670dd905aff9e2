/*
 * Port of seed 001, "取消协程任务": three tasks wait 1, 2 and 3 s; Ctrl-C
 * cancels every task. The seed catches KeyboardInterrupt around
 * run_until_complete, cancels asyncio.Task.all_tasks(), lets the loop run
 * the cancellations (stop + run_forever) and closes it. Here weft_run plays
 * asyncio.run: its first SIGINT cancels every task. To run on its own, the
 * program presses Ctrl-C itself after 1.5 s (raise(SIGINT)); it exits with
 * status 130 like a Python program stopped by Ctrl-C.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <weft.h>

#define NTASKS 3

static void *get_time_sleep(void *arg) {
  long t = (long)arg;
  int rc;

  printf("开始运行,等待:%lds\n", t);
  if ((rc = weft_sleep(t)) != 0)
    return weft_fail(rc, NULL); /* end cancelled, as CancelledError does */
  printf("运行结束\n");
  return NULL;
}

static void press_ctrl_c(void *arg) {
  (void)arg;
  printf("^C\n");
  raise(SIGINT);
}

/* The KeyboardInterrupt handler: cancel all tasks, then let the
 * cancellations run (a shield keeps this wait from being cancelled too). */
static void cancel_all(weft_task **tasks) {
  weft_task *all[NTASKS + 1];
  size_t n = weft_all_tasks(NULL, all, NTASKS + 1);
  weft_scope shield;

  for (size_t i = 0; i < n && i < NTASKS + 1; i++) {
    printf("开始取消协程 %s\n", weft_task_name(all[i]));
    weft_task_cancel(all[i]);
  }
  if (weft_shield_enter(&shield) == 0) {
    weft_wait(tasks, NTASKS, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL);
    weft_shield_leave(&shield);
  }
  for (int i = 0; i < NTASKS; i++)
    printf("%s: %s\n", weft_task_name(tasks[i]), weft_task_state_name(tasks[i]));
}

static void *main_task(void *arg) {
  weft_task *tasks[NTASKS] = {0};
  int rc = weft_call_later(NULL, 1.5, press_ctrl_c, NULL, NULL);

  (void)arg;
  for (long i = 0; i < NTASKS && rc == 0; i++)
    rc = weft_spawn(&tasks[i], get_time_sleep, (void *)(i + 1), NULL);
  if (rc == 0)
    rc = weft_wait(tasks, NTASKS, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL);
  if (rc == -ECANCELED)
    cancel_all(tasks);
  for (int i = 0; i < NTASKS; i++)
    weft_task_release(tasks[i]);
  return rc ? weft_fail(rc, NULL) : NULL;
}

int main(void) {
  int rc = weft_run(main_task, NULL, NULL);

  if (rc == -ECANCELED) {
    printf("KeyboardInterrupt: %s\n", weft_strerror(rc));
    return 130; /* 128 + SIGINT */
  }
  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
