/*
 * Seed 001, "janus": a queue with a synchronous side for threads and an
 * asynchronous side for tasks. A plain thread puts 0..9 and waits with
 * join(); a task gets and prints them, marking each done.
 */
#include <stdio.h>
#include <weft.h>

/* def threaded(sync_q): runs on the default executor's thread */
static void *threaded(void *arg) {
  weft_tsqueue *q = arg;

  for (long i = 0; i < 10; i++)
    if (weft_tsqueue_sync_put(q, (void *)i, INFINITY) != 0)
      return weft_fail(-EPIPE, "put failed");
  weft_tsqueue_sync_join(q, INFINITY);
  return NULL;
}

/* async def async_coro(async_q) */
static void *async_coro(void *arg) {
  weft_tsqueue *q = arg;
  weft_future *fut;
  void *val;
  int rc = weft_executor_submit(NULL, threaded, q, NULL, &fut);

  if (rc)
    return weft_fail(rc, "run_in_executor");
  for (long i = 0; i < 10; i++) {
    if ((rc = weft_tsqueue_get(q, &val)) != 0)
      break;
    printf("%ld\n", (long)val);
    if ((long)val == i)
      weft_tsqueue_task_done(q);
  }
  if (rc == 0)
    rc = weft_future_await(fut, NULL); /* loop.run_until_complete(fut) */
  weft_future_release(fut);
  return rc ? weft_fail(rc, "async_coro") : NULL;
}

int main(void) {
  weft_tsqueue *q;
  int rc = weft_tsqueue_new(&q, 0);

  if (rc == 0) {
    rc = weft_run(async_coro, q, NULL);
    weft_tsqueue_free(q, NULL, NULL);
  }
  if (rc)
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return rc ? 1 : 0;
}
