/*
 * Port of seed 001, "简单例子(Lock(锁))": main takes the lock, a call_later
 * callback releases it after 0.5 s, and two tasks waiting for it take it in
 * turn. weft_lock_acquire/weft_lock_release are `await lock.acquire()` and
 * `lock.release()`; a plain callback may release the lock on behalf of the
 * task that holds it, as in the seed.
 */
#include <math.h>
#include <stdio.h>
#include <weft.h>

static weft_lock lock = WEFT_LOCK_INIT;

static void unlock(void *arg) {
  printf("线程锁释放成功\n");
  weft_lock_release(arg);
}

static void *test(void *arg) {
  const char *locker = arg;
  int rc;

  printf("%s 等待线程锁释放\n", locker);
  if ((rc = weft_lock_acquire(&lock)) != 0)
    return weft_fail(rc, "acquire");
  printf("%s 线程锁上锁\n", locker);
  weft_lock_release(&lock);
  printf("%s 线程锁释放\n", locker);
  return NULL;
}

static void *amain(void *arg) {
  static const char *const names[] = {"任务 1 ", "任务 2"};
  weft_task *tasks[2] = {0};
  int rc;

  (void)arg;
  if ((rc = weft_lock_acquire(&lock)) != 0 ||
      (rc = weft_call_later(NULL, 0.5, unlock, &lock, NULL)) != 0)
    return weft_fail(rc, "setup");
  for (int i = 0; i < 2 && rc == 0; i++)
    rc = weft_spawn(&tasks[i], test, (void *)names[i], NULL);
  if (rc == 0)
    rc = weft_wait(tasks, 2, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL);
  for (int i = 0; i < 2; i++)
    weft_task_release(tasks[i]);
  return rc ? weft_fail(rc, NULL) : NULL;
}

int main(void) {
  int rc = weft_run(amain, NULL, NULL);

  if (rc)
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return rc ? 1 : 0;
}
