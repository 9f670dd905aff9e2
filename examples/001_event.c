/*
 * Port of seed 001, "简单例子(Event(事件))": two tasks wait on an event that
 * a call_later callback sets after 0.1 s; both go on at once, without taking
 * any lock.
 */
#include <math.h>
#include <stdio.h>
#include <weft.h>

static const char *py_bool(int b) {
  return b ? "True" : "False";
}

static void set_event(void *arg) {
  printf("开始设置事件\n");
  weft_event_set(arg);
}

typedef struct tester {
  const char *name;
  weft_event *event;
} tester;

static void *test(void *arg) {
  tester *t = arg;
  int rc;

  printf("%s 的事件未设置\n", t->name);
  if ((rc = weft_event_wait(t->event)) != 0)
    return weft_fail(rc, "wait");
  printf("%s 的事件已设置\n", t->name);
  return NULL;
}

static void *amain(void *arg) {
  weft_event event = WEFT_EVENT_INIT; /* lives on main's stack: no malloc */
  tester testers[2] = {{"e1", &event}, {"e2", &event}};
  weft_task *tasks[2] = {0};
  int rc;

  (void)arg;
  printf("事件是否设置: %s\n", py_bool(weft_event_is_set(&event)));
  rc = weft_call_later(NULL, 0.1, set_event, &event, NULL);
  for (int i = 0; i < 2 && rc == 0; i++)
    rc = weft_spawn(&tasks[i], test, &testers[i], NULL);
  if (rc == 0)
    rc = weft_wait(tasks, 2, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL);
  for (int i = 0; i < 2; i++)
    weft_task_release(tasks[i]);
  if (rc)
    return weft_fail(rc, NULL);
  printf("最终事件状态: %s\n", py_bool(weft_event_is_set(&event)));
  return NULL;
}

int main(void) {
  int rc = weft_run(amain, NULL, NULL);

  if (rc)
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return rc ? 1 : 0;
}
