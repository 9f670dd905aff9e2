/*
 * Port of seed 001, "简单例子(Condition(条件))": consumers wait on a
 * condition; a producer wakes them one notify(n) at a time, then a second
 * producer wakes them all with notify_all. `with await cond:` is
 * weft_cond_acquire ... weft_cond_release.
 */
#include <math.h>
#include <stdio.h>
#include <weft.h>

static weft_cond cond = WEFT_COND_INIT;

typedef struct consumer_arg {
  const char *name;
  double second;
} consumer_arg;

static void *consumer(void *arg) {
  consumer_arg *c = arg;
  int rc;

  if ((rc = weft_sleep(c->second)) != 0 || (rc = weft_cond_acquire(&cond)) != 0)
    return weft_fail(rc, NULL);
  rc = weft_cond_wait(&cond); /* the lock is held again even on error */
  if (rc == 0)
    printf("%s: 得到响应\n", c->name);
  weft_cond_release(&cond);
  return rc ? weft_fail(rc, NULL) : NULL;
}

static void *producer(void *arg) {
  int rc;

  (void)arg;
  if ((rc = weft_sleep(2)) != 0)
    return weft_fail(rc, NULL);
  for (int n = 1; n < 3; n++) {
    if ((rc = weft_cond_acquire(&cond)) != 0)
      return weft_fail(rc, NULL);
    printf("生产者 %d 号\n", n);
    weft_cond_notify(&cond, (size_t)n); /* 挨个通知单个消费者 */
    weft_cond_release(&cond);
    if ((rc = weft_sleep(0.1)) != 0)
      return weft_fail(rc, NULL);
  }
  return NULL;
}

static void *producer2(void *arg) {
  int rc;

  (void)arg;
  if ((rc = weft_sleep(2)) != 0 || (rc = weft_cond_acquire(&cond)) != 0)
    return weft_fail(rc, NULL);
  printf("释放信号量,通知所有消费者\n");
  weft_cond_notify_all(&cond); /* 一次性通知全部的消费者 */
  weft_cond_release(&cond);
  return NULL;
}

/* Start the producer and the consumers c1 (after 0 s) and c2 (after 1 s),
 * wait for the consumers, cancel the producer. */
static int round_with(weft_task_fn producer_fn) {
  static consumer_arg args[2] = {{"c1", 0}, {"c2", 1}};
  weft_task *prod = NULL, *cons[2] = {0};
  int rc = weft_spawn(&prod, producer_fn, NULL, NULL);

  for (int i = 0; i < 2 && rc == 0; i++)
    rc = weft_spawn(&cons[i], consumer, &args[i], NULL);
  if (rc == 0)
    rc = weft_wait(cons, 2, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL);
  if (prod)
    weft_task_cancel(prod);
  weft_task_release(prod);
  for (int i = 0; i < 2; i++)
    weft_task_release(cons[i]);
  return rc;
}

static void *amain(void *arg) {
  int rc;

  (void)arg;
  if ((rc = round_with(producer)) != 0)
    return weft_fail(rc, NULL);
  printf("---分割线---\n");
  if ((rc = round_with(producer2)) != 0)
    return weft_fail(rc, NULL);
  return NULL;
}

int main(void) {
  int rc = weft_run(amain, NULL, NULL);

  if (rc)
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return rc ? 1 : 0;
}
