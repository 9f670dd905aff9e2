/*
 * Port of seed 001, "定时启动任务": call_soon runs a callback at once,
 * call_later after a delay, call_at at a time of the loop's clock
 * (loop.time(), weft_time() here); a last callback stops run_forever.
 */
#include <stdio.h>
#include <weft.h>

static void callback(void *sleep_times) {
  printf("预计消耗时间 %s s\n", (const char *)sleep_times);
}

static void print_time(void *loop) {
  (void)loop;
  printf("传入loop.time()时间为: %.2f s\n", weft_time());
}

static void stoploop(void *loop) {
  printf("时间消耗完毕\n");
  weft_loop_stop(loop);
}

static int call_soon(weft_loop *loop) {
  int rc = weft_call_soon(loop, callback, "5", NULL);

  if (rc == 0)
    rc = weft_call_soon(loop, stoploop, loop, NULL);
  return rc;
}

static int call_later(weft_loop *loop) {
  int rc = weft_call_later(loop, 1, callback, "1.0", NULL);

  if (rc == 0)
    rc = weft_call_later(loop, 5, stoploop, loop, NULL);
  return rc;
}

static int call_at(weft_loop *loop) {
  double now = weft_time(); /* loop内部的时钟时间 */
  int rc = weft_call_at(loop, now + 1, print_time, loop, NULL);

  if (rc == 0)
    rc = weft_call_at(loop, now + 3, print_time, loop, NULL);
  if (rc == 0)
    rc = weft_call_at(loop, now + 5, stoploop, loop, NULL);
  return rc;
}

static const struct {
  const char *title;
  int (*schedule)(weft_loop *loop);
} programs[] = {{"call_soon", call_soon}, {"call_later", call_later}, {"call_at", call_at}};

int main(void) {
  weft_loop *loop;
  int rc;

  if ((rc = weft_loop_new(&loop)) != 0) {
    fprintf(stderr, "weft_loop_new: %s\n", weft_strerror(rc));
    return 1;
  }
  for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]) && rc == 0; i++) {
    double start_time = weft_time();
    printf("--- %s ---\n", programs[i].title);
    rc = programs[i].schedule(loop);
    if (rc == 0)
      rc = weft_loop_run_forever(loop); /* 没有传入协程, 要用 run_forever */
    if (rc == 0)
      printf("总共耗时:%f\n", weft_time() - start_time);
  }
  weft_loop_free(loop);
  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
