/*
 * Port of seed 002, "协程实现生产者消费者模型": two producers put five random
 * values each, one a second, into an unbounded Queue; two consumers print
 * what they get. After 10 s main cancels the consumers and gathers all four
 * tasks with return-exceptions (the consumers end cancelled, the producers
 * finished).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <weft.h>

typedef struct actor {
  weft_queue *queue;
  const char *id;
} actor;

static void *consumer(void *arg) {
  actor *a = arg;
  void *val;
  int rc;

  for (;;) {
    if ((rc = weft_queue_get(a->queue, &val)) != 0)
      return weft_fail(rc, NULL);
    printf("%s get a val: %d\n", a->id, (int)(intptr_t)val);
    if ((rc = weft_sleep(1)) != 0)
      return weft_fail(rc, NULL);
  }
}

static void *producer(void *arg) {
  actor *a = arg;
  int rc;

  for (int i = 0; i < 5; i++) {
    intptr_t val = 1 + rand() % 10; /* random.randint(1, 10) */
    if ((rc = weft_queue_put(a->queue, (void *)val)) != 0)
      return weft_fail(rc, NULL);
    printf("%s put a val: %d\n", a->id, (int)val);
    if ((rc = weft_sleep(1)) != 0)
      return weft_fail(rc, NULL);
  }
  return NULL;
}

static void *amain(void *arg) {
  weft_queue queue = WEFT_QUEUE_INIT; /* asyncio.Queue(): unbounded FIFO */
  actor actors[4] = {{&queue, "consumer_1"},
                     {&queue, "consumer_2"},
                     {&queue, "producer_1"},
                     {&queue, "producer_2"}};
  weft_task *tasks[4] = {0};
  int errors[4], rc = 0;

  (void)arg;
  for (int i = 0; i < 4 && rc == 0; i++)
    rc = weft_spawn(&tasks[i], i < 2 ? consumer : producer, &actors[i], NULL);
  if (rc == 0)
    rc = weft_sleep(10);
  if (tasks[0])
    weft_task_cancel(tasks[0]);
  if (tasks[1])
    weft_task_cancel(tasks[1]);
  if (rc == 0)
    rc = weft_gather(tasks, 4, WEFT_RETURN_EXCEPTIONS, NULL, errors);
  for (int i = 0; i < 4; i++)
    weft_task_release(tasks[i]);
  weft_queue_destroy(&queue, NULL, NULL);
  return rc ? weft_fail(rc, NULL) : NULL;
}

int main(void) {
  int rc;

  srand((unsigned)time(NULL));
  rc = weft_run(amain, NULL, NULL);
  if (rc)
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return rc ? 1 : 0;
}
