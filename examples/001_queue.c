/*
 * Port of seed 001, "简单例子(协程间通信)": a producer puts random letters
 * into a Queue(maxsize=100) as fast as it can (it is suspended whenever the
 * queue is full), a consumer prints one a second. The seed runs forever;
 * this one stops after 5 letters so that `make demo` moves on.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <weft.h>

#define LETTERS 5

static weft_queue q;

static void *add(void *arg) {
  static const char ascii_letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  int rc;

  (void)arg;
  for (;;) {
    intptr_t c = ascii_letters[rand() % (int)strlen(ascii_letters)];
    if ((rc = weft_queue_put(&q, (void *)c)) != 0)
      return weft_fail(rc, NULL);
  }
}

static void *desc(void *arg) {
  void *res;
  int rc;

  (void)arg;
  for (int i = 0; i < LETTERS; i++) {
    if ((rc = weft_queue_get(&q, &res)) != 0)
      return weft_fail(rc, NULL);
    printf("%c\n", (char)(intptr_t)res);
    fflush(stdout);
    if (i + 1 < LETTERS && (rc = weft_sleep(1)) != 0)
      return weft_fail(rc, NULL);
  }
  return NULL;
}

static void *amain(void *arg) {
  weft_task *producer = NULL, *consumer = NULL;
  int rc;

  (void)arg;
  srand((unsigned)time(NULL));
  weft_queue_init(&q, WEFT_QUEUE_FIFO, 100, NULL);
  if ((rc = weft_spawn(&producer, add, NULL, NULL)) == 0 &&
      (rc = weft_spawn(&consumer, desc, NULL, NULL)) == 0)
    rc = weft_await(consumer, NULL);
  if (producer) {
    weft_task_cancel(producer); /* the seed's producer never stops */
    weft_await(producer, NULL);
  }
  weft_task_release(producer);
  weft_task_release(consumer);
  printf("...\n");
  weft_queue_destroy(&q, NULL, NULL);
  return rc ? weft_fail(rc, NULL) : NULL;
}

int main(void) {
  int rc = weft_run(amain, NULL, NULL);

  if (rc)
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return rc ? 1 : 0;
}
